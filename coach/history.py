"""The sessions you played: one JSON line each in the user's data folder."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from coach.errors import OutputError


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
}
_REQUIRED = [f.name for f in fields(Entry) if f.name not in ("stopped_by", "pace_end")]


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


def read_history(path: Path) -> History:
    """Every entry that can be read; a damaged line is skipped and counted, never fatal."""
    if not path.is_file():
        return History((), ())
    try:
        data = path.read_bytes()
    except OSError:
        return History((), ())
    entries: list[Entry] = []
    damaged: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        entry = _parse(line)
        if entry is None:
            damaged.append(number)
        else:
            entries.append(entry)
    return History(tuple(entries), tuple(damaged))


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
        values[key] = value
    return Entry(**values)
