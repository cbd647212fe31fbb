"""Silence a file descriptor while a chatty library runs: ALSA and the speech driver print."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def silenced(fd: int) -> Iterator[None]:
    """Send what is written to ``fd`` (1 or 2), from C or from Python, nowhere while the block runs.

    Nothing but coach's own document may reach stdout, and a library's own lines
    on stderr would repeat what coach says once, plainly.
    """
    stream = sys.stdout if fd == 1 else sys.stderr
    with contextlib.suppress(OSError, ValueError, AttributeError):
        stream.flush()
    try:
        saved = os.dup(fd)
    except OSError:  # the descriptor is closed: nothing can reach it anyway
        saved = None
    try:
        if saved is not None:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        redirect = contextlib.redirect_stdout if fd == 1 else contextlib.redirect_stderr
        with redirect(io.StringIO()):
            yield
    finally:
        if saved is not None:
            os.dup2(saved, fd)
            os.close(saved)
