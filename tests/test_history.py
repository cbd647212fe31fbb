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


# --- long histories: streamed, and the newest first -------------------------------------


def entry(n: int) -> Entry:
    return Entry(
        started=f"2026-11-{1 + n % 28:02d}T06:{n % 60:02d}:00+00:00",
        routine=f"r{n}",
        title="T",
        pace=1.0,
        total_s=60.0,
        reached_s=60.0,
        completed=True,
    )


def history_run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    return subprocess.run(
        [*coach_command(), "history", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_last_n_is_the_newest_first_and_damage_among_them_is_said(tmp_path: Path) -> None:
    path = tmp_path / "coach" / "history.jsonl"
    path.parent.mkdir(parents=True)
    lines = [json.dumps(asdict(entry(n))) for n in range(1, 41)]
    lines[37] = "{damaged"  # line 38
    path.write_text("\n".join(lines))  # and no newline after the last
    run = history_run(tmp_path, "--last", "3", "--json")
    assert run.returncode == 0, run.stderr
    assert [json.loads(line)["routine"] for line in run.stdout.splitlines()] == [
        "r40",
        "r39",
        "r37",
    ]
    assert (
        run.stderr
        == f"coach: warning: {path}: skipped 1 damaged line (38); they stay in the file\n"
    )
    everything = history_run(tmp_path, "--json")
    assert [json.loads(line)["routine"] for line in everything.stdout.splitlines()] == [
        f"r{n}" for n in range(1, 41) if n != 38
    ]
    assert history_run(tmp_path, "--last", "0").returncode == 2


def test_a_line_of_a_megabyte_is_damage_not_a_burden(tmp_path: Path) -> None:
    path = tmp_path / "coach" / "history.jsonl"
    path.parent.mkdir(parents=True)
    good = json.dumps(asdict(entry(1)))
    path.write_text(good + "\n" + "x" * 1_000_000 + "\n" + good + "\n")
    for args in ([], ["--last", "5"]):
        run = history_run(tmp_path, *args)
        assert run.returncode == 0
        assert len(run.stdout.splitlines()) == 2
        assert "skipped 1 damaged line (2)" in run.stderr


def test_a_big_history_streams_into_a_pipe_that_closes(tmp_path: Path) -> None:
    path = tmp_path / "coach" / "history.jsonl"
    path.parent.mkdir(parents=True)
    line = (json.dumps(asdict(entry(1))) + "\n").encode()
    with path.open("wb") as history:
        for _ in range(100):
            history.write(line * 2_000)  # 200,000 entries, about 40 MB
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    shell = f'{" ".join(coach_command())} history | head -2; echo "${{PIPESTATUS[0]}}"'
    run = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True, timeout=60)
    assert run.stdout.splitlines()[:2] == [run.stdout.splitlines()[0]] * 2
    assert run.stdout.splitlines()[2] == "1"  # the reader went away: status 1, no traceback
    assert "Traceback" not in run.stderr
    newest = history_run(tmp_path, "--last", "1")
    assert newest.returncode == 0
    assert len(newest.stdout.splitlines()) == 1


def test_no_history_yet_is_said(tmp_path: Path) -> None:
    run = history_run(tmp_path)
    assert run.returncode == 0
    assert run.stdout == ""
    assert run.stderr.startswith("coach: no sessions yet; each `coach play` adds one to ")


@pytest.mark.parametrize("block", [1, 7, 64, 65_536])
@pytest.mark.parametrize("trailing", [b"", b"\n", b"\n\n"])
def test_reading_backwards_gives_the_lines_forwards_reversed(
    tmp_path: Path, block: int, trailing: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coach.history as history

    monkeypatch.setattr(history, "_BLOCK_BYTES", block)
    monkeypatch.setattr(history, "MAX_LINE_BYTES", 50)
    lines = [b"a" * n for n in (0, 3, 49, 50, 51, 120, 1, 0, 7)]
    path = tmp_path / "h"
    path.write_bytes(b"\n".join(lines) + trailing)
    forwards = [line.rstrip(b"\n") for _, line in history._lines(path)]
    assert list(history._lines_backwards(path)) == forwards[::-1]
    assert history._count_lines(path) == len(forwards)
    assert history._TOO_LONG in forwards


@pytest.mark.parametrize("kind", ["folder", "fifo", "broken link"])
def test_a_history_that_is_not_a_file_is_said_not_called_empty(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "coach" / "history.jsonl"
    path.parent.mkdir(parents=True)
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(tmp_path / "gone.jsonl")
    for args in ([], ["--last", "2"]):
        run = history_run(tmp_path, *args)
        assert run.returncode == 0
        assert run.stderr.startswith(f"coach: warning: {path}: ")
        assert run.stderr.endswith("; move it away to record sessions\n")
