"""coach as an MPRIS media player: the state on its own, then real sessions on a private bus.

A private ``dbus-daemon --session`` stands in for the desktop's bus; ``dbus-send``
(what scripts and ``playerctl`` do) drives a real session through ALSA's capture,
and the assertions read the captured audio, the --log and the history.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from coach.control.bus import session_bus_address
from coach.control.mpris_state import Busy, PlayerState
from coach.language.table import TABLE
from coach.plan.planner import plan_session
from coach.play.transport import MAX_PENDING, Command
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import Pacing
from tests.alsa_capture import capture_home, sounded
from tests.conftest import SHORT, SOUND_S, coach_command, fake_speech_s, last_history
from tests.play.test_player import TINY

DEST = "org.mpris.MediaPlayer2.coach"
PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"


def state() -> PlayerState:
    timeline = plan_session(load_routine(SHORT), Pacing(1.0), fake_speech_s, SOUND_S)
    return PlayerState(timeline, pace=1.0)


# --- the state alone ---------------------------------------------------------------------


def test_rate_moves_the_pace_in_the_keys_steps_within_its_limits() -> None:
    s = state()
    s.set_rate(2.0)  # 1.25 ** 3 = 1.95 is the nearest step
    assert list(s.commands) == [Command.FASTER] * 3
    s.commands.clear()
    s.set_rate(1000.0)  # past the limit: as far as 4.0 goes (1.25 ** 6 = 3.8)
    assert list(s.commands) == [Command.FASTER] * 6
    s.commands.clear()
    s.set_rate(0.5)
    assert list(s.commands) == [Command.SLOWER] * 3
    s.commands.clear()
    s.set_rate(1.1)  # nearer 1 than 1.25: no change
    assert not s.commands


@pytest.mark.parametrize("rate", [math.nan, math.inf, -1.0])
def test_a_rate_that_is_no_rate_is_refused(rate: float) -> None:
    s = state()
    with pytest.raises(ValueError, match="Rate must be"):
        s.set_rate(rate)
    assert not s.commands


def test_rate_zero_pauses_as_mpris_says() -> None:
    s = state()
    s.set_rate(0.0)
    assert list(s.commands) == [Command.PAUSE]
    assert s.status == "Paused"


def test_play_and_pause_only_toggle_when_they_change_something() -> None:
    s = state()
    s.play()  # already playing
    assert not s.commands
    s.pause()
    s.pause()
    s.play()
    s.play_pause()
    assert list(s.commands) == [Command.PAUSE] * 3
    assert s.status == "Paused"


def test_a_flood_is_refused_past_its_bound_and_stop_always_gets_through() -> None:
    s = state()
    for _ in range(MAX_PENDING):
        s.request(Command.NEXT)
    with pytest.raises(Busy):
        s.request(Command.NEXT)
    s.request(Command.QUIT)
    assert list(s.commands) == [Command.QUIT]


def test_no_bus_address_means_no_bus(tmp_path: Path) -> None:
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) is None
    (tmp_path / "bus").touch()
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) == f"unix:path={tmp_path}/bus"
    address = f"unix:path={tmp_path}/bus,guid=1"
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": address}) == address
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}) is None
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "tcp:host=h,port=1"}) is not None


# --- real sessions on a private bus --------------------------------------------------------


def private_bus() -> tuple[subprocess.Popen[str], str]:
    """A private session bus, as a desktop has one: the daemon, and its address."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None or shutil.which("dbus-send") is None:
        pytest.fail("dbus-daemon and dbus-send are missing: ./setup.sh installs dbus")
    proc = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # "failed to set fd limit": not root's to change here
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


@pytest.fixture(scope="module")
def bus() -> Iterator[str]:
    proc, address = private_bus()
    yield address
    proc.terminate()
    proc.wait(timeout=10)


def send(address: str, *args: str, dest: str = DEST) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["dbus-send", "--session", "--print-reply", f"--dest={dest}", PATH, *args],
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address},
        capture_output=True,
        text=True,
        timeout=10,
    )


def get(address: str, name: str, dest: str = DEST) -> str:
    reply = send(
        address,
        "org.freedesktop.DBus.Properties.Get",
        f"string:{PLAYER}",
        f"string:{name}",
        dest=dest,
    )
    assert reply.returncode == 0, reply.stderr
    return reply.stdout


def names(address: str) -> list[str]:
    listed = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.ListNames",
        ],
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    return [line.split('"')[1] for line in listed.splitlines() if "string" in line]


