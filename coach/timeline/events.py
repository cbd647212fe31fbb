"""The timeline: what a plan is made of, the one value every sink consumes."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntEnum

from coach.errors import PlanError
from coach.language.phrases import Phrases
from coach.language.table import DEFAULT_LANGUAGE, phrases_for
from coach.routine.model import Side

MIN_PACE = 0.25
MAX_PACE = 4.0
PACE_STEP = 1.25
"""One step faster or slower, live (a key, a media player's Rate, a spoken word)."""

EPSILON_S = 1e-6
"""Float slack when comparing times that sit on whole milliseconds."""


class EventKind(Enum):
    SAY = "say"
    SOUND = "sound"


class Sound(Enum):
    OPEN = "open"
    START = "start"
    SWITCH = "switch"
    FINISH = "finish"
    REST = "rest"
    TICK = "tick"


class Priority(IntEnum):
    """Which speech gives way when a hold is too short: lowest first, essential never."""

    LOW = 1
    NORMAL = 2
    ESSENTIAL = 3


SpeechLength = Callable[[str], float]
"""Seconds a text takes to say (the planner learns it from the rendered audio)."""


@dataclass(frozen=True, slots=True)
class Event:
    """A clip on the timeline: something said, or a sound, at ``at_s`` for ``duration_s``."""

    at_s: float
    duration_s: float
    kind: EventKind
    text: str = ""
    sound: Sound | None = None
    exercise: str | None = None
    step: str | None = None
    side: Side | None = None
    priority: Priority = Priority.ESSENTIAL

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s

    @property
    def sound_name(self) -> str:
        return self.sound.value if self.sound else ""


@dataclass(frozen=True, slots=True)
class Hold:
    """A stretch of work: one step of one exercise on one side (in one round)."""

    exercise: str
    step: str | None
    side: Side | None
    start_s: float
    end_s: float
    round: int | None = None
    """Which round (1-based) of the innermost repeat it is in; None when nothing repeats."""
    until_ready: bool = False
    """Live play waits at its end until the person presses space."""
    reps: int = 0
    """Counted reps (0: a timed hold): it runs from the first beat to the last one's end."""


@dataclass(frozen=True, slots=True)
class Rest:
    """A rest between two rounds: it starts with the rest sound and ends at the next hold."""

    exercise: str | None
    """The exercise whose rounds it separates (None: a section's)."""
    start_s: float
    end_s: float
    round: int
    """The round it leads into."""


@dataclass(frozen=True, slots=True)
class Switch:
    """A change of sides: from the switch chime, through the switch instruction and time to
    settle, to the start of the next side's hold."""

    exercise: str
    side: Side
    """The side it changes to."""
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Segment:
    """One exercise on the timeline, from its lead-in to the end of its last hold."""

    exercise: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Dropped:
    """A cue left out because its hold was too short for it at this pace."""

    text: str
    exercise: str
    side: Side | None
    priority: Priority


@dataclass(frozen=True, slots=True)
class Timeline:
    routine: str
    title: str
    pace: float
    total_s: float
    holds: tuple[Hold, ...]
    events: tuple[Event, ...]
    dropped: tuple[Dropped, ...] = ()
    segments: tuple[Segment, ...] = ()
    language: str = DEFAULT_LANGUAGE
    """The routine's language: the phrases table every sentence coach says came from."""
    rests: tuple[Rest, ...] = ()
    switches: tuple[Switch, ...] = ()
    minutes: int | None = None
    """What the introduction says the session takes (None: it says nothing of it)."""

    @property
    def phrases(self) -> Phrases:
        return phrases_for(self.language)

    def texts(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.events if e.kind is EventKind.SAY)

    def segment_at(self, position_s: float) -> Segment | None:
        """The exercise being done (or set up) at ``position_s``, if any."""
        index = bisect.bisect_right([s.start_s for s in self.segments], position_s) - 1
        if index >= 0 and position_s < self.segments[index].end_s:
            return self.segments[index]
        return None


@dataclass(frozen=True, slots=True)
class Pacing:
    """How fast time runs: holds and transitions last 1/pace of what is written."""

    pace: float = 1.0

    def __post_init__(self) -> None:
        if not MIN_PACE <= self.pace <= MAX_PACE:
            raise PlanError(
                f"pace {self.pace:g} is out of range; use {MIN_PACE:g} (slower) "
                f"to {MAX_PACE:g} (faster)"
            )
