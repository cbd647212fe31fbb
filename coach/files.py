"""Files written whole or not at all, and the checks that an output path is usable first."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from coach.errors import TargetError


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


class UnreadableError(Exception):
    """A file to read is not one (a folder, a device, a FIFO), is too big, or cannot be read.

    The message says which, without the path (the caller names the file and its kind)."""


def read_small_file(path: Path, limit: int, kind: str) -> bytes:
    """A regular file's bytes, at most ``limit`` of them, never waiting on a FIFO or device.

    ``kind`` is what the user should give instead, for the message: ``a routine file (.yaml)``.

    Raises:
        UnreadableError: a folder, not a regular file, over ``limit`` bytes, or unreadable.
    """
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise UnreadableError(f"cannot read the file: {err.strerror}") from err
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableError(f"is a folder; give {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableError(f"is not a regular file (a device, FIFO or socket); give {kind}")
        if info.st_size > limit:
            raise UnreadableError(f"file is {info.st_size} bytes; {kind} is at most {limit}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit and (chunk := os.read(fd, 65_536)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise UnreadableError(f"cannot read the file: {err.strerror}") from err
    finally:
        os.close(fd)
    if size > limit:  # it grew while we read
        raise UnreadableError(f"file is over {limit} bytes; {kind} is at most that")
    return b"".join(chunks)


def broken_link(path: Path) -> str | None:
    """``PATH: is a link to TARGET, which does not exist`` when ``path`` is a link to nothing
    (or a loop of links); None otherwise."""
    if path.is_symlink() and not path.exists():
        return f"{path}: is a link to {path.readlink()}, which does not exist"
    return None


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the whole file or none of it."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def check_new_file(path: Path, *, force: bool, hint: str = "session.wav") -> None:
    """Refuse, before any work is done, a path coach must not or cannot write a file at.

    A folder, a device, FIFO or socket (even with ``force``), a file that exists
    (unless ``force``), a missing folder, or a folder that takes no new files.

    Raises:
        TargetError: with what is wrong and what to do instead.
    """
    if path.is_dir():
        raise TargetError(f"{path}: is a folder; give a file name like {hint}")
    if path.exists() and not path.is_file():
        raise TargetError(
            f"{path}: is not a regular file (a device, FIFO or socket); "
            "coach writes and replaces only regular files, so give another name"
        )
    if path.exists() and not force:
        raise TargetError(f"{path}: already exists; use --force to replace it")
    folder = path.parent
    if not folder.is_dir():
        raise TargetError(f"{folder}: no such folder; create it first")
    # Try it: permission bits do not tell (root, read-only mounts, /proc).
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
    except OSError as err:
        raise TargetError(
            f"{folder}: cannot create files there ({err.strerror}); choose another folder"
        ) from err
    os.close(fd)
    Path(probe).unlink()


def check_distinct(paths: dict[str, Path | None]) -> None:
    """Refuse two outputs (or an output and an input) that name the same file.

    ``paths`` maps each option (``-o``, ``--cues``) to its path, or None when not given.

    Raises:
        TargetError: two of them are one file.
    """
    seen: list[tuple[str, Path]] = []
    for option, path in paths.items():
        if path is None:
            continue
        for other_option, other in seen:
            if _same_file(path, other):
                raise TargetError(
                    f"{path}: given to both {other_option} and {option}; "
                    "each needs a file of its own"
                )
        seen.append((option, path))


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        with contextlib.suppress(OSError):
            return a.samefile(b)
    return a.resolve() == b.resolve()


def open_log(path: Path | None) -> TextIO | None:
    """The --log file, line-buffered: a killed session leaves every line it fired.

    A FIFO or a terminal works (a reader can follow the session); a FIFO with no
    reader is refused at once instead of blocking.
    """
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, 0o666)
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise TargetError(f"{path}: a FIFO with no reader; start its reader first") from err
        raise TargetError(f"{path}: cannot write the log: {err.strerror}") from err
    try:
        os.set_blocking(fd, True)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.ftruncate(fd, 0)
        return open(fd, "w", encoding="utf-8", buffering=1)  # noqa: PTH123 (a descriptor)
    except OSError as err:
        os.close(fd)
        raise TargetError(f"{path}: cannot write the log: {err.strerror}") from err
