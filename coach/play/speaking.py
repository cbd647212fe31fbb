"""When coach's own sound plays, and what it is: a leaf the output writes and a microphone reads."""

from __future__ import annotations

from collections import deque

ECHO_BEFORE_S = 0.1
"""Own sound is taken to start this much earlier than played (the capture's clock is coarse)."""
KEEP_BLOCKS = 400
"""Blocks of sound kept for a reader that is late (4 s of 10 ms blocks)."""
ECHO_AFTER_S = 0.5
"""... and to go on this much longer: the output's buffer, the room's echo."""


class SpeakingLog:
    """When coach's own sound played, on the monotonic clock: a microphone must not obey it.

    Written by the session's thread, read by a listener's; appending to a deque and
    reading a copy of it are safe across threads without a lock.
    """

    def __init__(self, keep: int = 64) -> None:
        self.spans: deque[tuple[float, float]] = deque(maxlen=keep)
        self.sound: deque[tuple[float, bytes, int]] = deque(maxlen=KEEP_BLOCKS)
        """What the speakers played, block by block as an output that mixes hands it over
        (``coach.play.stream``): when it is heard, its 16-bit samples, their rate. An echo
        canceller takes them (``coach.control.echo``); unread, only the newest are kept."""
        self.hears_sound = False
        """Whether the output hands its blocks over at all."""

    def played(self, heard_at: float, pcm: bytes, rate: int) -> None:
        self.sound.append((heard_at, pcm, rate))

    def spoke(self, start_s: float, end_s: float) -> None:
        self.spans.append((start_s, end_s))

    def overlaps(self, start_s: float, end_s: float) -> bool:
        """Whether any own sound (widened by its echo) falls between these two times."""
        return any(
            start_s < end + ECHO_AFTER_S and begin - ECHO_BEFORE_S < end_s
            for begin, end in tuple(self.spans)
        )
