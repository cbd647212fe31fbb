"""Files written whole or not at all: a temporary name beside the target, renamed into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def default_file_mode() -> int:
    """The mode a plain ``open()`` would give a new file (mkstemp's is owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def replacing(target: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A hidden temporary path beside ``target``, renamed onto it when the block succeeds.

    If the block raises (or is interrupted), the temporary file is removed and
    ``target`` is left as it was.
    """
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    tmp = Path(name)
    try:
        os.fchmod(fd, default_file_mode())
        os.close(fd)
        yield tmp
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the whole file or none of it."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
