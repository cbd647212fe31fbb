"""What a live session really did: the holds played to their end, skipped and played again.

A hold is done when play reaches its end by playing, not by a jump: `n` from
the middle of a hold leaves it undone, `b` plays it again. History tells the
truth from this, not from where the session stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.timeline.events import EPSILON_S, Timeline


class DoneHolds:
    """How often each hold of a timeline (by index, the same at every pace) was played
    to its end."""

    def __init__(self, timeline: Timeline) -> None:
        self.counts = [0] * len(timeline.holds)
        self.from_s = 0.0
        """Where the present stretch of uninterrupted play began."""

    def reached(self, timeline: Timeline, position_s: float) -> None:
        """Play went on without a jump from ``from_s`` to ``position_s`` on ``timeline``."""
        if len(timeline.holds) == len(self.counts):
            for index, hold in enumerate(timeline.holds):
                if self.from_s < hold.end_s <= position_s + EPSILON_S:
                    self.counts[index] += 1
        self.from_s = max(self.from_s, position_s)

    def moved(self, position_s: float) -> None:
        """Play jumps to ``position_s`` (a skip, a change of pace): a new stretch starts."""
        self.from_s = position_s


@dataclass(frozen=True, slots=True)
class Parts:
    """The exercises and sides of a session (``Hips and glutes, left side``), by what
    happened to them."""

    done: tuple[str, ...]
    skipped: tuple[str, ...]
    """Passed over: not played whole, though the session went on beyond them."""
    repeated: tuple[str, ...]
    """Played whole more than once (`b`)."""
    planned: int


def parts_of(timeline: Timeline, counts: tuple[int, ...], reached_end: bool) -> Parts:
    """Each exercise and side, as done, skipped or repeated, from how often each of its
    holds was played to its end (``counts``, by hold index)."""
    place = timeline.phrases.place
    holds: dict[str, list[int]] = {}
    for index, hold in enumerate(timeline.holds):
        holds.setdefault(place(hold.exercise, None, hold.side), []).append(index)
    done_up_to = max((i for i, n in enumerate(counts) if n), default=-1)
    done, skipped, repeated = [], [], []
    for name, indices in holds.items():
        times = min(counts[i] for i in indices) if len(counts) == len(timeline.holds) else 0
        if times:
            done.append(name)
            if times > 1:
                repeated.append(name)
        elif reached_end or indices[-1] < done_up_to:
            skipped.append(name)
    return Parts(tuple(done), tuple(skipped), tuple(repeated), len(holds))
