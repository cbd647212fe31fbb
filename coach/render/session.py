"""A closed session: the planned timeline and every clip any sink may play, fixed once rendered.

Render builds it; live play and file export only read it. Nothing here reaches
back to the speech engine, so a sink can never stall on, or fail at, speech.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.errors import CoachError, PlanError
from coach.plan.planner import plan_session, spoken_minutes
from coach.routine.model import Routine
from coach.timeline.events import Event, EventKind, Pacing, Sound, Timeline


class ReplanError(CoachError):
    """A live change (of pace, of a hold) cannot be made; the session goes on as it was."""


@dataclass(frozen=True, slots=True)
class Session:
    """A timeline, the speech for each text it says (and the live phrases), and its sounds."""

    timeline: Timeline
    speech: Mapping[str, Clip]
    sounds: Mapping[Sound, Clip]
    routine: Routine | None = None
    """What was planned: given, the live player can re-plan (a change of pace) from it,
    with the clips here only; ``speech`` then holds every text any pace can say."""
    ways: tuple[str, ...] = ()
    """How this session goes on after a pause (``space``, ``play``, ``resume``: the open
    command sources' ways), as its live phrases name them; none for a file."""
    settled_s: float = math.inf
    """How far the timeline is final: a live session started on its first clips holds
    those before this time, and the rest of its plan is an estimate (``render.coming``)."""

    def __post_init__(self) -> None:
        # read-only views of private copies: a session cannot change after it is built
        object.__setattr__(self, "speech", MappingProxyType(dict(self.speech)))
        object.__setattr__(self, "sounds", MappingProxyType(dict(self.sounds)))
        live = self.timeline.phrases.live(self.ways)
        said = (
            e.text
            for e in self.timeline.events
            if e.kind is EventKind.SAY and e.at_s < self.settled_s
        )
        missing = [t for t in (*said, *live) if t not in self.speech]
        missing += [
            e.sound.value
            for e in self.timeline.events
            if e.sound is not None and e.sound not in self.sounds
        ]
        if missing:
            raise CoachError(f"internal: the session has no clip for {missing[0]!r}")
        for name, clip in [*self.speech.items(), *((s.value, c) for s, c in self.sounds.items())]:
            if clip.sample_rate_hz != SAMPLE_RATE_HZ:
                raise CoachError(
                    f"internal: the clip for {name!r} is at {clip.sample_rate_hz} Hz, "
                    f"not the session's {SAMPLE_RATE_HZ}"
                )

    def settling(self, newer: Session) -> Session:
        """``newer`` (this session planned again as more of its speech came), holding
        every clip and the ways this one has: what was settled here is the same there."""
        return dataclasses.replace(newer, speech={**self.speech, **newer.speech}, ways=self.ways)

    def with_speech(self, more: Mapping[str, Clip]) -> Session:
        """The same session holding ``more`` clips too (rendered after it started: what a
        change of pace may say)."""
        return dataclasses.replace(self, speech={**self.speech, **more})

    @property
    def settled(self) -> bool:
        return self.settled_s == math.inf

    def clip(self, event: Event) -> Clip:
        """The audio an event plays."""
        if event.kind is EventKind.SOUND:
            assert event.sound is not None
            return self.sounds[event.sound]
        return self.speech[event.text]

    def replan(self, pace: float, extend: Mapping[int, float]) -> Timeline:
        """The same routine planned again at ``pace`` (holds lengthened by ``extend``).

        Pure: it only asks the planner, with the lengths of the clips held here, and
        keeps the introduction as it was said.

        Raises:
            ReplanError: the routine is not known, or the new plan would need a clip
                this session does not hold, or does not work at that pace.
        """
        if self.routine is None:
            raise ReplanError("this session cannot be re-planned")
        sound_s = {sound: clip.duration_s for sound, clip in self.sounds.items()}

        def speech_s(text: str) -> float:
            clip = self.speech.get(text)
            if clip is None:
                raise ReplanError(f"no clip for {text!r} at pace {pace:g}")
            return clip.duration_s

        try:
            return plan_session(
                self.routine,
                Pacing(pace),
                speech_s,
                sound_s,
                minutes=self.timeline.minutes or spoken_minutes(self.timeline),
                extend=extend,
            )
        except PlanError as err:
            raise ReplanError(str(err)) from err

    def phrase(self, text: str) -> Clip:
        """The audio of a live phrase (``Phrases.live``: pausing, resuming)."""
        return self.speech[text]

    @property
    def paused_text(self) -> str:
        """What pausing says in this session: how to go on, by the ways it has."""
        return self.timeline.phrases.paused_for(self.ways)

    @property
    def ready_text(self) -> str:
        """The reminder at a hold until ready (empty: none can be said)."""
        return self.timeline.phrases.ready_for(self.ways)
