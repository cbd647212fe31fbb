"""The sessions you played: one JSON line each in the user's data folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

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


def append_entry(path: Path, entry: Entry) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as history:
            history.write(json.dumps(asdict(entry)) + "\n")
    except OSError as err:
        raise OutputError(f"{path}: cannot record the session: {err.strerror}") from err


def read_entries(path: Path) -> list[Entry]:
    """Every entry that can be read; a damaged line is skipped, not fatal."""
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(Entry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return entries
