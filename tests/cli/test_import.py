"""coach import, as a user runs it: routines from JAWT and apg files that check and play."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.alsa_capture import capture_home, sounded_s
from tests.conftest import coach_command
from tests.routine.test_imports import jawt_bytes, jawt_workout


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def user(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A user of their own: their routines folder starts empty; sound is captured by ALSA."""
    env, capture = capture_home(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env, capture


def routines_of(env: dict[str, str]) -> list[str]:
    folder = Path(env["XDG_CONFIG_HOME"]) / "coach" / "routines"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def shown(env: dict[str, str], name: str, *options: str) -> dict[str, Any]:
    done = run(env, "show", name, "--json", *options)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def played(env: dict[str, str], capture: Path, name: str, *options: str) -> float:
    """Seconds from the first sound ALSA was handed for a whole session of ``name`` to its
    last."""
    log = capture.with_name("log.jsonl")
    done = run(env, "play", name, "--quiet", "--log", str(log), *options)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return sounded_s(capture)


def sounding_s(data: dict[str, Any]) -> float:
    """From the timeline's first clip to the end of its last: what a whole session plays."""
    events = data["events"]
    return float(max(e["at_s"] + e["duration_s"] for e in events) - events[0]["at_s"])


def test_a_jawt_export_imports_checks_and_plays(
    user: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, capture = user
    source = tmp_path / "Quick.json"
    workout = jawt_workout("Quick core", [(2, [("Plank", 12), ("Rest", 6)]), (1, [("Squats", 10)])])
    source.write_bytes(jawt_bytes({"workouts": [workout]}))
    done = run(env, "import", str(source))
    assert done.returncode == 0, done.stderr
    target = Path(env["XDG_CONFIG_HOME"]) / "coach" / "routines" / "quick-core.yaml"
    assert done.stdout == f"{target}\n"  # the path, and nothing else, on stdout
    assert done.stderr == ""  # everything mapped
    checked = run(env, "check", str(target))
    assert checked.returncode == 0, checked.stderr
    data = shown(env, "quick-core", "--pace", "4")
    holds = [(h["exercise"], h["round"], h["end_s"] - h["start_s"]) for h in data["holds"]]
    assert [(name, rnd) for name, rnd, _ in holds] == [
        ("Plank", 1),
        ("Rest", 1),
        ("Plank", 2),
        ("Rest", 2),
        ("Squats", None),
    ]
    assert [round(s * 4) for _, _, s in holds] == [12, 6, 12, 6, 10]
    heard_s = played(env, capture, "quick-core", "--pace", "4")
    assert heard_s == pytest.approx(sounding_s(data), rel=0.05)


def test_an_apg_program_imports_and_plays_its_phrases(
    user: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, capture = user
    source = tmp_path / "breathe.txt"
    source.write_text("*;1\nBreathe in;2\nBreathe out;2\nWell done;0\n", encoding="utf-8")
    done = run(env, "import", str(source), "--name", "calm")
    assert done.returncode == 0, done.stderr
    assert routines_of(env) == ["calm.yaml"]
    data = shown(env, "calm")
    said = [e["text"] for e in data["events"] if e["kind"] == "say"]
    assert said.index("Breathe in") < said.index("Breathe out") < said.index("Well done")
    heard_s = played(env, capture, "calm")
    assert heard_s == pytest.approx(sounding_s(data), rel=0.05)


def test_what_did_not_map_is_said_and_the_rest_imported(
    user: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = user
    source = tmp_path / "w.json"
    source.write_bytes(jawt_bytes(jawt_workout("W", [(1, [("Plank", 30), ("Nothing", 0)])])))
    done = run(env, "import", str(source))
    assert done.returncode == 0, done.stderr
    (note,) = done.stderr.splitlines()
    assert note.startswith(f"coach import: {source}: w: ")
    assert "Nothing" in note
    assert routines_of(env) == ["w.yaml"]


def test_a_bad_file_is_one_line_and_nothing_is_written(
    user: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = user
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x", "sets": [', encoding="utf-8")
    for bad in (fifo, broken, tmp_path, tmp_path / "missing.txt"):
        done = run(env, "import", str(bad))
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert str(bad) in done.stderr
        assert done.stdout == ""
    assert routines_of(env) == []


def test_nothing_is_written_unless_every_workout_can_be(
    user: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = user
    fine = jawt_workout("Fine", [(1, [("Plank", 30)])])
    endless = jawt_workout("Endless", [(100, [("Hold", 3600)])])  # 100 hours: no session
    source = tmp_path / "Backup.json"
    source.write_bytes(jawt_bytes({"workouts": [fine, endless]}))
    done = run(env, "import", str(source))
    assert done.returncode == 2
    assert "6h" in done.stderr
    assert routines_of(env) == []
    named = run(env, "import", str(source), "--name", "one")
    assert named.returncode == 2
    assert "--name" in named.stderr
    assert routines_of(env) == []


def test_a_routine_of_that_name_is_replaced_only_with_force(
    user: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = user
    source = tmp_path / "w.json"
    source.write_bytes(jawt_bytes(jawt_workout("Mine", [(1, [("Plank", 30)])])))
    folder = Path(env["XDG_CONFIG_HOME"]) / "coach" / "routines"
    folder.mkdir(parents=True)
    mine = folder / "mine.yaml"
    mine.write_text("# my own\n", encoding="utf-8")
    done = run(env, "import", str(source))
    assert done.returncode == 2
    assert "--force" in done.stderr
    assert mine.read_text(encoding="utf-8") == "# my own\n"
    forced = run(env, "import", str(source), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Just Another Workout Timer" in mine.read_text(encoding="utf-8")
