"""Your own routines: found by name, listed beside the bundled ones, started and edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.routine.library import list_library
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.routine.shelf import Shelf
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

    prepared: list[list[str]] = []

    def prepare(routines: list[Routine]) -> None:
        assert measured == []  # before any is measured: their speech is rendered together
        prepared.append(sorted(r.name for r in routines))

    shelf = Shelf(folder)
    cache = tmp_path / "list.json"
    first = list_library(measure, cache, "key", shelf, prepare=prepare)
    assert {"a", "inner", "outer", "smr-legs"} <= set(measured)
    assert prepared == [sorted(measured)]  # once, with every routine then measured
    measured.clear()
    assert list_library(measure, cache, "key", shelf) == first
    assert measured == []
    # an included file changes: the routine that includes it is measured again
    inner = folder / "inner.yaml"
    inner.write_text(SHORT.read_text().replace("Traps", "Neck"))
    os.utime(inner, ns=(1, 1))
    prepared.clear()
    list_library(measure, cache, "key", shelf, prepare=prepare)
    assert sorted(measured) == ["inner", "outer"]
    assert prepared == [["inner", "outer"]]
    measured.clear()
    list_library(measure, cache, "another rate", shelf)  # what lengths depend on changed
    assert "a" in measured
    cache.write_text("{damaged")
    assert list_library(measure, cache, "another rate", shelf) == list_library(
        measure, cache, "another rate", shelf
    )


EDITOR = """\
import pathlib, sys
state = pathlib.Path(sys.argv[0]).with_suffix(".count")
count = int(state.read_text()) if state.exists() else 0
state.write_text(str(count + 1))
versions = {versions!r}
pathlib.Path(sys.argv[1]).write_text(versions[min(count, len(versions) - 1)])
"""


def edit_mine(
    home: dict[str, str], editor: str, **kwargs: object
) -> tuple[Path, bytes, subprocess.CompletedProcess[str]]:
    """A new starter routine "mine" edited with ``editor``: its path, its bytes before, the run."""
    coach("new", "mine", env=home)
    path = routines_dir(home) / "mine.yaml"
    before = path.read_bytes()
    return path, before, coach("edit", "mine", env={**home, "EDITOR": editor}, **kwargs)


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


def test_edit_declined_keeps_the_routine_as_it_was_and_the_edit_beside_it(
    home: dict[str, str], tmp_path: Path
) -> None:
    editor = fake_editor(tmp_path, ["title: [\n"])
    path, before, result = edit_mine(home, editor, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert f"{path}:2: invalid YAML" in result.stderr  # named as the routine, not the draft
    assert path.read_bytes() == before
    kept = path.with_name("mine.yaml.rejected")
    assert f"{path}: left as it was; your edit is in {kept}" in result.stderr
    assert kept.read_text() == "title: [\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine.yaml", "mine.yaml.rejected"]
    assert "Traceback" not in result.stderr


def test_edit_declined_twice_then_kept_as_it_is(home: dict[str, str], tmp_path: Path) -> None:
    path, _, result = edit_mine(home, fake_editor(tmp_path, ["title: [\n"]), input="n\ny\n")
    assert result.returncode == 2
    assert "Keep it as it is, with these problems?" in result.stderr
    assert path.read_text() == "title: [\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine.yaml"]


@pytest.mark.parametrize(
    "editor",
    [
        "truncate -s0",
        "rm -f",
        f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write('  \\n')\"",
    ],
)
def test_an_edit_that_empties_or_deletes_the_file_changes_nothing(
    home: dict[str, str], editor: str
) -> None:
    coach("new", "mine", "--from", "smr-legs", env=home)
    path = routines_dir(home) / "mine.yaml"
    before = path.read_bytes()
    assert len(before) > 3000
    result = coach("edit", "mine", env={**home, "EDITOR": editor}, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"coach: {path}: the edit left nothing; the routine is unchanged\n"
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine.yaml"]


def test_edit_through_a_link_changes_the_file_it_names(
    home: dict[str, str], tmp_path: Path
) -> None:
    real = tmp_path / "dotfiles" / "mine.yaml"
    real.parent.mkdir()
    real.write_text(SHORT.read_text())
    routines_dir(home).mkdir(parents=True)
    (routines_dir(home) / "mine.yaml").symlink_to(real)
    good = SHORT.read_text().replace("Test routine", "Edited")
    env = {**home, "EDITOR": fake_editor(tmp_path, [good])}
    result = coach("edit", "mine", env=env)
    assert result.returncode == 0, result.stderr
    assert (routines_dir(home) / "mine.yaml").is_symlink()
    assert real.read_text() == good


@pytest.mark.parametrize("editor", ["false", "no-such-editor-anywhere"])
def test_a_failing_editor_is_the_users_setting(home: dict[str, str], editor: str) -> None:
    path, before, result = edit_mine(home, editor)
    assert result.returncode == 2
    assert result.stderr.startswith(f"coach: '{editor}' could not edit")
    assert result.stderr.rstrip().endswith("set EDITOR to an editor that works, like EDITOR=nano")
    assert len(result.stderr.splitlines()) == 1
    assert path.read_bytes() == before


def test_a_routines_folder_that_is_a_file_is_said(home: dict[str, str]) -> None:
    folder = routines_dir(home)
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder")
    made = coach("new", "mine", env=home)
    assert made.returncode == 2
    assert made.stderr == (
        f"coach: {folder}: is not a folder, so your routines cannot live there; move it "
        "away, or set `routines` in config.toml to a folder\n"
    )
    listed = coach("list", env=home)
    assert listed.returncode == 0
    assert listed.stderr.startswith(f"coach: warning: {folder}: is not a folder")
    assert "smr-legs" in listed.stdout


def test_a_name_too_long_says_so(home: dict[str, str]) -> None:
    result = coach("new", "a" * 250, env=home)
    assert result.returncode == 2
    assert result.stderr == (
        "coach: that name is 250 characters long; a routine name is at most 100, "
        "so choose a shorter one\n"
    )
    assert coach("new", "a" * 100, env=home).returncode == 0


def test_a_copy_finds_the_includes_of_the_original(home: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "parts").mkdir(parents=True)
    (project / "parts" / "calves.yaml").write_text(SHORT.read_text())
    (project / "legs.yaml").write_text(SHORT.read_text().replace("Test routine", "Legs"))
    (project / "main.yaml").write_text(
        "# my main routine\ntitle: Main\nsections:\n"
        "  - include: parts/calves.yaml   # beside me\n"
        "  - include: 'legs'\n"
        "  - include: smr-back\n"
    )
    made = coach("new", "copied", "--from", str(project / "main.yaml"), env=home)
    assert made.returncode == 0, made.stderr
    copy = Path(made.stdout.strip())
    text = copy.read_text()
    assert f'include: "{project / "parts" / "calves.yaml"}"   # beside me' in text
    assert f'include: "{project / "legs.yaml"}"' in text
    assert "include: smr-back\n" in text  # found the same from anywhere: left as written
    assert "# my main routine" in text
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = coach("show", "copied", "--json", env=home, cwd=elsewhere)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == "Main"


def test_a_copy_made_by_a_relative_path_finds_the_includes_from_anywhere(
    home: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "parts").mkdir(parents=True)
    (project / "parts" / "calves.yaml").write_text(SHORT.read_text())
    (project / "main.yaml").write_text("title: Main\nsections:\n  - include: parts/calves.yaml\n")
    made = coach("new", "copied", "--from", "main.yaml", env=home, cwd=project)
    assert made.returncode == 0, made.stderr
    text = Path(made.stdout.strip()).read_text()
    assert f'include: "{project / "parts" / "calves.yaml"}"' in text
    assert f"({project / 'main.yaml'})" in text
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = coach("check", "copied", env=home, cwd=elsewhere)
    assert shown.returncode == 0, shown.stderr


def test_an_include_is_found_beside_its_file_never_in_the_working_folder(
    home: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "calves.yaml").write_text(SHORT.read_text())
    folder = tmp_path / "routines"
    folder.mkdir()
    (folder / "main.yaml").write_text("title: Main\nsections:\n  - include: parts/calves.yaml\n")
    checked = coach("check", str(folder / "main.yaml"), env=home, cwd=tmp_path)
    assert checked.returncode == 2
    assert "main.yaml:3: 'include': no such file" in checked.stderr


def test_list_notices_a_routine_of_yours_that_shadows_an_include(home: dict[str, str]) -> None:
    folder = routines_dir(home)
    folder.mkdir(parents=True)
    (folder / "wrapper.yaml").write_text("title: Wrapper\nsections:\n  - include: smr-back\n")
    env = {**home, "XDG_CACHE_HOME": str(Path(home["XDG_CONFIG_HOME"]).parent / "cache")}

    def wrapper_line() -> str:
        listed = coach("list", env=env)
        assert listed.returncode == 0, listed.stderr
        return next(line for line in listed.stdout.splitlines() if line.startswith("wrapper"))

    assert "Wrapper" in wrapper_line()
    (folder / "smr-back.yaml").write_text("title: [\n")  # yours now, and broken
    line = wrapper_line()
    assert f"{folder / 'smr-back.yaml'}:2: invalid YAML" in line
    assert coach("show", "wrapper", env=env).returncode == 2


def test_a_bundled_routine_is_copied_before_it_is_edited(home: dict[str, str]) -> None:
    result = coach("edit", "smr-legs", env={**home, "EDITOR": "false"})
    assert result.returncode == 2
    assert "coach new smr-legs --from smr-legs" in result.stderr


def test_a_routines_folder_that_is_a_broken_link_is_said(home: dict[str, str]) -> None:
    folder = routines_dir(home)
    folder.parent.mkdir(parents=True)
    folder.symlink_to(folder)  # a loop
    made = coach("new", "mine", env=home)
    assert made.returncode == 2
    assert made.stderr.startswith(f"coach: {folder}: is a link to {folder}, which does not exist")
    listed = coach("list", env=home)
    assert listed.returncode == 0
    assert listed.stderr.startswith(f"coach: warning: {folder}: is a link to {folder}")


@pytest.mark.parametrize(
    "leaves",
    ['rm "$1"; mkfifo "$1"', 'rm "$1"; ln -s /etc/hostname "$1"'],
)
def test_an_editor_that_leaves_a_fifo_or_a_link_never_hangs_or_changes_it(
    home: dict[str, str], leaves: str
) -> None:
    path, before, result = edit_mine(home, f"sh -c '{leaves}' editor", stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "the editor put something other than a file in place of" in result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine.yaml"]
