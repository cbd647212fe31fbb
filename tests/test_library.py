"""Your own routines: found by name, listed beside the bundled ones, started and edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.library import list_library
from coach.loader import load_routine
from coach.resources import set_user_routines_dir
from coach.routine import Routine
from tests.conftest import SHORT, coach_command


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An environment whose user config (and routines folder) is empty and its own."""
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}


def routines_dir(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "coach" / "routines"


def coach(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [*coach_command(), *args], capture_output=True, text=True, timeout=120, env=env, **kwargs
    )


def test_new_writes_a_starter_that_plays_as_it_is(home: dict[str, str]) -> None:
    made = coach("new", "my-legs", env=home)
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip())
    assert path == routines_dir(home) / "my-legs.yaml"
    assert "# my-legs: a routine for coach" in path.read_text()
    checked = coach("check", "my-legs", env=home)
    assert checked.returncode == 0, checked.stderr
    assert "2 exercises, 3 holds" in checked.stdout
    again = coach("new", "my-legs", env=home)
    assert again.returncode == 2
    assert "already exists; `coach edit my-legs` changes it" in again.stderr


def test_new_from_copies_a_routine_to_adapt(home: dict[str, str]) -> None:
    made = coach("new", "legs", "--from", "smr-legs", env=home)
    assert made.returncode == 0, made.stderr
    mine = load_routine(Path(made.stdout.strip()))
    assert mine.exercises == load_routine("smr-legs").exercises


@pytest.mark.parametrize("name", ["../escape", "a/b", "", "_x", "spaced name", ".hidden"])
def test_new_refuses_names_that_are_not_names(home: dict[str, str], name: str) -> None:
    result = coach("new", name, env=home)
    assert result.returncode == 2
    assert "is not a routine name" in result.stderr
    assert not routines_dir(home).exists()


def test_a_user_routine_is_found_by_name_and_shadows_a_bundled_one(home: dict[str, str]) -> None:
    folder = routines_dir(home)
    folder.mkdir(parents=True)
    (folder / "smr-back.yaml").write_text(SHORT.read_text())
    (folder / "mine.yaml").write_text(SHORT.read_text().replace("Test routine", "Mine"))
    (folder / "wrapper.yaml").write_text("title: Wrapper\nsections:\n  - include: mine\n")
    shown = coach("show", "smr-back", "--json", env=home)
    assert json.loads(shown.stdout)["title"] == "Test routine"
    assert json.loads(coach("show", "wrapper", "--json", env=home).stdout)["routine"] == "wrapper"
    listed = {item["name"]: item for item in json.loads(coach("list", "--json", env=home).stdout)}
    assert listed["smr-back"]["source"] == "user"
    assert listed["smr-back"]["shadows"] is True
    assert listed["mine"]["title"] == "Mine"
    assert listed["smr-legs"]["source"] == "bundled"
    text = coach("list", env=home).stdout
    assert (
        "user (shadows)"
        in text.splitlines()[[line.split()[0] for line in text.splitlines()].index("smr-back")]
    )


def test_a_broken_user_routine_never_hides_the_others(home: dict[str, str]) -> None:
    folder = routines_dir(home)
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("title: Broken\nsections: [\n")
    (folder / "fifo.yaml").unlink(missing_ok=True)
    os.mkfifo(folder / "fifo.yaml")
    (folder / "good.yaml").write_text(SHORT.read_text())
    result = coach("list", env=home)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) >= {"broken", "fifo", "good", "smr-legs"}
    assert f"{folder / 'broken.yaml'}:3: invalid YAML" in lines["broken"]
    assert "not a regular file" in lines["fifo"]
    assert "Test routine" in lines["good"]


def test_listing_measures_once_and_again_only_what_changed(tmp_path: Path) -> None:
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / "a.yaml").write_text(SHORT.read_text())
    (folder / "inner.yaml").write_text(SHORT.read_text())
    (folder / "outer.yaml").write_text("title: Outer\nsections:\n  - include: inner\n")
    measured: list[str] = []

    def measure(routine: Routine) -> float:
        measured.append(routine.name)
        return 60.0 * len(routine.exercises)

    set_user_routines_dir(folder)
    try:
        cache = tmp_path / "list.json"
        first = list_library(measure, cache, "key")
        assert {"a", "inner", "outer", "smr-legs"} <= set(measured)
        measured.clear()
        assert list_library(measure, cache, "key") == first
        assert measured == []
        # an included file changes: the routine that includes it is measured again
        inner = folder / "inner.yaml"
        inner.write_text(SHORT.read_text().replace("Traps", "Neck"))
        os.utime(inner, ns=(1, 1))
        list_library(measure, cache, "key")
        assert sorted(measured) == ["inner", "outer"]
        measured.clear()
        list_library(measure, cache, "another rate")  # what lengths depend on changed
        assert "a" in measured
        cache.write_text("{damaged")
        assert list_library(measure, cache, "another rate") == list_library(
            measure, cache, "another rate"
        )
    finally:
        set_user_routines_dir(None)


EDITOR = """\
import pathlib, sys
state = pathlib.Path(sys.argv[0]).with_suffix(".count")
count = int(state.read_text()) if state.exists() else 0
state.write_text(str(count + 1))
versions = {versions!r}
pathlib.Path(sys.argv[1]).write_text(versions[min(count, len(versions) - 1)])
"""


def fake_editor(tmp_path: Path, versions: list[str]) -> str:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(versions=versions))
    return f"{sys.executable} {script}"


def test_edit_checks_on_save_and_reopens_on_problems(home: dict[str, str], tmp_path: Path) -> None:
    coach("new", "mine", env=home)
    broken = "title: Mine\nsections:\n  - name: S\n    exercises:\n      - name: A\n        setup: x\n        hold: soon\n"
    good = SHORT.read_text()
    env = {**home, "EDITOR": fake_editor(tmp_path, [broken, good])}
    result = coach("edit", "mine", env=env, input="y\n")
    assert result.returncode == 0, result.stderr
    assert "'hold' must be a duration like 90s" in result.stderr
    assert "Edit it again?" in result.stderr
    assert result.stdout.endswith("ok (3 exercises, 7 holds, 2m44s on the ball)\n")
    assert (tmp_path / "editor.count").read_text() == "2"


def test_edit_declined_keeps_the_file_and_exits_2(home: dict[str, str], tmp_path: Path) -> None:
    coach("new", "mine", env=home)
    env = {**home, "EDITOR": fake_editor(tmp_path, ["title: [\n"])}
    result = coach("edit", "mine", env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "invalid YAML" in result.stderr
    assert (routines_dir(home) / "mine.yaml").read_text() == "title: [\n"


def test_a_bundled_routine_is_copied_before_it_is_edited(home: dict[str, str]) -> None:
    result = coach("edit", "smr-legs", env={**home, "EDITOR": "false"})
    assert result.returncode == 2
    assert "coach new smr-legs --from smr-legs" in result.stderr