def wait_for(check: object, what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


@dataclass
class Played:
    proc: subprocess.Popen[str]
    log: Path
    capture: Path
    env: dict[str, str]

    def finish(self) -> tuple[int, str, list[dict[str, object]]]:
        _, err = self.proc.communicate(timeout=120)
        lines = [json.loads(line) for line in self.log.read_text().splitlines()]
        return self.proc.returncode, err, lines


def start_session(tmp_path: Path, address: str, *args: str, name: str = DEST) -> Played:
    env, capture = capture_home(tmp_path)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    log = tmp_path / "log.jsonl"
    proc = subprocess.Popen(
        [*coach_command(), "play", str(TINY), "--quiet", "--log", str(log), *args],
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal: the bus is the only remote
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: name in names(address) or proc.poll() is not None, f"{name} on the bus")
    assert proc.poll() is None, proc.communicate()
    return Played(proc, log, capture, env)


def clip_pcm(text: str) -> bytes:
    speech = SpeechCache(
        Path(os.environ["XDG_CACHE_HOME"]) / "coach" / "speech",
        SpeechSettings(),
        lambda: None,  # type: ignore[arg-type,return-value]
    )
    return speech.clip(text).pcm


@pytest.mark.slow
def test_a_session_is_paused_resumed_sped_up_skipped_and_stopped_over_the_bus(
    tmp_path: Path, bus: str
) -> None:
    played = start_session(tmp_path, bus)
    metadata = send(
        bus, "org.freedesktop.DBus.Properties.Get", f"string:{PLAYER}", "string:Metadata"
    )
    assert '"Tiny"' in metadata.stdout  # the routine's title
    assert "int64 40157000" in metadata.stdout or "mpris:length" in metadata.stdout
    assert '"Playing"' in get(bus, "PlaybackStatus")
    assert send(bus, f"{PLAYER}.Pause").returncode == 0
    wait_for(lambda: '"Paused"' in get(bus, "PlaybackStatus"), "paused")
    time.sleep(1.0)
    assert send(bus, f"{PLAYER}.PlayPause").returncode == 0
    wait_for(lambda: '"Playing"' in get(bus, "PlaybackStatus"), "playing again")
    faster = send(
        bus,
        "org.freedesktop.DBus.Properties.Set",
        f"string:{PLAYER}",
        "string:Rate",
        "variant:double:2.0",
    )
    assert faster.returncode == 0, faster.stderr
    wait_for(lambda: "double 1.95" in get(bus, "Rate"), "the pace at 1.95")
    wait_for(lambda: "Calves" in get(bus, "Metadata"), "the exercise in the metadata")
    assert send(bus, f"{PLAYER}.Next").returncode == 0
    time.sleep(1.0)
    assert send(bus, f"{PLAYER}.Stop").returncode == 0
    status, errors, lines = played.finish()
    assert status == 0, errors
    assert "Traceback" not in errors
    assert errors.strip().startswith("coach: stopped at")
    changes = [line for line in lines if "change" in line]
    assert [(c["change"], c["pace"]) for c in changes] == [
        ("faster", 1.25),
        ("faster", 1.5625),
        ("faster", 1.9531),
    ]
    audio = played.capture.read_bytes()
    en = TABLE["en"]
    # a headset or phone remote is told to press play, never space
    for said in (en.paused_for(("play",)), en.resuming, en.faster):
        assert clip_pcm(said) in audio, said
    last = last_history(played.env)
    assert last["stopped_by"] == "quit"
    assert last["pace_end"] == pytest.approx(1.953)


@pytest.mark.slow
def test_bad_calls_get_clean_errors_and_the_session_goes_on(tmp_path: Path, bus: str) -> None:
    played = start_session(tmp_path, bus, "--pace", "2")
    wrong_type = send(
        bus,
        "org.freedesktop.DBus.Properties.Set",
        f"string:{PLAYER}",
        "string:Rate",
        "variant:string:fast",
    )
    assert wrong_type.returncode != 0
    assert "Error" in wrong_type.stderr
    nan = send(
        bus,
        "org.freedesktop.DBus.Properties.Set",
        f"string:{PLAYER}",
        "string:Rate",
        "variant:double:-3",
    )
    assert "InvalidArgs" in nan.stderr
    past_the_end = send(bus, f"{PLAYER}.Seek", "int64:999999999999")
    assert past_the_end.returncode == 0  # CanSeek is false: no effect, as MPRIS says
    missing_arg = send(bus, f"{PLAYER}.SetPosition", "int64:5")
    assert missing_arg.returncode != 0
    uri = send(bus, f"{PLAYER}.OpenUri", "string:file:///etc/passwd")
    assert "NotSupported" in uri.stderr
    # a flood: 40 calls at once; those past the bound are refused, none is lost silently
    flood = [
        subprocess.Popen(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                f"--dest={DEST}",
                PATH,
                f"{PLAYER}.Previous",
            ],
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(40)
    ]
    outcomes = [(p.wait(timeout=20), p.stderr.read() if p.stderr else "") for p in flood]
    refused = [err for code, err in outcomes if code != 0]
    assert all("LimitsExceeded" in err for err in refused), refused
    status, errors, lines = played.finish()
    assert status == 0, errors
    assert "Traceback" not in errors
    assert errors == ""  # the session reached its end
    assert lines[-1]["text"] == TABLE["en"].ending  # it played to its end


@pytest.mark.slow
def test_a_second_coach_answers_under_its_own_instance_name(tmp_path: Path, bus: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_session(tmp_path / "a", bus, "--pace", "2")
    second = start_session(tmp_path / "b", bus, "--pace", "2")
    wait_for(
        lambda: any(n.startswith(f"{DEST}.instance") for n in names(bus)), "a second instance name"
    )
    instance = next(n for n in names(bus) if n.startswith(f"{DEST}.instance"))
    assert instance == f"{DEST}.instance{second.proc.pid}"
    assert send(bus, f"{PLAYER}.Stop", dest=instance).returncode == 0
    assert send(bus, f"{PLAYER}.Stop").returncode == 0
    for played in (first, second):
        status, errors, _ = played.finish()
        assert status == 0, errors
        assert errors.strip().startswith("coach: stopped at")


def test_with_no_bus_the_session_plays_and_says_nothing(tmp_path: Path) -> None:
    env, capture = capture_home(tmp_path)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-such-bus"
    run = subprocess.run(
        [*coach_command(), "play", str(TINY), "--quiet", "--pace", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0
    assert run.stderr == ""
    assert sounded(capture)


READY = """\
title: Ready
ready: 10s
sections:
  - name: S
    exercises:
      - name: Rest
        setup: Lie on your back and rest.
        hold: until-ready
      - name: Calves
        hold: 10s
"""


def test_a_bus_that_dies_mid_session_is_said_once_and_nothing_waits_for_it(
    tmp_path: Path,
) -> None:
    """With no terminal, the bus is the only way to say "ready": once it is gone, a hold
    until ready lasts its ready time, as in a file, instead of waiting for ever."""
    daemon, address = private_bus()
    routine = tmp_path / "ready.yaml"
    routine.write_text(READY)
    env, _capture = capture_home(tmp_path)
    env |= {"DBUS_SESSION_BUS_ADDRESS": address, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [*coach_command(), "play", str(routine), "--quiet", "--pace", "2"],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: DEST in names(address), "coach on the bus")
        daemon.kill()
        daemon.wait(timeout=10)
        _, stderr = proc.communicate(timeout=90)
    finally:
        proc.kill()
        daemon.kill()
    assert proc.returncode == 0, stderr
    assert stderr.count("the session bus went away") == 1, stderr
    assert "Traceback" not in stderr
    assert "never retrieved" not in stderr
    assert last_history(env)["completed"]


def test_signals_on_their_way_when_the_bus_dies_print_no_traceback(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Properties change many times a second while the bus dies under them: the source
    says "went away" once, in words, and asyncio prints nothing of its own (a send's
    future nobody awaits, a writer on a closed socket)."""
    from coach.control.mpris import MprisSource

    daemon, address = private_bus()
    source = MprisSource(state(), address)
    try:
        assert source.start()
        deadline = time.monotonic() + 0.3
        killed = False
        while time.monotonic() < deadline + 1.0:
            source.announce({"PlaybackStatus": "Playing", "Metadata": {}})
            time.sleep(0.0002)
            if not killed and time.monotonic() > deadline:
                daemon.kill()
                killed = True
        wait_for(lambda: source.gone, "the source to see the bus gone")
    finally:
        source.close()
        daemon.kill()
        daemon.wait(timeout=10)
    import gc

    gc.collect()  # a future with an unretrieved exception speaks when it is collected
    err = capfd.readouterr().err + "".join(  # asyncio speaks through logging
        f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records if r.name == "asyncio"
    )
    assert err.count("the session bus went away") == 1, err
    assert "Traceback" not in err, err
    assert "never retrieved" not in err, err
