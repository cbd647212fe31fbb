"""Sink: play a session through an output, each clip at its planned time.

Deadlines are absolute (session start + planned time) on a monotonic clock, so
lateness never accumulates: a clip that starts late does not push the next one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from coach.output import Output, Playing
from coach.plan import Event
from coach.render import Session

SPIN_S = 0.002
"""Sleep until this close to a deadline, then spin: OS sleeps overshoot by up to a millisecond."""


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep_until(self, deadline: float) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        while (remaining := deadline - time.monotonic()) > SPIN_S:
            time.sleep(remaining - SPIN_S)
        while time.monotonic() < deadline:
            pass


@dataclass(frozen=True, slots=True)
class Fired:
    """An event as it happened: planned at ``event.at_s``, started at ``fired_s``."""

    index: int
    event: Event
    fired_s: float


@dataclass(frozen=True, slots=True)
class PlayResult:
    fired: tuple[Fired, ...]
    completed: bool
    """False when the session was stopped (Ctrl-C) before its end."""


def play_session(
    session: Session,
    output: Output,
    clock: Clock,
    *,
    on_fired: Callable[[Fired], None] = lambda fired: None,
) -> PlayResult:
    """Play every event at its time; returns what fired, also when stopped by Ctrl-C.

    Clips are fetched before their deadline (from the cache in memory), so the
    only work at a deadline is handing the clip to the output.
    """
    fired: list[Fired] = []
    playing: Playing | None = None
    start = clock.now()
    try:
        for index, event in enumerate(session.timeline.events):
            clip = session.clip(event)
            clock.sleep_until(start + event.at_s)
            if playing is not None and playing.is_playing():
                # The device is behind the clock: never start speech over speech.
                playing.wait_done()
            playing = output.play(clip)
            record = Fired(index, event, clock.now() - start)
            fired.append(record)
            on_fired(record)
        clock.sleep_until(start + session.timeline.total_s)
        if playing is not None:
            playing.wait_done()
    except KeyboardInterrupt:
        if playing is not None:
            playing.stop()
        return PlayResult(tuple(fired), completed=False)
    except BaseException:
        if playing is not None:
            playing.stop()
        raise
    return PlayResult(tuple(fired), completed=True)
