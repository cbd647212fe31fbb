"""The reader, by the grammar: the values a person writes mean what they mean."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from coach.errors import RoutineError
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from tests.conftest import coach_command

ONE = "title: T\nsections:\n  - name: S\n    exercises:\n      - name: Calf\n"


def read(tmp_path: Path, text: str) -> Routine:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return load_routine(path)


@pytest.mark.parametrize("word", ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"])
def test_every_yaml_true_counts_aloud(tmp_path: Path, word: str) -> None:
    routine = read(tmp_path, ONE + f"        reps: 3\n        tempo: 2s\n        count: {word}\n")
    assert routine.exercises[0].steps[0].count is True


@pytest.mark.parametrize("word", ["false", "False", "no", "No", "NO", "off", "Off", "OFF"])
def test_every_yaml_false_ticks(tmp_path: Path, word: str) -> None:
    routine = read(tmp_path, ONE + f"        reps: 3\n        tempo: 2s\n        count: {word}\n")
    assert routine.exercises[0].steps[0].count is False


@pytest.mark.parametrize(("written", "reps"), [("010", 10), ("017", 17), ("0x10", 16), ("1_0", 10)])
def test_whole_numbers_read_as_a_person_means_them(tmp_path: Path, written: str, reps: int) -> None:
    routine = read(tmp_path, ONE + f"        reps: {written}\n        tempo: 2s\n")
    assert routine.exercises[0].steps[0].reps == reps


@pytest.mark.parametrize(("written", "seconds"), [("1:30", 90), ("1.0e+2", 100), ("0.5h", 1800)])
def test_durations_read_as_yaml_means_them(tmp_path: Path, written: str, seconds: float) -> None:
    routine = read(tmp_path, ONE + f"        hold: {written}\n")
    assert routine.exercises[0].steps[0].hold_s == seconds


@pytest.mark.parametrize("key", ["hold: 0", "hold: 0s", "tempo: 0"])
def test_zero_is_a_duration_that_is_not_more_than_zero(tmp_path: Path, key: str) -> None:
    reps = "        reps: 3\n" if key.startswith("tempo") else ""
    with pytest.raises(RoutineError) as err:
        read(tmp_path, ONE + reps + f"        {key}\n")
    (problem,) = err.value.problems
    assert problem.message.endswith("must be more than 0, like 30s")


def test_the_simplest_routine_a_person_writes_plays_its_name(tmp_path: Path) -> None:
    path = tmp_path / "simple.yaml"
    path.write_text(ONE + "        hold: 20s\n")
    shown = subprocess.run(
        [*coach_command(), "show", str(path), "--json"], capture_output=True, text=True, check=True
    )
    said = [e["text"] for e in json.loads(shown.stdout)["events"] if e["kind"] == "say"]
    assert "First: Calf." in said
    assert "" not in said


def test_check_refuses_what_show_refuses(tmp_path: Path) -> None:
    path = tmp_path / "fast.yaml"
    path.write_text(ONE + "        reps: 10\n        tempo: 0.001s\n")
    checked = subprocess.run([*coach_command(), "check", str(path)], capture_output=True, text=True)
    shown = subprocess.run([*coach_command(), "show", str(path)], capture_output=True, text=True)
    assert (checked.returncode, shown.returncode) == (2, 2)
    assert checked.stdout == ""
    (line,) = checked.stderr.splitlines()
    assert line.startswith(f"{path}: ")
    assert "make 'tempo' at least" in line  # not "the fastest pace that works is 0"
    assert "Traceback" not in checked.stderr + shown.stderr


def test_check_says_the_length_show_plans(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(ONE + "        hold: 20s\n")
    checked = subprocess.run(
        [*coach_command(), "check", str(path)], capture_output=True, text=True, check=True
    )
    shown = subprocess.run(
        [*coach_command(), "show", str(path)], capture_output=True, text=True, check=True
    )
    length = shown.stdout.splitlines()[1].split()[0]
    assert checked.stdout.strip().endswith(f"; {length} at pace 1)")
