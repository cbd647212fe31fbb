"""A closed session: the planned timeline and every clip any sink may play, fixed once rendered.

Render builds it; live play and file export only read it. Nothing here reaches
back to the speech engine, so a sink can never stall on, or fail at, speech.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.errors import CoachError
from coach.timeline import Event, EventKind, Sound, Timeline


@dataclass(frozen=True, slots=True)
class Session:
    """A timeline, the speech for each text it says (and the live phrases), and its sounds."""

    timeline: Timeline
    speech: Mapping[str, Clip]
    sounds: Mapping[Sound, Clip]

    def __post_init__(self) -> None:
        # read-only views of private copies: a session cannot change after it is built
        object.__setattr__(self, "speech", MappingProxyType(dict(self.speech)))
        object.__setattr__(self, "sounds", MappingProxyType(dict(self.sounds)))
        live = self.timeline.phrases.live
        missing = [t for t in (*self.timeline.texts(), *live) if t not in self.speech]
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

    def clip(self, event: Event) -> Clip:
        """The audio an event plays."""
        if event.kind is EventKind.SOUND:
            assert event.sound is not None
            return self.sounds[event.sound]
        return self.speech[event.text]

    def phrase(self, text: str) -> Clip:
        """The audio of a live phrase (``Phrases.live``: pausing, resuming)."""
        return self.speech[text]
