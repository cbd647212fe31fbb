"""The command line's progress bar, for a step that takes more than a moment (render, export)."""

from __future__ import annotations

import time
from typing import TextIO

from coach.play.display import progress_bar


class Progress:
    """A progress bar on a terminal once a step (rendering, exporting) takes more than a moment.

    Silent when the stream is not a terminal, so logs and pipes get no escape codes.
    """

    DELAY_S = 0.5
    EVERY_S = 0.1

    def __init__(self, stream: TextIO, label: str = "exporting") -> None:
        self.stream = stream
        self.label = label
        self.active = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def update(self, fraction: float) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if now - self.started < self.DELAY_S or now - self.last < self.EVERY_S:
            return
        self.last = now
        self.drawn = True
        self.stream.write(f"\r\x1b[2K{self.label} {progress_bar(fraction)} {fraction:4.0%}")
        self.stream.flush()
