"""The command line, run as a user runs it: help, errors, exit codes, the JSON contract."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli.group import COMMANDS, cli
from tests.conftest import SHORT, coach_command

README = Path(__file__).parent.parent.parent / "README.md"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_documented(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"coach {name}" in README.read_text()


def test_show_json_is_the_documented_contract() -> None:
    result = run("show", str(SHORT), "--pace", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"routine", "title", "total_s", "holds", "events"} <= set(data)
    assert data["routine"] == "short"
    for hold in data["holds"]:
        assert {"exercise", "side", "start_s", "end_s"} <= set(hold)
    kinds = {e["kind"] for e in data["events"]}
    assert kinds == {"say", "sound"}
    for event in data["events"]:
        assert {"at_s", "duration_s", "kind", "exercise", "side"} <= set(event)
        assert ("text" in event) == (event["kind"] == "say")
        assert ("sound" in event) == (event["kind"] == "sound")
    # the side switch chime opens each switch; the second side's hold starts when it ends
    chimes = [e["at_s"] for e in data["events"] if e.get("sound") == "switch"]
    second_sides = [
        h["start_s"]
        for a, h in zip(data["holds"], data["holds"][1:], strict=False)
        if a["exercise"] == h["exercise"] and a["side"] != h["side"]
    ]
    assert chimes == [s["start_s"] for s in data["switches"]]
    assert second_sides == [s["end_s"] for s in data["switches"]]
    assert all(s["end_s"] > s["start_s"] for s in data["switches"])
    assert len(chimes) == 2


def test_export_length_equals_the_timeline(tmp_path: Path) -> None:
    target = tmp_path / "out.wav"
    result = run("export", str(SHORT), "--pace", "4", "-o", str(target))
    assert result.returncode == 0, result.stderr
    total_s = json.loads(run("show", str(SHORT), "--pace", "4", "--json").stdout)["total_s"]
    with wave.open(str(target)) as wav:
        assert wav.getnframes() == round(total_s * wav.getframerate())


def test_length_option_fits_the_session() -> None:
    result = run("show", "smr-legs", "--length", "10m", "--json")
    assert result.returncode == 0, result.stderr
    assert abs(json.loads(result.stdout)["total_s"] - 600) <= 1


def test_bad_routine_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "title: T\nsections:\n  - name: S\n    exercises:\n"
        "      - name: A\n        setup: x\n        hold: soon\n"
        "      - name: B\n        setup: y\n        hold: 1m\n        sidez: both\n"
    )
    for command in (["check"], ["show"], ["export", "-o", str(tmp_path / "x.wav")]):
        result = run(*command, str(bad))
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f'{bad}:7: exercise "A": \'hold\' must be a duration like 90s, 2m or 1m30s, got "soon"',
            f"{bad}:11: exercise \"B\": unknown key 'sidez'; did you mean 'sides'?",
        ]
        assert not (tmp_path / "x.wav").exists()


def test_check_passes_good_files() -> None:
    result = run("check", "smr-full", str(SHORT))
    assert result.returncode == 0
    assert "smr-full: ok (8 exercises" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "nope: no such routine"),
        (["show", "smr-legs", "--pace", "2", "--length", "10m"], "give one of them"),
        (["show", "smr-legs", "--pace", "9"], "0.25<=x<=4.0"),
        (["show", "smr-legs", "--length", "soon"], '"soon" is not a duration'),
        (["show", "smr-legs", "--length", "1m"], "cannot be squeezed into 1m"),
        (["show", "smr-legs", "--voice", "klingon"], 'unknown voice "klingon"'),
        (["export", "smr-legs", "-o", "out.mp4"], "cannot write '.mp4' files"),
        (
            ["play", "smr-legs", "--from", "neck"],
            '--from: no exercise "neck" in smr-legs; it has: Hips',
        ),
    ],
)
def test_mistakes_get_one_clear_message(args: list[str], message: str, tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback() -> None:
    result = run("--debug", "show", "smr-legs", "--voice", "klingon")
    assert "Traceback" in result.stderr


def test_list_shows_every_routine_with_its_length() -> None:
    result = run("list")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == ["smr-back", "smr-full", "smr-knees", "smr-legs", "smr-legs-de"]


def test_export_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "keep.wav"
    target.write_bytes(b"mine")
    result = run("export", str(SHORT), "-o", str(target))
    assert result.returncode == 2  # a path the user must change
    assert "already exists; use --force" in result.stderr
    assert target.read_bytes() == b"mine"


def test_the_readme_routine_example_checks_and_plays(tmp_path: Path) -> None:
    """The README's routine, which shows every construct, works as written."""
    import re

    block = re.search(r"```yaml\n(title: Legs, short.*?)```", README.read_text(), re.S)
    assert block
    example = tmp_path / "example.yaml"
    example.write_text(block.group(1))
    checked = run("check", str(example))
    assert checked.returncode == 0, checked.stderr
    shown = run("show", str(example), "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["rests"]
    assert any(h["until_ready"] for h in data["holds"])
    assert {e.get("sound") for e in data["events"]} >= {"tick", "rest"}
