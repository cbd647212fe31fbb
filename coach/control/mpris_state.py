"""What coach shows as an MPRIS player and what the bus asked of it, apart from the bus itself.

Shared by the session's thread (``coach.control.mpris``) and the bus's
(``coach.control.mpris_bus``); it knows nothing of D-Bus.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from coach.language.table import phrases_for
from coach.play.transport import MAX_PENDING, Command, Fired
from coach.timeline.events import MAX_PACE, MIN_PACE, PACE_STEP, Timeline

BUS_NAME = "org.mpris.MediaPlayer2.coach"


class Busy(Exception):
    """Too many commands wait already: the call is refused, the session goes on."""


@dataclass
class PlayerState:
    """What the bus shows and what it asked for, shared by the session and the bus thread."""

    timeline: Timeline
    status: str = "Playing"
    pace: float = 1.0
    position_s: float = 0.0
    place: str = ""
    track: int = 0
    commands: deque[Command] = field(default_factory=deque)
    changed: Any = None
    """Called (on the session's thread) with the properties that changed."""

    def metadata(self) -> dict[str, Any]:
        """Plain values; the bus wraps them in variants."""
        return {
            "mpris:trackid": f"/org/mpris/MediaPlayer2/coach/track/{self.track}",
            "mpris:length": round(self.timeline.total_s * 1_000_000),
            "xesam:title": self.place or self.timeline.title,
            "xesam:album": self.timeline.title,
            "xesam:artist": ["coach"],
        }

    # -- asked for over the bus (any thread) --

    def request(self, command: Command) -> None:
        """Queue a command.

        Raises:
            Busy: ``MAX_PENDING`` commands wait already.
        """
        if command is Command.QUIT:
            self.commands.clear()
        elif len(self.commands) >= MAX_PENDING:
            raise Busy
        self.commands.append(command)

    def play(self) -> None:
        if self.status != "Playing":
            self.status = "Playing"  # at once: a Pause right behind it is not lost
            self.request(Command.PAUSE)

    def pause(self) -> None:
        if self.status == "Playing":
            self.status = "Paused"
            self.request(Command.PAUSE)

    def play_pause(self) -> None:
        if self.status == "Playing":
            self.pause()
        else:
            self.play()

    def set_rate(self, rate: float) -> None:
        """The pace nearest ``rate`` in whole steps, within the limits; 0 pauses (as MPRIS says).

        Raises:
            ValueError: not a rate (negative, infinite, not a number).
        """
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"Rate must be a number from {MIN_PACE:g} to {MAX_PACE:g}")
        if rate == 0:
            self.pause()
            return
        target = min(MAX_PACE, max(MIN_PACE, rate))
        steps = round(math.log(target / self.pace) / math.log(PACE_STEP))
        command = Command.FASTER if steps > 0 else Command.SLOWER
        for _ in range(abs(steps)):
            self.request(command)

    # -- told by the session (its thread) --

    def poll(self) -> Command | None:
        return self.commands.popleft() if self.commands else None

    def fired(self, fired: Fired) -> None:
        event = fired.event
        place = self.phrases.place(event.exercise, event.step, event.side)
        if event.exercise is not None and place != self.place:
            self.place, self.track = place, self.track + 1
            self._changed({"Metadata": self.metadata()})

    def replanned(self, timeline: Timeline) -> None:
        self.timeline, self.pace = timeline, timeline.pace
        self._changed({"Rate": self.pace, "Metadata": self.metadata()})

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        self.position_s = position_s
        status = "Paused" if paused or waiting else "Playing"
        if status != self.status and not self.commands:  # a queued change is still on its way
            self.status = status
            self._changed({"PlaybackStatus": status})

    def stopped(self) -> None:
        self.status = "Stopped"
        self._changed({"PlaybackStatus": "Stopped"})

    @property
    def phrases(self) -> Any:
        return phrases_for(self.timeline.language)

    def _changed(self, properties: dict[str, Any]) -> None:
        if self.changed is not None:
            self.changed(properties)
