"""Plan, cue packing: a hold's cues fitted between fixed moments, the least needed dropped whole."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from coach.timeline.events import EPSILON_S, Priority, SpeechLength

GAP_S = 0.4
"""Silence between two spoken clips, so sentences never run together."""


def ms(seconds: float) -> float:
    """Times sit on whole milliseconds, so the JSON timeline is exactly what is rendered."""
    return round(seconds, 3)


def ms_up(seconds: float) -> float:
    """The next whole millisecond at or after ``seconds``: rounding never creates an overlap."""
    return math.ceil(round(seconds * 1000, 6)) / 1000


@dataclass(slots=True)
class Window:
    """A stretch of time being filled with speech, tracking what is taken."""

    start_s: float
    end_s: float
    taken: list[tuple[float, float]] = field(default_factory=list)

    def fits(self, at_s: float, length_s: float) -> bool:
        if at_s < self.start_s - EPSILON_S or at_s + length_s > self.end_s + EPSILON_S:
            return False
        return all(
            at_s + length_s + GAP_S <= a + EPSILON_S or at_s >= b + GAP_S - EPSILON_S
            for a, b in self.taken
        )

    def earliest(self, from_s: float, length_s: float) -> float | None:
        """The first start at or after ``from_s`` where the clip fits, if any."""
        candidates = sorted({max(from_s, self.start_s)} | {b + GAP_S for _, b in self.taken})
        for at_s in (ms_up(c) for c in candidates):
            if at_s >= from_s - EPSILON_S and self.fits(at_s, length_s):
                return at_s
        return None

    def take(self, at_s: float, length_s: float) -> None:
        self.taken.append((at_s, at_s + length_s))


@dataclass(frozen=True, slots=True)
class Cue:
    text: str
    at_s: float | None  # absolute target; None: spread evenly
    priority: Priority


def pack_cues(
    from_s: float,
    until_s: float,
    cues: list[Cue],
    timed: list[Cue],
    speech_s: SpeechLength,
) -> tuple[list[tuple[float, Cue]], list[Cue]]:
    """Fit a hold's cues between its opening and its end, dropping the least needed whole:
    where each is said, and what was left out.

    Time announcements are kept only where they fit at their moment; routine cues
    come first, so an announcement gives way before a cue does.
    """
    start = from_s + GAP_S
    kept_timed = list(timed)
    while True:
        window = Window(start, until_s)
        placed: list[tuple[float, Cue]] = []
        lost_timed: list[Cue] = []
        for cue in kept_timed:
            length = speech_s(cue.text)
            if cue.at_s is not None and window.fits(ms(cue.at_s), length):
                window.take(ms(cue.at_s), length)
                placed.append((ms(cue.at_s), cue))
            else:
                lost_timed.append(cue)
        floating = [c for c in cues if c.at_s is None]
        span = (until_s - start) / max(len(floating), 1)
        targets = {id(c): start + i * span for i, c in enumerate(floating)}
        lost: list[Cue] = []
        for cue in sorted(cues, key=lambda c: c.at_s if c.at_s is not None else targets[id(c)]):
            target = cue.at_s if cue.at_s is not None else targets[id(cue)]
            length = speech_s(cue.text)
            at = window.earliest(target, length)
            if at is None:
                lost.append(cue)
            else:
                window.take(at, length)
                placed.append((at, cue))
        if lost and len(kept_timed) > len(lost_timed):
            # a routine cue did not fit: give up the last announcement and try again
            fitting = [c for c in kept_timed if c not in lost_timed]
            kept_timed = [c for c in kept_timed if c is not fitting[-1]]
            continue
        break
    return placed, [*lost_timed, *lost, *(c for c in timed if c not in kept_timed)]
