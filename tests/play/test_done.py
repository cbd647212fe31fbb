"""History that tells what happened: holds played to their end, skipped, played again."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from coach.cli.live import record_played
from coach.history import read_history
from coach.play.done import parts_of
from coach.play.player import play_session
from coach.play.transport import Command, PlayResult
from coach.render.session import Session
from coach.testing import FakeClock, FakeControls, FakeOutput, tone_session
from tests.conftest import coach_command


@pytest.fixture(scope="module")
def knees() -> Session:
    return tone_session("smr-knees", pace=2.0)


def run(session: Session, presses: list[tuple[float, Command]]) -> PlayResult:
    clock = FakeClock(interrupt_at=session.timeline.total_s + 600)  # a hang ends as Ctrl-C
    return play_session(
        session,
        FakeOutput(clock),
        clock,
        controls=FakeControls(clock, presses),
        wait_when_ready=False,
    )


def history_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}


def test_a_session_played_through_is_complete_with_every_part_done(
    knees: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    played = run(knees, [])
    assert played.completed
    assert all(n == 1 for n in played.done)
    parts = parts_of(knees.timeline, played.done, reached_end=True)
    assert (len(parts.done), parts.skipped, parts.repeated) == (parts.planned, (), ())
    history_in(tmp_path, monkeypatch)
    record_played("2026-12-03T10:00:00+00:00", knees.timeline, played)
    entry = read_history(tmp_path / "data" / "coach" / "history.jsonl").entries[-1]
    assert entry.completed
    assert entry.played_s == pytest.approx(knees.timeline.total_s, abs=0.5)


def test_next_twice_is_not_complete_and_says_what_was_skipped_and_the_real_time(
    knees: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: smr-knees at pace 2, skipped twice, ended after 66 s; history said "3:59 complete"."""
    first = knees.timeline.holds[0]
    played = run(knees, [(first.start_s + 3, Command.NEXT), (first.start_s + 6, Command.NEXT)])
    assert played.stopped_by is None  # it reached its end…
    assert played.played_s < knees.timeline.total_s / 2  # …in far less than its length
    env = history_in(tmp_path, monkeypatch)
    record_played("2026-12-03T10:00:00+00:00", knees.timeline, played)
    entry = json.loads(
        subprocess.run(
            [*coach_command(), "history", "--json"], env=env, capture_output=True, check=True
        ).stdout
    )
    assert entry["completed"] is False
    assert "Knee bends over the ball, left side" in entry["skipped"]
    assert "Calf rolls, right side" in entry["skipped"]
    assert entry["done"] == ["Rest on your back"]
    line = subprocess.run(
        [*coach_command(), "history"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "complete" not in line
    assert "reached the end in 0:" in line
    assert "skipped Knee bends over the ball, left side" in line


def test_back_plays_a_part_again_and_history_says_so(knees: Session) -> None:
    timeline = knees.timeline
    calves = next(s for s in timeline.segments if s.exercise == "Calf rolls")
    # back, two seconds before the right calf's last hold ends: the exercise again from its start
    played = run(knees, [(calves.end_s - 2, Command.BACK)])
    parts = parts_of(timeline, played.done, played.completed)
    assert played.completed
    assert parts.skipped == ()
    assert parts.repeated == ("Calf rolls, left side",)
    assert "Calf rolls, right side" in parts.done


def test_a_session_stopped_early_skips_nothing_it_did_not_reach(knees: Session) -> None:
    holds = knees.timeline.holds
    # both rounds of both sides of the knee bends, then quit
    played = run(knees, [(holds[3].end_s + 1, Command.QUIT)])
    parts = parts_of(knees.timeline, played.done, played.completed)
    assert played.stopped_by is not None
    assert parts.skipped == ()
    assert parts.done == (
        "Knee bends over the ball, left side",
        "Knee bends over the ball, right side",
    )


def test_old_entries_without_the_new_fields_are_read(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    old = {
        "started": "2026-11-01T06:00:00+00:00",
        "routine": "smr-legs",
        "title": "T",
        "pace": 1.0,
        "total_s": 1035.0,
        "reached_s": 1035.0,
        "completed": True,
        "stopped_by": "",
        "pace_end": None,
    }
    path.write_text(json.dumps(old) + "\n" + json.dumps({**old, "skipped": [3]}) + "\n")
    history = read_history(path)
    assert [e.completed for e in history.entries] == [True]
    assert history.entries[0].played_s is None
    assert history.damaged == (2,)
