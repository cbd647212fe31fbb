"""The process around the command line: signals, and standard streams that fail plainly.

stdout may be /dev/full, a closed pipe or a terminal whose locale cannot spell a
file name; none of that may end in a traceback.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import signal
import sys
from collections.abc import Callable

from coach.errors import Terminated

_STREAM_ERRORS = {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF}
"""What writing to stdout can fail with (a full disk, /dev/full, a closed descriptor)."""


def run_guarded(command: Callable[[], object]) -> None:
    """Run the command line with signals and standard streams set up to fail plainly."""
    # A plain SIGTERM would end the process without cleanup; as SystemExit, exports
    # remove their temporary file and a live session stops its sound on the way out.
    signal.signal(signal.SIGTERM, _terminate)
    # A locale that cannot spell a file name or a title (LANG=C without UTF-8) never
    # gets an encoding error: see _unspellable.
    codecs.register_error("coach", _unspellable)
    if sys.stdout is None:  # started with stdout closed (`>&-`): say so if a document is due
        sys.stdout = _Closed()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="coach")  # type: ignore[union-attr]
    try:
        command()
    except OSError as err:
        # Commands turn their own file errors into messages; what escapes to here is
        # the standard output itself failing (a full disk, /dev/full, a closed pipe).
        if err.errno == errno.EPIPE:
            _drop_stdout()
            sys.exit(1)  # the reader went away (| head): nothing to say, as click does
        if err.errno not in _STREAM_ERRORS:
            raise
        _drop_stdout()
        with contextlib.suppress(OSError):
            print(f"coach: cannot write to standard output: {err.strerror}", file=sys.stderr)
        sys.exit(1)


def _unspellable(err: UnicodeError) -> tuple[str | bytes, int]:
    """Characters the output's encoding cannot spell: a file name's own bytes, else an escape.

    A file name that is not text in this locale arrives as surrogates; written back as
    its original bytes, it reads as the user typed it. Anything else (a dash in a
    title on an ASCII terminal) becomes a backslash escape.
    """
    if not isinstance(err, UnicodeEncodeError):
        raise err
    chunk = err.object[err.start : err.end]
    if all(0xDC80 <= ord(ch) <= 0xDCFF for ch in chunk):
        return bytes(ord(ch) - 0xDC00 for ch in chunk), err.end
    return chunk.encode("ascii", "backslashreplace").decode("ascii"), err.end


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


class _Closed(io.TextIOBase):
    """Stands in for a stdout that was closed before coach started: writing to it fails."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "it is closed")


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)
