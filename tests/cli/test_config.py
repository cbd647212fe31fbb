"""Your defaults: the config file, COACH_* variables, options over both; and shell completion."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from coach.cli.config import ConfigError, load_config
from coach.cli.group import config_keys
from tests.conftest import SHORT, coach_command


def coach(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    return clean | {"XDG_CONFIG_HOME": str(tmp_path / "config")}


def write_config(env: dict[str, str], text: str) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "coach" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def sources(env: dict[str, str]) -> dict[str, tuple[object, str]]:
    result = coach("config", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return {s["name"]: (s["value"], s["source"]) for s in json.loads(result.stdout)["settings"]}


def test_defaults_then_file_then_environment(env: dict[str, str]) -> None:
    assert sources(env)["rate"] == (160, "default")
    path = write_config(env, '# mine\npace = 1.25\nrate = 140\nvoice = "gmw/en-us"\n')
    found = sources(env)
    assert found["pace"] == (1.25, f"{path}:2")
    assert found["rate"] == (140, f"{path}:3")
    assert found["voice"] == ("gmw/en-us", f"{path}:4")
    assert sources(env | {"COACH_RATE": "200"})["rate"] == (200, "COACH_RATE")


def test_options_beat_the_config_and_the_config_beats_the_defaults(env: dict[str, str]) -> None:
    write_config(env, "pace = 2\nrate = 200\n")
    configured = json.loads(coach("show", str(SHORT), "--json", env=env).stdout)
    assert configured["pace"] == 2
    optioned = json.loads(coach("show", str(SHORT), "--json", "--pace", "1", env=env).stdout)
    assert optioned["pace"] == 1
    # --length sets the speed too: it wins over the config's pace, with no complaint
    fitted = coach("show", "smr-legs", "--json", "--length", "10m", env=env)
    assert fitted.returncode == 0, fitted.stderr
    assert abs(json.loads(fitted.stdout)["total_s"] - 600) <= 1
    both = coach("show", "smr-legs", "--pace", "2", "--length", "10m", env=env)
    assert both.returncode == 2


def test_the_language_setting_is_for_routines_that_do_not_say(env: dict[str, str]) -> None:
    write_config(env, 'language = "de"\n')
    unsaid = json.loads(coach("show", str(SHORT), "--json", env=env).stdout)
    assert unsaid["language"] == "de"
    assert "Die Hälfte ist geschafft." not in [e.get("text") for e in unsaid["events"]]
    said = json.loads(coach("show", "smr-legs", "--json", env=env).stdout)
    assert said["language"] == "en"  # the bundled routines say they are English


def test_the_routines_setting_moves_the_folder(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "mine.yaml").write_text(SHORT.read_text())
    path = write_config(env, f'routines = "{folder}"\n')
    assert coach("check", "mine", env=env).returncode == 0
    assert sources(env)["routines"] == (str(folder), f"{path}:1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pace = 9\n", "{path}:1: 'pace' must be a number from 0.25 to 4, got 9"),
        ('rate = "fast"\n', "{path}:1: 'rate' must be a whole number from 80 to 400, got 'fast'"),
        ("\n\nvoce = 'x'\n", "{path}:3: unknown setting 'voce'; did you mean 'voice'?"),
        ('language = "xx"\n', "{path}:1: 'language' must be one of de, en, es, fr, it, nl, pl, pt"),
        (
            "format = 'aac'\n",
            "{path}:1: 'format' must be one of wav, flac, ogg, mp3, opus, got 'aac'",
        ),
        ("pace = \n", "{path}:1: not valid TOML (Invalid value)"),
        ("pace = inf\n", "{path}:1: 'pace' must be a number from 0.25 to 4, got inf"),
        # before: OverflowError tracebacks (int(inf)), a silent 150, a RuntimeError
        ("rate = inf\n", "{path}:1: 'rate' must be a whole number from 80 to 400, got inf"),
        ("rate = -inf\n", "{path}:1: 'rate' must be a whole number from 80 to 400, got -inf"),
        ("rate = 1e999\n", "{path}:1: 'rate' must be a whole number from 80 to 400, got inf"),
        ("rate = 150.9\n", "{path}:1: 'rate' must be a whole number from 80 to 400, got 150.9"),
        (
            "rate = " + "9" * 400 + "\n",
            "{path}:1: 'rate' must be a whole number from 80 to 400, got 999",
        ),
        (
            'routines = "~nosuchuser/r"\n',
            "{path}:1: 'routines' names the home folder of 'nosuchuser', who is not a user here",
        ),
        (
            'routines = "a\\u0000b"\n',
            "{path}:1: 'routines' must be a folder's path; it holds a NUL",
        ),
        (
            "a = " + "[" * 500 + "]" * 500 + "\n",
            "{path}: not valid TOML for coach (it nests too deep)",
        ),
    ],
)
def test_a_bad_config_is_file_line_and_exit_2(env: dict[str, str], text: str, message: str) -> None:
    path = write_config(env, text)
    for command in (["config"], ["show", str(SHORT)]):
        result = coach(*command, env=env)
        assert result.returncode == 2
        assert result.stderr.startswith("coach: " + message.format(path=path))
        assert "Traceback" not in result.stderr


def test_a_bad_environment_variable_is_named(env: dict[str, str]) -> None:
    result = coach("config", env=env | {"COACH_PACE": "fast"})
    assert result.returncode == 2
    assert result.stderr == "coach: COACH_PACE: must be a number from 0.25 to 4, got 'fast'\n"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("COACH_RATE", "150.9", "COACH_RATE: must be a whole number from 80 to 400, got '150.9'"),
        ("COACH_RATE", "inf", "COACH_RATE: must be a whole number from 80 to 400, got 'inf'"),
        (
            "COACH_ROUTINES",
            "~nosuchuser",
            "COACH_ROUTINES: names the home folder of 'nosuchuser', who is not a user here",
        ),
    ],
)
def test_one_rule_for_the_file_and_the_environment(
    env: dict[str, str], variable: str, value: str, message: str
) -> None:
    for command in (["config"], ["list"]):
        result = coach(*command, env=env | {variable: value})
        assert result.returncode == 2
        assert result.stderr.startswith("coach: " + message)
        assert len(result.stderr.splitlines()) == 1
    assert coach("config", env=env | {"COACH_RATE": "150"}).returncode == 0
    write_config(env, "rate = 150.0\n")  # a whole number written as a float is that number
    assert sources(env)["rate"][0] == 150


def test_a_broken_config_link_is_said(env: dict[str, str], tmp_path: Path) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "coach" / "config.toml"
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp_path / "dotfiles" / "coach.toml")
    result = coach("show", str(SHORT), env=env)
    assert result.returncode == 2
    assert result.stderr == (
        f"coach: {path}: is a link to {tmp_path / 'dotfiles' / 'coach.toml'}, which does not "
        "exist; point it at your config file, or remove it to use the defaults\n"
    )


BAD_CONFIGS = ["rate = inf\n", "pace = \n", "a = " + "[" * 500 + "]" * 500 + "\n"]


@pytest.mark.parametrize("text", BAD_CONFIGS)
@pytest.mark.parametrize(
    "command",
    [["--help"], ["play", "--help"], ["show", "-h"], ["config", "--help"], ["completion", "bash"]],
)
def test_help_and_completion_work_whatever_the_config_says(
    env: dict[str, str], text: str, command: list[str]
) -> None:
    write_config(env, text)
    result = coach(*command, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout


def complete(env: dict[str, str], words: str) -> list[str]:
    """What bash completion offers after ``words`` (click's protocol, as the script asks)."""
    result = subprocess.run(
        coach_command(),
        capture_output=True,
        text=True,
        timeout=120,
        env=env | {"_COACH_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "2"},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


@pytest.mark.parametrize("command", ["check", "play", "show"])
def test_completion_offers_routines_from_the_configured_folder(
    env: dict[str, str], tmp_path: Path, command: str
) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "zebra-stretch.yaml").write_text(SHORT.read_text())
    write_config(env, f'routines = "{folder}"\n')
    assert complete(env, f"coach {command} zeb") == ["zebra-stretch"]
    assert "smr-legs" in complete(env, f"coach {command} smr")
    write_config(env, f'routines = "{folder}"\nrate = inf\n')  # a bad config still completes
    assert "smr-legs" in complete(env, f"coach {command} smr")


def test_a_config_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.toml")
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(tmp_path / "fifo.toml", {}, config_keys())
    assert load_config(tmp_path / "missing.toml", {}, config_keys())["rate"].source == "default"


def test_the_format_setting_names_files_with_no_known_ending(
    env: dict[str, str], tmp_path: Path
) -> None:
    write_config(env, 'format = "flac"\n')
    target = tmp_path / "session.audio"
    result = coach("export", str(SHORT), "--pace", "4", "-o", str(target), env=env)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:4] == b"fLaC"
    named = tmp_path / "named.wav"  # a known ending still wins
    assert coach("export", str(SHORT), "--pace", "4", "-o", str(named), env=env).returncode == 0
    assert named.read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, env: dict[str, str]) -> None:
    result = coach("completion", shell, env=env)
    assert result.returncode == 0
    assert "_COACH_COMPLETE" in result.stdout


