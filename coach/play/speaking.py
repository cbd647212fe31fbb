"""When coach's own sound plays: a leaf the output writes and a microphone reads."""

from __future__ import annotations

from collections import deque

ECHO_BEFORE_S = 0.1
"""Own sound is taken to start this much earlier than played (the capture's clock is coarse)."""
ECHO_AFTER_S = 0.5
"""... and to go on this much longer: the output's buffer, the room's echo."""


class SpeakingLog:
    """When coach's own sound played, on the monotonic clock: a microphone must not obey it.

    Written by the session's thread, read by a listener's; appending to a deque and
    reading a copy of it are safe across threads without a lock.
    """

    def __init__(self, keep: int = 64) -> None:
        self.spans: deque[tuple[float, float]] = deque(maxlen=keep)

    def spoke(self, start_s: float, end_s: float) -> None:
        self.spans.append((start_s, end_s))

    def overlaps(self, start_s: float, end_s: float) -> bool:
        """Whether any own sound (widened by its echo) falls between these two times."""
        return any(
            start_s < end + ECHO_AFTER_S and begin - ECHO_BEFORE_S < end_s
            for begin, end in tuple(self.spans)
        )
