"""The live sink's clock: monotonic time, and sleeps that end on their deadline."""

from __future__ import annotations

import time

SPIN_S = 0.002
"""Sleep until this close to a deadline, then spin: OS sleeps overshoot by up to a millisecond."""


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        while (remaining := deadline - time.monotonic()) > SPIN_S:
            time.sleep(remaining - SPIN_S)
        while time.monotonic() < deadline:
            pass
