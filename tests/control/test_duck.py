"""Music lowered under cues: the rule alone, then real players on a private session bus.

The players are the tests' own (``tests/control/music_player.py``): MPRIS players with a
read-write Volume that log, with the monotonic time, every volume they are set to.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.control.duck import DUCK_LEVEL, LEAD_S, RAMP_S, TAIL_S, Ducker, under_cue
from coach.plan.planner import plan_session
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Timeline
from tests.alsa_capture import capture_home, sounded_s
from tests.conftest import SOUND_S, as_at_a_shell, coach_command, fake_speech_s, last_history
from tests.control.test_mpris import names, private_bus, wait_for
from tests.play.test_player import TINY

MUSIC = "org.mpris.MediaPlayer2.music"


@pytest.fixture
def bus() -> Iterator[str]:
    """A private session bus of the test's own (a player on it outlives nothing else)."""
    proc, address = private_bus()
    yield address
    proc.kill()
    proc.wait(timeout=10)


@pytest.fixture
def players(bus: str, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Three players: music playing at 0.8, a paused one at 0.5, one whose volume is fixed."""
    started, logs = [], {}
    for name, extra in (
        ("music", []),
        ("paused", ["--status", "Paused", "--volume", "0.5"]),
        ("fixed", ["--refuse"]),
    ):
        logs[name] = tmp_path / f"{name}.jsonl"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.control.music_player",
                bus,
                name,
                str(logs[name]),
                *extra,
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        started.append(proc)
    yield logs
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)


def volumes(log: Path) -> list[tuple[float, float]]:
    if not log.exists():
        return []
    pairs = (json.loads(line) for line in log.read_text().splitlines())
    return [(float(at), float(volume)) for at, volume in pairs]


def timeline() -> Timeline:
    return plan_session(load_routine(TINY), Pacing(4.0), fake_speech_s, SOUND_S)


# --- the rule ----------------------------------------------------------------------------


def test_music_is_down_from_just_before_each_clip_until_a_while_after_it() -> None:
    starts, ends = [10.0, 12.0, 30.0], [11.0, 13.0, 31.0]
    assert not under_cue(starts, ends, 0.0)
    assert not under_cue(starts, ends, 10.0 - LEAD_S - 0.01)
    assert under_cue(starts, ends, 10.0 - LEAD_S + 0.01)
    assert under_cue(starts, ends, 11.5)  # a gap shorter than lead and tail: stays down
    assert under_cue(starts, ends, 13.0 + TAIL_S - 0.01)
    assert not under_cue(starts, ends, 13.0 + TAIL_S + 0.01)
    assert not under_cue(starts, ends, 25.0)
    assert under_cue(starts, ends, 30.5)
    assert not under_cue(starts, ends, 40.0)
    assert not under_cue([], [], 1.0)


# --- real players ------------------------------------------------------------------------


def test_each_clip_starts_over_lowered_music_and_it_comes_back_after(
    bus: str, players: dict[str, Path], tmp_path: Path
) -> None:
    """The ducker driven on the real clock through a real bus: every clip of the timeline
    starts with the music already at its lowered volume, the music is back at full between
    clips far apart, and a paused player or one whose volume is fixed is left alone."""
    plan = timeline()
    ducker = Ducker(plan, bus, tmp_path / "state" / "lowered.json")
    assert ducker.start()
    t0 = time.monotonic()
    try:
        while (position := time.monotonic() - t0) < plan.total_s + 1.0:
            ducker.tick(position, paused=False)
            time.sleep(0.05)
    finally:
        ducker.close()
    log = volumes(players["music"])
    low, full = 0.8 * DUCK_LEVEL, 0.8

    def volume_at(t: float) -> float:
        before = [v for at, v in log if at <= t]
        return before[-1] if before else full

    late = []
    for event in plan.events:
        if volume_at(t0 + event.at_s) != pytest.approx(low):
            late.append(event)
    assert not late, f"{len(late)} of {len(plan.events)} clips started over loud music"
    gaps = [
        (a.end_s, b.at_s)
        for a, b in zip(plan.events, plan.events[1:], strict=False)
        if b.at_s - a.end_s > LEAD_S + TAIL_S + 2 * RAMP_S + 0.5
    ]
    assert gaps, "the test routine has quiet stretches"
    for _end, start in gaps:  # back up just before it goes down for the next clip
        assert volume_at(t0 + start - LEAD_S - 0.1) == pytest.approx(full)
    assert log[-1][1] == pytest.approx(full)
    assert not volumes(players["paused"])
    assert not (tmp_path / "state" / "lowered.json").exists()


def run_session(bus: str, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env, _capture = capture_home(tmp_path)
    env |= {
        "DBUS_SESSION_BUS_ADDRESS": bus,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    return subprocess.Popen(
        [*coach_command(), "play", str(TINY), "--quiet", "--pace", "4", *extra],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_at_a_shell,  # Ctrl-C works, also under a runner that ignores SIGINT
    )


def test_a_real_session_lowers_the_music_and_leaves_it_as_it_was(
    bus: str, players: dict[str, Path], tmp_path: Path
) -> None:
    proc = run_session(bus, tmp_path)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    log = [v for _, v in volumes(players["music"])]
    assert min(log) == pytest.approx(0.8 * DUCK_LEVEL)
    assert log[-1] == pytest.approx(0.8)
    assert not volumes(players["paused"])
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    assert last_history(env)["completed"]


def stop_when(proc: subprocess.Popen[str], check: object, what: str) -> str:
    """Ctrl-C once ``check`` holds (the session has got far enough); its stderr."""
    try:
        wait_for(check, what)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "Traceback" not in stderr
    return stderr


def test_no_duck_leaves_the_music_alone(bus: str, players: dict[str, Path], tmp_path: Path) -> None:
    proc = run_session(bus, tmp_path, "--no-duck")
    capture = tmp_path / "capture.raw"
    # two clips in (the title, the length): a ducking session would have lowered by now
    stop_when(proc, lambda: sounded_s(capture) > 4, "sound")
    assert not volumes(players["music"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_under_a_cue_brings_the_music_back(
    bus: str, players: dict[str, Path], tmp_path: Path, sig: signal.Signals
) -> None:
    proc = run_session(bus, tmp_path)
    try:
        wait_for(lambda: any(v < 0.5 for _, v in volumes(players["music"])), "music lowered")
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert "Traceback" not in stderr
    assert volumes(players["music"])[-1][1] == pytest.approx(0.8)


def test_a_session_killed_outright_is_made_good_by_the_next(
    bus: str, players: dict[str, Path], tmp_path: Path
) -> None:
    """SIGKILL leaves the music lowered and a note; the next session brings it back first."""
    proc = run_session(bus, tmp_path)
    try:
        wait_for(
            lambda: any(v == pytest.approx(0.8 * DUCK_LEVEL) for _, v in volumes(players["music"])),
            "music lowered all the way",
        )
        proc.kill()
        proc.wait(timeout=10)
    finally:
        proc.kill()
    assert volumes(players["music"])[-1][1] == pytest.approx(0.8 * DUCK_LEVEL)
    note = tmp_path / "state" / "coach" / "lowered.json"
    assert note.exists()
    seen = len(volumes(players["music"]))
    (tmp_path / "home").rename(tmp_path / "home-1")
    (tmp_path / "capture.raw").unlink(missing_ok=True)
    again = run_session(bus, tmp_path)
    stop_when(again, lambda: len(volumes(players["music"])) > seen + 2, "the next session")
    after = [v for _, v in volumes(players["music"])[seen:]]
    assert after[0] == pytest.approx(0.8), "brought back before anything else"
    assert volumes(players["music"])[-1][1] == pytest.approx(0.8)
    assert not note.exists()


@pytest.mark.parametrize(
    "damage", ['{"org.mpris.MediaPlayer2.music": [1, "x"]}', "[1, 2", "\x00" * 10, "fifo"]
)
def test_a_damaged_note_is_ignored(
    bus: str, players: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    """Damaged, cut short, binary, or a FIFO nobody writes to: the session neither hangs
    nor fails, and lowers and restores the music as ever."""
    note = tmp_path / "state" / "coach" / "lowered.json"
    note.parent.mkdir(parents=True)
    if damage == "fifo":
        os.mkfifo(note)
    else:
        note.write_text(damage)
    proc = run_session(bus, tmp_path)
    low = 0.8 * DUCK_LEVEL
    stop_when(proc, lambda: any(v == pytest.approx(low) for _, v in volumes(players["music"])), "")
    assert volumes(players["music"])[-1][1] == pytest.approx(0.8)
    assert not note.exists()
    assert MUSIC in names(bus)


def test_a_volume_a_person_set_meanwhile_is_theirs_and_a_player_that_quit_is_let_go(
    bus: str, players: dict[str, Path], tmp_path: Path
) -> None:
    gone_log = tmp_path / "gone.jsonl"
    gone = subprocess.Popen(
        [sys.executable, "-m", "tests.control.music_player", bus, "gone", str(gone_log)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert gone.stdout is not None
    assert gone.stdout.readline().strip() == "ready"
    ducker = Ducker(timeline(), bus, tmp_path / "lowered.json")
    assert ducker.start()  # the first clip is at 0: down already
    try:
        assert volumes(players["music"])[-1][1] == pytest.approx(0.8 * DUCK_LEVEL)
        assert volumes(gone_log)[-1][1] == pytest.approx(0.8 * DUCK_LEVEL)
        gone.kill()  # the other player quits while it is lowered
        gone.wait(timeout=10)
        subprocess.run(  # the person turns the music up while coach speaks, as playerctl does
            [
                "dbus-send", "--session", "--print-reply", f"--dest={MUSIC}",
                "/org/mpris/MediaPlayer2", "org.freedesktop.DBus.Properties.Set",
                "string:org.mpris.MediaPlayer2.Player", "string:Volume", "variant:double:0.6",
            ],
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus},
            check=True,
            capture_output=True,
        )  # fmt: skip
        ducker.tick(100.0, paused=False)  # long after every clip: coach would bring it back
        time.sleep(1.0)
    finally:
        ducker.close()
        gone.kill()
    assert volumes(players["music"])[-1][1] == pytest.approx(0.6)
    assert not ducker.lowered
