"""Plan, placing: speech and sounds put on a timeline, each length asked once, with its floor.

The planner (``planner``) walks a routine and decides where things go; this places
them, and records every length it asks with the floor it was asked at: no event that
depends on a length starts before that length's floor. So a plan made with only some
lengths known (estimates for the rest) is already the real plan before the earliest
floor of what is not known (``settled_until``): a live session can start on its first
clips and plan the rest as they render.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

from coach.plan.packing import GAP_S, ms
from coach.routine.model import Side
from coach.timeline.events import Event, EventKind, Priority, Sound, SpeechLength


@dataclass(frozen=True, slots=True)
class Where:
    """Which exercise, step and side an event belongs to."""

    exercise: str | None = None
    step: str | None = None
    side: Side | None = None


class Placing:
    """The events placed so far, and every length asked with its floor."""

    def __init__(self, speech_s: SpeechLength, sound_s: Mapping[Sound, float]) -> None:
        self.speech_s = speech_s
        self.sound_s = sound_s
        self.floor_s = 0.0
        """No event placed from here on starts before this (see ``length``)."""
        self.asks: list[tuple[str, float]] = []
        """Each length asked, in order, with the floor it was asked at."""
        self.events: list[Event] = []

    def say(
        self,
        at_s: float,
        text: str,
        where: Where = Where(),
        priority: Priority = Priority.ESSENTIAL,
    ) -> float:
        """Add speech at ``at_s``; returns when it ends."""
        self.floor_s = at_s
        event = Event(
            at_s=ms(at_s),
            duration_s=self.length(text),
            kind=EventKind.SAY,
            text=text,
            exercise=where.exercise,
            step=where.step,
            side=where.side,
            priority=priority,
        )
        self.events.append(event)
        return event.end_s

    def say_in_turn(self, at_s: float, texts: list[str], where: Where = Where()) -> float:
        """Say texts one after another from ``at_s``; returns when the last ends.

        An empty text (a step without a setup) is not said: its name already was.
        """
        end = at_s
        for i, text in enumerate(t for t in texts if t):
            end = self.say(end + (GAP_S if i else 0.0), text, where)
        return end

    def length(self, text: str) -> float:
        """How long ``text`` takes to say; the ask is recorded with the floor it is made at.

        Every length is asked before anything that depends on it is placed, and
        the floor is set first to a time no later event starts before: so what is
        placed before the floor does not depend on the lengths asked at or after it
        (``settled_until``: a session can start on its first clips).
        """
        self.asks.append((text, self.floor_s))
        return self.speech_s(text)

    def sound(self, at_s: float, sound: Sound, where: Where = Where()) -> float:
        event = Event(
            at_s=ms(at_s),
            duration_s=self.sound_s[sound],
            kind=EventKind.SOUND,
            sound=sound,
            exercise=where.exercise,
            step=where.step,
            side=where.side,
        )
        self.events.append(event)
        return event.end_s


SETTLED_MARGIN_S = 0.001


def settled_until(asked: Sequence[tuple[str, float]], known: Container[str]) -> float:
    """How far a plan made with the real lengths of ``known`` texts only (estimates for the
    rest) is the real plan: every event before this time is the same, whatever the others'
    real lengths (``asked``: from ``plan_session``; infinite when every length was known).
    The minutes the introduction says must be fixed (``minutes``), not planned."""
    floor = min((floor for text, floor in asked if text not in known), default=math.inf)
    return floor - SETTLED_MARGIN_S  # an event's time is rounded to the millisecond
