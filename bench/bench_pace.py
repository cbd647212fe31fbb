"""Changing pace under way: how long a re-plan takes, and how late the next event fires.

smr-full (29 minutes, 60 holds), warm speech cache. coach's re-plan is one pass
of the pure planner with the introduction's minutes kept, the position mapped
onto the new plan; the naive way re-plans the whole session from scratch as a
new session would be (two passes to settle the introduction, a new Session with
its clips gathered and checked). Then a live run on the real monotonic clock,
with an output that plays instantly, presses + and - and measures how late the
first event after each change fires against its new deadline.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import platformdirs

from coach.plan.planner import plan_session
from coach.plan.replan import equivalent_position
from coach.play.clock import MonotonicClock
from coach.play.player import play_session
from coach.play.transport import Change, Command, Fired
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import Pacing

ROUTINE = "smr-full"
RUNS = 30


class _Instant:
    def is_playing(self) -> bool:
        return False

    def wait_done(self) -> None:
        pass

    def stop(self) -> None:
        pass


class _InstantOutput:
    def play(self, clip: Any, at: float | None = None, after_s: float = 0.0) -> _Instant:
        return _Instant()


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    cache = Path(platformdirs.user_cache_dir("coach")) / "speech"
    sounds = load_sounds()
    routine = load_routine(ROUTINE)
    speech = SpeechCache(cache, SpeechSettings())
    session = build_session(routine, speech, sounds, live=True)
    old = session.timeline
    position = old.holds[len(old.holds) // 2].start_s + 20.0

    ours, naive = [], []
    for i in range(RUNS):
        pace = 1.25 if i % 2 else 0.8
        started = time.perf_counter()
        new = session.replan(pace, {})
        equivalent_position(old, new, position)
        ours.append(time.perf_counter() - started)

        started = time.perf_counter()
        again = plan_session(
            routine,
            Pacing(pace),
            speech.length_s,  # as a new session would: the cache, rendering what is new
            {s: c.duration_s for s, c in sounds.items()},
        )
        Session(again, {t: speech.clip(t) for t in again.texts()} | dict(session.speech), sounds)
        naive.append(time.perf_counter() - started)

    # live: presses + and - on the real clock, from the middle of the session
    presses = [
        (t, Command.FASTER if n % 2 == 0 else Command.SLOWER)
        for n, t in enumerate((1.0, 8.0, 15.0, 22.0, 29.0, 36.0))
    ]
    clock = MonotonicClock()
    begun = clock.now()

    class Scripted:
        def poll(self) -> Command | None:
            if presses and clock.now() - begun >= presses[0][0]:
                return presses.pop(0)[1]
            return None

    changes: list[Change] = []
    fired: list[Fired] = []

    def on_fired(record: Fired) -> None:
        fired.append(record)
        if record.fired_s > 45.0:
            raise KeyboardInterrupt  # enough: the bench measures the first seconds only

    play_session(
        session,
        _InstantOutput(),
        clock,
        controls=Scripted(),
        on_fired=on_fired,
        on_change=changes.append,
        from_s=position - 20.0,
    )
    late = []
    ends = [c.fired_s for c in changes[1:]] + [float("inf")]
    for change, next_change in zip(changes, ends, strict=True):
        # the first event fired on this change's plan, before any later change
        after = [f for f in fired if change.fired_s < f.fired_s < next_change]
        if after:
            first = after[0]
            deadline = change.fired_s + (first.event.at_s - change.position_s)
            late.append(first.fired_s - deadline)

    print(f"{ROUTINE}: {len(old.holds)} holds, {len(old.events)} events")
    for label, samples in (("coach: one pass, mapped", ours), ("naive: a new session", naive)):
        print(
            f"  re-plan ({label:<24}) median {_median_ms(samples):6.2f} ms, "
            f"max {max(samples) * 1000:6.2f} ms"
        )
    print(f"naive / coach: {statistics.median(naive) / statistics.median(ours):.2f}x")
    if late:
        print(
            f"first event after {len(late)} changes, late by: median {_median_ms(late):.2f} ms, "
            f"max {max(late) * 1000:.2f} ms (target <= 20 ms)"
        )


if __name__ == "__main__":
    main()
