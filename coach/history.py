"""The sessions you played: one JSON line each in the user's data folder."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from coach.errors import OutputError
from coach.files import broken_link


@dataclass(frozen=True, slots=True)
class Entry:
    started: str
    """Local date and time the session started, ISO 8601."""
    routine: str
    title: str
    pace: float
    total_s: float
    reached_s: float
    completed: bool
    stopped_by: str = ""
    """Why it stopped early: "quit", "interrupt" or "device"; empty when completed."""
    pace_end: float | None = None
    """The pace at the end, when it was changed under way (`+`, `-`)."""
    played_s: float | None = None
    """The real time the session took, pauses included (None in entries before it)."""
    done: list[str] | None = None
    """The exercises and sides played whole (``Calves, left side``)."""
    skipped: list[str] | None = None
    """Those passed over (`n`) while the session went on."""
    repeated: list[str] | None = None
    """Those played whole more than once (`b`)."""


_TYPES: dict[str, tuple[type, ...]] = {
    "started": (str,),
    "routine": (str,),
    "title": (str,),
    "pace": (int, float),
    "total_s": (int, float),
    "reached_s": (int, float),
    "completed": (bool,),
    "stopped_by": (str,),
    "pace_end": (int, float, type(None)),
    "played_s": (int, float, type(None)),
    "done": (list, type(None)),
    "skipped": (list, type(None)),
    "repeated": (list, type(None)),
}
_REQUIRED = [
    "started",
    "routine",
    "title",
    "pace",
    "total_s",
    "reached_s",
    "completed",
]
"""What every entry has had since the first; later fields may be missing from old ones."""


@dataclass(frozen=True, slots=True)
class History:
    entries: tuple[Entry, ...]
    damaged: tuple[int, ...]
    """Line numbers that could not be read (kept in the file, left out here)."""


def append_entry(path: Path, entry: Entry) -> None:
    """Add one line; a last line left without its newline (a crash, an editor) is ended first.

    Raises:
        OutputError: the history cannot be written (the caller decides how much that matters).
    """
    try:
        if path.exists() and not path.is_file():
            raise OutputError(f"{path}: is not a regular file; cannot record the session there")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as history:
            if history.seek(0, 2) > 0:
                history.seek(-1, 2)
                if history.read(1) != b"\n":
                    history.write(b"\n")
            history.write(json.dumps(asdict(entry)).encode() + b"\n")
    except OSError as err:
        raise OutputError(f"{path}: cannot record the session: {err.strerror}") from err


MAX_LINE_BYTES = 65_536
"""An entry is a few hundred bytes; a longer line is damage, skipped without reading it whole."""
_BLOCK_BYTES = 65_536


@dataclass(frozen=True, slots=True)
class Damaged:
    """A line of the history that could not be read (it stays in the file)."""

    line: int


def read_history(path: Path) -> History:
    """Every entry that can be read; a damaged line is skipped and counted, never fatal."""
    entries: list[Entry] = []
    damaged: list[int] = []
    for item in scan_history(path):
        if isinstance(item, Damaged):
            damaged.append(item.line)
        else:
            entries.append(item)
    return History(tuple(entries), tuple(damaged))


def scan_history(path: Path) -> Iterator[Entry | Damaged]:
    """The history oldest first, one line at a time: memory stays flat however long it is."""
    for number, line in _lines(path):
        if line.strip():
            yield _parse(line) or Damaged(number)


def newest_history(path: Path, count: int) -> list[Entry | Damaged]:
    """The newest ``count`` entries, newest first (with the damaged lines among them),
    read from the end of the file: as quick for a history of years as for a week's.

    Only a damaged line needs its number, and only then is the file counted through.
    """
    found: list[Entry | Damaged] = []  # a Damaged holds its place from the end, for now
    taken = 0
    for from_end, line in enumerate(_lines_backwards(path)):
        if taken >= count:
            break
        if not line.strip():
            continue
        entry = _parse(line)
        found.append(entry or Damaged(from_end))
        taken += entry is not None
    if not any(isinstance(item, Damaged) for item in found):
        return found
    total = _count_lines(path)
    return [Damaged(total - item.line) if isinstance(item, Damaged) else item for item in found]


def history_problem(path: Path) -> str | None:
    """Why ``path`` can hold no history (a folder, a FIFO, a link to nothing); None if it can."""
    if path.is_symlink() and not path.exists():
        return broken_link(path)
    if path.exists() and not path.is_file():
        return f"{path}: is not a regular file, so it holds no history"
    return None


_TOO_LONG = b"\x00too long"
"""Stands in for a line over ``MAX_LINE_BYTES`` (not JSON, so ``_parse`` finds it damaged)."""


def _open(path: Path) -> BinaryIO | None:
    """The history for reading; None when there is none or it is not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or a device is no history
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    history = _open(path)
    if history is None:
        return
    with history:
        number = 0
        while line := history.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := history.readline(_BLOCK_BYTES)) and not rest.endswith(b"\n"):
                    pass
                line = _TOO_LONG
            yield number, line


def _count_lines(path: Path) -> int:
    history = _open(path)
    if history is None:
        return 0
    with history:
        lines, last = 0, b"\n"
        while block := history.read(_BLOCK_BYTES):
            lines += block.count(b"\n")
            last = block[-1:]
        return lines + (last != b"\n")


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The file's lines, last first, read a block at a time from the end."""
    history = _open(path)
    if history is None:
        return
    with history:
        position = history.seek(0, os.SEEK_END)
        if position == 0:
            return
        history.seek(position - 1)
        if history.read(1) == b"\n":
            position -= 1  # the newline that ends the last line starts no line after it
        pending, long = b"", False  # the part of the current line read so far, from its end
        while position > 0:
            size = min(_BLOCK_BYTES, position)
            position -= size
            history.seek(position)
            pieces = history.read(size).split(b"\n")
            if len(pieces) > 1:
                line = pieces[-1] + pending
                yield _TOO_LONG if long or len(line) > MAX_LINE_BYTES else line
                for middle in reversed(pieces[1:-1]):
                    yield middle if len(middle) <= MAX_LINE_BYTES else _TOO_LONG
                pending, long = b"", False
            pending = pieces[0] + pending
            if long or len(pending) > MAX_LINE_BYTES:
                pending, long = b"", True
        yield _TOO_LONG if long else pending


def _parse(line: bytes) -> Entry | None:
    try:
        item = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(item, dict) or any(key not in item for key in _REQUIRED):
        return None
    values: dict[str, Any] = {}
    for key, types in _TYPES.items():
        if key not in item:
            continue
        value = item[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            return None
        values[key] = value
    return Entry(**values)
