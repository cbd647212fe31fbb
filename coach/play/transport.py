"""The shared vocabulary of a live session: commands, what fired, why it stopped, and the ports.

A leaf module: the player, the display, the keys and the log all speak these
types, so none of them needs to import another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from coach.timeline.events import Event, Timeline

MAX_PENDING = 16
"""Commands a source keeps waiting at most: a flood beyond this is refused, the session goes on."""


class Command(Enum):
    PAUSE = "pause"  # also resumes
    NEXT = "next"
    BACK = "back"
    QUIT = "quit"
    FASTER = "faster"
    SLOWER = "slower"
    LONGER = "longer"
    """This hold, thirty seconds more."""


class StopReason(Enum):
    """Why a session ended before its end."""

    QUIT = "quit"
    INTERRUPT = "interrupt"
    DEVICE = "device"
    TERMINATED = "terminated"
    """SIGTERM: a logout, a service stop."""


@dataclass(frozen=True, slots=True)
class Fired:
    """An event as it happened: planned at ``event.at_s``, started ``fired_s`` into the run."""

    index: int
    event: Event
    fired_s: float
    """When its own first sample sounded."""
    lead_s: float = 0.0
    """The silence played just before it, for a sink that may have slept in a pause: always 0
    now that the speakers are one stream that never falls silent (kept for the log's
    readers: its fields are only ever added)."""


@dataclass(frozen=True, slots=True)
class Change:
    """The session re-planned under way: a new pace, or a hold made longer."""

    command: Command
    pace: float
    """The pace from now on."""
    position_s: float
    """Where the session is on the new timeline."""
    total_s: float
    """The new timeline's length."""
    fired_s: float
    """When, on the same clock as ``Fired.fired_s``."""


@dataclass(frozen=True, slots=True)
class PlayResult:
    fired: tuple[Fired, ...]
    position_s: float
    """How far into the timeline the session got (frozen while it was paused)."""
    stopped_by: StopReason | None = None
    """None: the session reached its end."""
    error: str = ""
    """What failed, when ``stopped_by`` is ``DEVICE``."""
    pace: float | None = None
    """The pace at the end (it may have changed under way); None: as planned."""
    timeline: Timeline | None = None
    """The timeline played at the end, when it changed under way (positions are on it)."""
    done: tuple[int, ...] = ()
    """How often each hold (by index, the same on every timeline of the session) was
    played to its end: 0 for one skipped or not reached, 2 for one played again."""
    played_s: float = 0.0
    """The real time the session took, pauses and waits included."""

    @property
    def completed(self) -> bool:
        return self.stopped_by is None


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep_until(self, deadline: float) -> None: ...


class Controls(Protocol):
    def poll(self) -> Command | None:
        """A command if one is waiting; never blocks."""
        ...


class Display(Protocol):
    """What a session shows of itself as it plays. A display may also have
    ``settled(timeline)``: the same session, its plan settled further as its speech came
    (``render.coming``), nothing to announce; one without it is told ``replanned``."""

    def fired(self, fired: Fired) -> None: ...
    def replanned(self, timeline: Timeline) -> None:
        """The session goes on with this timeline (a new pace, a longer hold)."""
        ...

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        """Redraw; ``waiting``: at the end of a hold until ready, for space."""
        ...


class Displays:
    """Several displays told the same, in order (the terminal, a media player's status)."""

    def __init__(self, displays: tuple[Display, ...]) -> None:
        self.displays = displays

    def fired(self, fired: Fired) -> None:
        for display in self.displays:
            display.fired(fired)

    def replanned(self, timeline: Timeline) -> None:
        for display in self.displays:
            display.replanned(timeline)

    def settled(self, timeline: Timeline) -> None:
        for display in self.displays:
            tell_settled(display, timeline)

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        for display in self.displays:
            display.tick(position_s, paused, waiting)


def tell_settled(display: Display, timeline: Timeline) -> None:
    """Tell ``display`` the session's plan settled further (``replanned`` if it has no
    ``settled``)."""
    getattr(display, "settled", display.replanned)(timeline)


class NoControls:
    def poll(self) -> Command | None:
        return None


class NoDisplay:
    def fired(self, fired: Fired) -> None:
        pass

    def replanned(self, timeline: Timeline) -> None:
        pass

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        pass
