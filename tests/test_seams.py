"""Each seam takes a newcomer's extension: one module (coach.testing's) and one registry line.

The line here is an entry point in an installed package's metadata, as another
package would register its engine, command source or format; the CLI is the
real one, run as a user runs it. The source brings its own setting and option
(``script``, ``--script``), which coach learns from the source alone.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from coach.audio import SAMPLE_RATE_HZ
from coach.testing import TONE_HZ, fake_speech_s
from tests.alsa_capture import capture_home, sounded, sounded_s
from tests.conftest import DATA, coach_command

ROOT = Path(__file__).parent.parent
TINY = DATA / "tiny.yaml"
ENTRY_POINTS = """\
[coach.engines]
tones = coach.testing

[coach.command_sources]
scripted = coach.testing

[coach.encoders]
raw = coach.testing:RAW
"""


def with_plugin(env: dict[str, str], root: Path) -> dict[str, str]:
    """``env`` with a package installed whose metadata registers the three fakes."""
    site = root / "site"
    info = site / "coach_fakes-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: coach-fakes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    path = os.pathsep.join([str(site), str(ROOT), env.get("PYTHONPATH", "")])
    return {**env, "PYTHONPATH": path}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return with_plugin(
        {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path)},
        tmp_path,
    )


def coach(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE_HZ)[int(np.argmax(spectrum))])


def test_a_new_engine_speaks_a_whole_session(env: dict[str, str], tmp_path: Path) -> None:
    listed = coach("voices", "--engine", "tones", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["tone/low", "tone/high"]
    # eSpeak NG speaks the same texts into the same cache first: each engine has its own clips
    spoken = coach("show", str(TINY), "--json", env=env)
    assert spoken.returncode == 0, spoken.stderr
    shown = coach("show", str(TINY), "--engine", "tones", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    says = [e for e in json.loads(shown.stdout)["events"] if e["kind"] == "say"]
    # the planner was told each clip's real length: the tone engine's, not eSpeak NG's
    assert [e["duration_s"] for e in says] == [
        pytest.approx(fake_speech_s(e["text"]), abs=1e-3) for e in says
    ]
    target = tmp_path / "tiny.wav"
    exported = coach("export", str(TINY), "--engine", "tones", "-o", str(target), env=env)
    assert exported.returncode == 0, exported.stderr
    samples, rate = soundfile.read(target, dtype="float64")
    assert rate == SAMPLE_RATE_HZ
    for event in says:
        start = round(event["at_s"] * rate)
        clip = samples[start : start + round(0.2 * rate)]
        assert dominant_hz(clip) == pytest.approx(TONE_HZ, abs=10)
    # cached by engine: a second export renders nothing and writes the same samples
    again = tmp_path / "again.wav"
    coach("export", str(TINY), "--engine", "tones", "-o", str(again), env=env)
    assert (
        soundfile.read(again, dtype="int16")[0].tobytes()
        == soundfile.read(target, dtype="int16")[0].tobytes()
    )


def test_an_engine_is_refused_plainly_when_unknown(env: dict[str, str]) -> None:
    for args in (["--engine", "nope"], ["--engine", "tones", "--voice", "tone/none"]):
        result = coach("show", str(TINY), *args, env=env)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert "Traceback" not in result.stderr
    (Path(env["XDG_DATA_HOME"]) / "config.toml").write_text('engine = "nope"\n')
    configured = coach(
        "show",
        str(TINY),
        env={**env, "COACH_CONFIG": str(Path(env["XDG_DATA_HOME"]) / "config.toml")},
    )
    assert configured.returncode == 2
    assert "'engine'" in configured.stderr


def test_a_new_encoder_writes_the_session_samples(env: dict[str, str], tmp_path: Path) -> None:
    raw, wav = tmp_path / "tiny.raw", tmp_path / "tiny.wav"
    for target in (raw, wav):
        result = coach("export", str(TINY), "--engine", "tones", "-o", str(target), env=env)
        assert result.returncode == 0, result.stderr
    samples, _ = soundfile.read(wav, dtype="int16")
    assert len(samples) > SAMPLE_RATE_HZ * 30
    assert raw.read_bytes() == samples.astype("<i2").tobytes()
    unknown = coach("export", str(TINY), "-o", str(tmp_path / "x.aiff"), env=env)
    assert unknown.returncode == 2
    assert ".raw" in unknown.stderr  # the new format is offered with the others


@pytest.mark.slow
def test_a_new_command_source_drives_a_real_session(tmp_path: Path) -> None:
    home_env, capture = capture_home(tmp_path)
    env = with_plugin({**home_env, "XDG_DATA_HOME": str(tmp_path / "data")}, tmp_path)
    log = tmp_path / "log.jsonl"
    args = [str(TINY), "--engine", "tones", "--quiet", "--log", str(log)]
    # a burst, each heard in order: pause, resume, the next exercise, faster; later quit
    # ("Paused. Press space to go on." and "Resuming in 3, 2, 1." take their time)
    script = "1 pause, 1 pause, 1 next, 1 faster, 14 quit"
    played = coach("play", *args, "--script", script, env=env)
    assert played.returncode == 0, played.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    changes = [i for i, line in enumerate(lines) if "change" in line]
    assert [lines[i]["change"] for i in changes] == ["faster"]
    assert lines[changes[0]]["pace"] == 1.25
    calves = next(i for i, line in enumerate(lines) if line.get("exercise") == "Calves")
    # "next" was carried out before "faster": the change was made at the exercise's start,
    # and the exercise's first words, due that moment, were not lost to the change
    jumped = lines[calves]
    assert jumped["text"].startswith("First:")
    assert lines[changes[0]]["position_s"] == jumped["at_s"]
    assert 3.0 <= jumped["fired_s"] < 8.0
    assert not any(line.get("text", "").startswith("This session") for line in lines)
    assert max(line["fired_s"] for line in lines) < 14.5  # "quit" ended it, long before 40 s
    heard = sounded_s(capture)
    assert 8.0 < heard < 15.0
    entry = json.loads(coach("history", "--json", "--last", "1", env=env).stdout)
    assert (entry["stopped_by"], entry["pace_end"]) == ("quit", 1.25)
    # its setting, from the environment, opens it as its option does (the log replaced)
    by_setting = coach("play", *args, "--force", env={**env, "COACH_SCRIPT": "1 quit"})
    assert by_setting.returncode == 0, by_setting.stderr
    assert (
        json.loads(coach("history", "--json", "--last", "1", env=env).stdout)["stopped_by"]
        == "quit"
    )
    # the source is opened only when asked for: without its option or setting, nothing quits
    log.unlink()
    plain = coach("play", *args, "--pace", "2", "--control", "scripted", env=env)
    assert plain.returncode == 0, plain.stderr
    assert json.loads(coach("history", "--json", "--last", "1", env=env).stdout)["completed"]
    unknown = coach("play", str(TINY), "--control", "nope", env=env)
    assert unknown.returncode == 2
    assert "scripted" in unknown.stderr


def test_a_plugin_brings_its_setting_and_option_to_config_help_and_play(
    env: dict[str, str], tmp_path: Path
) -> None:
    helped = coach("play", "--help", env=env)
    assert helped.returncode == 0, helped.stderr
    assert "--script STEPS" in helped.stdout
    config = tmp_path / "config.toml"
    config.write_text('script = "2 quit"\n')
    configured = coach("config", "--json", env={**env, "COACH_CONFIG": str(config)})
    assert configured.returncode == 0, configured.stderr
    shown = {s["name"]: s for s in json.loads(configured.stdout)["settings"]}
    assert shown["script"]["source"] == f"{config}:1"
    assert "COACH_SCRIPT" in coach("config", "--help", env=env).stdout
    # the plugin's own parser judges its value, in the file as on the command line
    config.write_text('script = "soon quit"\n')
    refused = coach("show", str(TINY), env={**env, "COACH_CONFIG": str(config)})
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"coach: {config}:1: 'script' must be steps like")
    bad = coach("play", str(TINY), "--script", "soon quit", env=env)
    assert bad.returncode == 2
    assert "--script" in bad.stderr
    assert "Traceback" not in bad.stderr


BROKEN = """\
[coach.engines]
broken = no_such_module_anywhere
syntax = broken_syntax

