"""The history file: appended safely, read whatever damage it has."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest

from coach.errors import OutputError
from coach.history import Entry, append_entry, read_history
from tests.conftest import coach_command

ENTRY = Entry(
    started="2026-11-24T06:00:00+00:00",
    routine="smr-legs",
    title="Legs",
    pace=1.0,
    total_s=1035.1,
    reached_s=1035.1,
    completed=True,
)


def test_an_entry_after_a_line_without_its_newline_is_not_glued_to_it(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(asdict(ENTRY)))  # an editor or a crash left no newline
    append_entry(path, ENTRY)
    history = read_history(path)
    assert history.entries == (ENTRY, ENTRY)
    assert history.damaged == ()


@pytest.mark.parametrize(
    "bad",
    [
        b'{"started": 5, "routine": "x", "title": "t", "pace": 1, "total_s": 1, "reached_s": 1, "completed": true}',
        b'{"started": "s", "routine": "x", "title": "t", "pace": "fast", "total_s": 1, "reached_s": 1, "completed": true}',
        b'{"started": "s", "routine": "x", "title": "t", "pace": 1, "total_s": 1, "reached_s": 1, "completed": 1}',
        b'{"started": "s", "routine": "x", "title": "t", "pace": 1, "total_s": 1, "reached_s": 1}',
        b'{"started": "s", "routine": "x\xff", "title": "t", "pace": 1, "total_s": 1, "reached_s": 1, "completed": true}',
        b'{"started": "s", "routine": "x", "title": "t", "pace": Infinity, "total_s": 1, "reached_s": 1, "completed": true}',
        b"[1, 2, 3]",
        b"[" * 100_000,
        b"\x00\x01garbage",
    ],
)
def test_damaged_lines_are_skipped_and_counted(tmp_path: Path, bad: bytes) -> None:
    path = tmp_path / "history.jsonl"
    good = json.dumps(asdict(ENTRY)).encode()
    path.write_bytes(good + b"\n" + bad + b"\n" + good + b"\n")
    history = read_history(path)
    assert history.entries == (ENTRY, ENTRY)
    assert history.damaged == (2,)


def test_unknown_fields_from_a_newer_coach_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(asdict(ENTRY) | {"mood": "calm"}) + "\n")
    assert read_history(path).entries == (ENTRY,)


def test_a_history_that_is_not_a_file_is_refused_not_written(tmp_path: Path) -> None:
    fifo = tmp_path / "history.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="is not a regular file"):
        append_entry(fifo, ENTRY)
    assert read_history(fifo).entries == ()


def test_coach_history_lists_good_lines_and_warns_of_damaged_ones(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "coach" / "history.jsonl"
    path.parent.mkdir(parents=True)
    good = json.dumps(asdict(ENTRY)).encode()
    path.write_bytes(good + b"\n\xff\xfe not json\n" + good.replace(b"1.0", b'"x"', 1) + b"\n")
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    run = subprocess.run(
        [*coach_command(), "history"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0
    assert len(run.stdout.splitlines()) == 1
    assert "smr-legs" in run.stdout
    assert run.stderr == (
        f"coach: warning: {path}: skipped 2 damaged lines (2, 3); they stay in the file\n"
    )