def test_completion_offers_routine_names_and_voices(env: dict[str, str]) -> None:
    def complete(words: str, index: int) -> list[str]:
        result = subprocess.run(
            coach_command(),
            capture_output=True,
            text=True,
            timeout=60,
            env=env
            | {"_COACH_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(index)},
        )
        return [line.split(",", 1)[1] for line in result.stdout.splitlines()]

    assert complete("coach play smr-l", 2) == ["smr-legs", "smr-legs-de"]
    assert "gmw/de" in complete("coach show smr-legs --voice gmw/d", 4)
    assert "show" in complete("coach sh", 1)


def test_a_byte_order_mark_is_not_a_setting(env: dict[str, str]) -> None:
    write_config(env, "\ufeffrate = 150\n")
    assert sources(env)["rate"][0] == 150


def test_the_readme_lists_every_setting_as_declared() -> None:
    """The README's table is made from the declarations (``coach config --markdown``)."""
    from coach.cli.settings import settings_table

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- settings:", 1)[1].split("-->", 1)[1].split("<!-- /settings -->")[0]
    assert block.strip() == settings_table().strip()
    assert "`COACH_WAKE_WORD`" in block  # a kind's setting is there beside coach's own


def test_the_table_writes_values_as_the_config_file_does_in_aligned_columns(
    env: dict[str, str],
) -> None:
    path = write_config(env, 'listen = true\nroutines = "/tmp/a/long/folder/of/routines"\n')
    shown = coach("config", env=env)
    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.splitlines()[1:]
    listen = next(row for row in rows if row.startswith("listen "))
    assert listen.split()[:2] == ["listen", "true"]  # as TOML writes it, not Python's True
    assert next(row for row in rows if row.startswith("wake-word ")).split()[1] == "none"
    # every row's value and source start in the same columns
    assert len({row.index(row.split()[1]) for row in rows if row.split()[-1] == "default"}) == 1
    assert next(row for row in rows if row.startswith("routines")).endswith(f"{path}:2")
    assert len({row.rindex(row.split()[-1]) for row in rows if "default" in row}) == 1