[coach.command_sources]
broken = tests.no_such_module
raising = broken_raising
empty =
relative = .relative

[coach.encoders]
broken = coach.testing:NOT_THERE
wrong = coach.testing:ToneEngine
"""


def test_a_broken_plugin_never_stops_what_does_not_use_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    info = tmp_path / "site" / "coach_broken-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: coach-broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(BROKEN)
    (tmp_path / "site" / "broken_syntax.py").write_text("def nope(:\n")
    (tmp_path / "site" / "broken_raising.py").write_text("raise RuntimeError('boom')\n")
    for args in (
        ["show", str(TINY)],
        ["config"],
        ["play", "--help"],
        ["export", "--help"],
        ["voices"],
        ["export", str(TINY), "-o", str(tmp_path / "fine.wav")],
    ):
        result = coach(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    # a whole session plays, the broken sources that no one asked for left out
    (tmp_path / "played").mkdir()
    played_env, capture = capture_home(tmp_path / "played")
    played_env = {**played_env, "PYTHONPATH": env["PYTHONPATH"], "XDG_DATA_HOME": str(tmp_path)}
    played = coach("play", str(TINY), "--quiet", "--pace", "2", env=played_env)
    assert played.returncode == 0, played.stderr
    assert played.stderr == ""
    assert sounded(capture)
    for args in (
        ["show", str(TINY), "--engine", "broken"],
        ["show", str(TINY), "--engine", "syntax"],
        ["voices", "--engine", "syntax"],
        ["export", str(TINY), "-o", str(tmp_path / "x.broken")],
        ["export", str(TINY), "-o", str(tmp_path / "x.wrong")],
        ["play", str(TINY), "--control", "raising"],
    ):
        named = coach(*args, env=env)
        assert named.returncode != 0
        assert len(named.stderr.splitlines()) == 1, named.stderr
        said = named.stderr
        assert "could not be loaded" in said or "is not a Format named so" in said, said
