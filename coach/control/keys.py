"""Controls for a live session: single keys from a terminal, read without Enter."""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
from collections import deque
from collections.abc import Iterator
from typing import TextIO

from coach.control.sources import SourceKind
from coach.play.transport import Command, Controls

KEYS = {
    " ": Command.PAUSE,
    "p": Command.PAUSE,
    "n": Command.NEXT,
    "b": Command.BACK,
    "q": Command.QUIT,
    "+": Command.FASTER,
    "=": Command.FASTER,  # + without shift, on most keyboards
    "-": Command.SLOWER,
    "h": Command.LONGER,
}


_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|O.|.)?")
"""Terminal escape sequences (CSI, SS3, Alt+key), as the keys above never are."""


class TerminalKeys:
    """Keys from a terminal in cbreak mode (Ctrl-C still interrupts).

    Keys typed quickly arrive in one read; every one counts, in order, except that
    ``q`` wins over whatever came with it or was still waiting.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.queue: deque[Command] = deque()

    def poll(self) -> Command | None:
        ready, _, _ = select.select([self.fd], [], [], 0)
        if ready:
            self.take(os.read(self.fd, 1024))
        return self.queue.popleft() if self.queue else None

    def take(self, data: bytes) -> None:
        # arrows, Home, F1…: escape sequences whose letters are no keys (↓ is ESC [ B, not b)
        typed = _ESCAPES.sub("", data.decode(errors="ignore"))
        commands = [KEYS[ch] for ch in typed.lower() if ch in KEYS]
        if Command.QUIT in commands:
            self.queue.clear()
            commands = [Command.QUIT]
        self.queue.extend(commands)


@contextlib.contextmanager
def terminal_keys(stream: TextIO = sys.stdin) -> Iterator[Controls | None]:
    """Key controls while the block runs; None when stdin is not a terminal (pipe, cron, test)."""
    if not stream.isatty() or sys.platform == "win32":
        yield None
        return
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield TerminalKeys(fd)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


SOURCE = SourceKind(
    "keys",
    way="space",
    open=lambda context: terminal_keys(context.stdin),
    help="single keys on the terminal: space, n, b, +, -, h, q",
)
