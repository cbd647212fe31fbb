"""Live playback: the scheduler on a fake clock, and real sessions through coach's ALSA stream.

These machines have no sound card. ALSA's ``file`` plugin over the ``null``
device, set up in a test HOME's .asoundrc, captures exactly what the stream
played; the null device does not keep real time, so timing comes from the log.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from coach.language.table import TABLE
from coach.play.clock import MonotonicClock
from coach.play.player import play_session
from coach.play.still import TICK_S
from coach.play.stream import LATENCY_S
from coach.play.transport import Command, PlayResult, StopReason
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.testing import FakeClock, FakeControls, FakeOutput
from coach.timeline.events import Event
from tests.alsa_capture import as_heard, assert_no_leads, capture_home, sounded, trimmed
from tests.conftest import DATA, SHORT, as_at_a_shell, coach_command

TINY = DATA / "tiny.yaml"
PAUSED, RESUMING = TABLE["en"].paused, TABLE["en"].resuming


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    speech = SpeechCache(tmp_path_factory.mktemp("speech"), SpeechSettings())
    return build_session(load_routine(SHORT), speech, load_sounds(), pace=4.0)


def test_plays_every_clip_in_order_on_time(session: Session) -> None:
    clock = FakeClock()
    output = FakeOutput(clock)
    result = play_session(session, output, clock)
    assert result.completed
    assert output.played == [session.clip(e) for e in session.timeline.events]
    assert [f.fired_s for f in result.fired] == pytest.approx(
        [e.at_s for e in session.timeline.events], abs=1e-9
    )
    assert clock.t == pytest.approx(100 + session.timeline.total_s)


def test_a_costly_output_never_accumulates_drift(session: Session) -> None:
    """Each clip costs 50 ms to start; absolute deadlines keep every one 50 ms late, no more."""
    clock = FakeClock()
    result = play_session(session, FakeOutput(clock, cost_s=0.05), clock)
    errors = [f.fired_s - f.event.at_s for f in result.fired]
    assert max(errors) == pytest.approx(0.05)
    assert min(errors) == pytest.approx(0.05)


def test_a_slow_device_never_plays_over_itself(session: Session) -> None:
    clock = FakeClock()
    output = FakeOutput(clock, slow=1.5)  # clips take 1.5x as long as planned
    result = play_session(session, output, clock)
    assert "wait" in output.log
    # every clip started after the previous one finished
    for before, after in itertools.pairwise(result.fired):
        clip_end = before.fired_s + session.clip(before.event).duration_s * 1.5
        assert after.fired_s >= clip_end - 1e-9


def texts_played(session: Session, output: FakeOutput) -> list[str]:
    by_pcm = {session.clip(e).pcm: e.text or e.sound_name for e in session.timeline.events}
    by_pcm |= {session.phrase(t).pcm: t for t in (PAUSED, RESUMING)}
    return [by_pcm[c.pcm] for c in output.played]


def say_event(session: Session, text: str, nth: int = 0) -> Event:
    return [e for e in session.timeline.events if e.text == text][nth]


def test_ctrl_c_stops_at_once_and_reports_progress(session: Session) -> None:
    cue = say_event(session, "Good. Next up: Thighs, left side.")
    clock = FakeClock(interrupt_at=cue.at_s + cue.duration_s / 2)
    output = FakeOutput(clock)
    result = play_session(session, output, clock)
    assert not result.completed
    assert result.stopped_by is StopReason.INTERRUPT
    assert result.position_s == pytest.approx(cue.at_s + cue.duration_s / 2)
    assert result.fired[-1].event == cue
    assert output.log[-1] == "stop"  # the cue is cut at once, not left to finish


def play_pressing(
    session: Session, keys: list[tuple[float, Command]]
) -> tuple[PlayResult, FakeOutput]:
    """Play ``session`` on a fake clock, pressing each key that many seconds after the start."""
    clock = FakeClock()
    output = FakeOutput(clock)
    result = play_session(session, output, clock, controls=FakeControls(clock, keys))
    return result, output


def test_pause_resumes_where_it_was_and_repeats_a_cut_cue(session: Session) -> None:
    cue = say_event(session, "Good. Next up: Thighs, left side.")
    pressed_at = cue.at_s + 0.5
    result, output = play_pressing(
        session, [(pressed_at, Command.PAUSE), (pressed_at + 30, Command.PAUSE)]
    )
    assert result.completed
    played = texts_played(session, output)
    i = played.index(PAUSED)
    assert played[i - 1 : i + 3] == [cue.text, PAUSED, RESUMING, cue.text]
    # everything after the pause keeps its planned spacing, shifted by the pause
    after = [f for f in result.fired if f.event.at_s > cue.at_s]
    shifts = {round(f.fired_s - f.event.at_s, 6) for f in after}
    assert len(shifts) == 1
    assert shifts.pop() >= 30


def test_next_skips_to_the_next_exercise(session: Session) -> None:
    first_hold = session.timeline.holds[0]
    result, _ = play_pressing(session, [(first_hold.start_s + 1, Command.NEXT)])
    assert result.completed
    texts = [f.event.text or f.event.sound_name for f in result.fired]
    start = texts.index("start")
    assert texts[start + 1] == "Good. Next up: Thighs, left side."
    assert "switch" not in texts[: start + 2]


def test_back_restarts_the_current_exercise(session: Session) -> None:
    thighs = session.timeline.segments[1]
    result, _ = play_pressing(session, [(thighs.start_s + 10, Command.BACK)])
    assert result.completed
    lead = [f.fired_s for f in result.fired if f.event.text == "Good. Next up: Thighs, left side."]
    assert len(lead) == 2
    assert lead[1] == pytest.approx(thighs.start_s + 10, abs=TICK_S)  # keys are read each tick


def test_quit_stops_and_says_so(session: Session) -> None:
    result, _ = play_pressing(session, [(5.0, Command.QUIT)])
    assert not result.completed
    assert result.stopped_by is StopReason.QUIT
    assert result.position_s == pytest.approx(5.0, abs=TICK_S)


def test_start_from_an_exercise(session: Session) -> None:
    traps = session.timeline.segments[-1]
    clock = FakeClock()
    output = FakeOutput(clock)
    result = play_session(session, output, clock, from_s=traps.start_s)
    assert result.fired[0].event.text == "Good. Next up: Traps."
    assert result.fired[0].fired_s == pytest.approx(0.0)


def test_a_failing_device_stops_cleanly(session: Session) -> None:
    clock = FakeClock()
    output = FakeOutput(clock, fail_at=4)
    result = play_session(session, output, clock)
    assert not result.completed
    assert result.stopped_by is StopReason.DEVICE
    assert result.error == "the audio output failed: gone"
    assert len(result.fired) == 4


def test_monotonic_clock_sleeps_to_the_deadline() -> None:
    clock = MonotonicClock()
    deadline = clock.now() + 0.05
    clock.sleep_until(deadline)
    assert 0 <= clock.now() - deadline < 0.005


# --- the real path: the CLI, the stream, ALSA -------------------------------------------


def planned_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [*coach_command(), "show", *args, "--json"], env=env, capture_output=True, check=True
    )
    planned: dict[str, Any] = json.loads(out.stdout)
    return planned


@pytest.mark.slow
def test_real_session_plays_exactly_the_planned_clips(tmp_path: Path) -> None:
    env, capture = capture_home(tmp_path)
    log = tmp_path / "log.jsonl"
    args = [str(TINY), "--pace", "2"]
    started = time.monotonic()
    run = subprocess.run(
        [*coach_command(), "play", *args, "--quiet", "--log", str(log)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    timeline = planned_json(args, env)
    speech = SpeechCache(
        Path(env["XDG_CACHE_HOME"]) / "coach" / "speech",
        SpeechSettings(),
        lambda: None,  # type: ignore[arg-type,return-value]
    )
    sounds = {s.value: c for s, c in load_sounds().items()}

    def pcm_of(e: dict[str, Any]) -> bytes:
        return speech.clip(e["text"]).pcm if e["kind"] == "say" else sounds[e["sound"]].pcm

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    # every clip at its frame, silence between, nothing else
    assert trimmed(capture.read_bytes()) == as_heard(lines, pcm_of)
    # one stream, never quiet long enough for a sink to doze (tiny at pace 2 has long pauses)
    assert_no_leads(lines)
    # (from its first frame, the opening chime, to the session's end on its clock: the
    # last LATENCY_S of that is silence still to be written when the session ends)
    assert len(capture.read_bytes()) / 2 / 22_050 > timeline["total_s"] - LATENCY_S
    # the log: every event, fired on time against the real clock
    assert [line["at_s"] for line in lines] == [e["at_s"] for e in timeline["events"]]
    late = [line["fired_s"] - line["at_s"] for line in lines]
    assert min(late) >= 0
    assert max(late) < 0.05
    assert elapsed >= timeline["total_s"]
    # and the session is in the history, complete
    history = subprocess.run(
        [*coach_command(), "history", "--json"], env=env, capture_output=True, text=True, check=True
    )
    last = json.loads(history.stdout.splitlines()[-1])
    assert last["routine"] == "tiny"
    assert last["completed"] is True
    assert last["pace"] == 2


def test_no_audio_device_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "ALSA_CONFIG_PATH": str(tmp_path / "none.conf")}
    (tmp_path / "none.conf").write_text("")
    run = subprocess.run(
        [*coach_command(), "play", str(TINY)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert run.stderr.startswith("coach: no audio output")
    assert "add --fallback FILE.wav to write the session to a file instead" in run.stderr
    assert "coach export" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_no_audio_device_with_fallback_writes_the_file(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "ALSA_CONFIG_PATH": str(tmp_path / "none.conf")}
    (tmp_path / "none.conf").write_text("")
    target = tmp_path / "session.wav"
    run = subprocess.run(
        [*coach_command(), "play", str(TINY), "--fallback", str(target)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "no audio output" in run.stderr
    assert f"wrote the session to {target} instead" in run.stderr
    assert target.stat().st_size > 44


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "status", "stopped_by"),
    [(signal.SIGINT, 130, "interrupt"), (signal.SIGTERM, 143, "terminated")],
)
def test_ctrl_c_and_sigterm_stop_keep_the_log_and_are_recorded(
    tmp_path: Path, signum: int, status: int, stopped_by: str
) -> None:
    env, _ = capture_home(tmp_path)
    log = tmp_path / "log.jsonl"
    proc = subprocess.Popen(
        [*coach_command(), "play", str(TINY), "--log", str(log)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_at_a_shell,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not log.exists() or log.stat().st_size == 0):
        time.sleep(0.05)
    time.sleep(2.5)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == status
    assert "coach: stopped at 0:0" in stderr
    assert "Traceback" not in stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert 1 <= len(lines) < 11
    history = subprocess.run(
        [*coach_command(), "history"], env=env, capture_output=True, text=True, check=True
    )
    assert "tiny" in history.stdout.splitlines()[-1]
    assert "stopped at 0:0" in history.stdout.splitlines()[-1]
    entries = subprocess.run(
        [*coach_command(), "history", "--json"], env=env, capture_output=True, text=True
    ).stdout.splitlines()
    assert json.loads(entries[-1])["stopped_by"] == stopped_by


# --- the transport: one state, one loop -------------------------------------------------


def closing_words(session: Session) -> Event:
    return session.timeline.events[-1]


def test_next_during_the_closing_words_ends_the_session_at_once(session: Session) -> None:
    ending = closing_words(session)
    pressed = ending.at_s + ending.duration_s / 2
    clock = FakeClock()
    output = FakeOutput(clock)
    result = play_session(
        session, output, clock, controls=FakeControls(clock, [(pressed, Command.NEXT)])
    )
    assert result.completed
    assert clock.t - 100 == pytest.approx(pressed, abs=TICK_S)
    assert output.log[-1] == "stop"  # the closing words are cut, nothing else plays


def test_back_during_the_closing_words_replays_the_last_exercise(session: Session) -> None:
    ending = closing_words(session)
    last = session.timeline.segments[-1]
    pressed = ending.at_s + ending.duration_s / 2
    result, _ = play_pressing(session, [(pressed, Command.BACK)])
    assert result.completed
    again = [f for f in result.fired if f.fired_s > pressed]
    replayed = [e for e in session.timeline.events if e.at_s >= last.start_s]
    assert [f.event for f in again] == replayed  # the last exercise, the chime and the words
    assert again[0].fired_s == pytest.approx(pressed, abs=TICK_S)
    assert again[-1].event == ending


def test_next_in_the_last_exercise_goes_to_the_closing_chime(session: Session) -> None:
    last = session.timeline.segments[-1]
    pressed = last.start_s + 3
    result, _ = play_pressing(session, [(pressed, Command.NEXT)])
    after = [f.event.sound_name or f.event.text for f in result.fired if f.fired_s > pressed]
    assert after[0] == "finish"
    assert result.completed


def quiet_moment(session: Session, after_s: float) -> float:
    """A time after ``after_s`` when no clip plays (a pause there cuts nothing)."""
    events = session.timeline.events
    for before, nxt in itertools.pairwise(events):
        if before.end_s >= after_s and nxt.at_s - before.end_s > 0.5:
            return round(before.end_s + 0.2, 3)
    raise AssertionError("no quiet moment")


def test_ctrl_c_while_paused_reports_where_it_was_paused(session: Session) -> None:
    paused_at = quiet_moment(session, 5.0)
    clock = FakeClock(interrupt_at=paused_at + 600)
    output = FakeOutput(clock)
    result = play_session(
        session, output, clock, controls=FakeControls(clock, [(paused_at, Command.PAUSE)])
    )
    assert result.stopped_by is StopReason.INTERRUPT
    assert clock.t - 100 == pytest.approx(paused_at + 600)
    assert result.position_s == pytest.approx(paused_at, abs=TICK_S)


def test_quit_while_paused_reports_where_it_was_paused(session: Session) -> None:
    paused_at = quiet_moment(session, 5.0)
    result, _ = play_pressing(session, [(paused_at, Command.PAUSE), (300.0, Command.QUIT)])
    assert result.stopped_by is StopReason.QUIT
    assert result.position_s == pytest.approx(paused_at, abs=TICK_S)


def test_skip_while_paused_resumes_at_the_next_exercise(session: Session) -> None:
    first, second = session.timeline.segments[:2]
    paused_at = quiet_moment(session, first.start_s)
    result, output = play_pressing(session, [(paused_at, Command.PAUSE), (20.0, Command.NEXT)])
    assert result.completed
    played = texts_played(session, output)
    i = played.index(RESUMING)
    assert played[i + 1] == "Good. Next up: Thighs, left side."
    resumed = next(f for f in result.fired if f.event.at_s == second.start_s)
    assert resumed.fired_s > 20.0


def test_the_player_speaks_only_from_the_session(session: Session) -> None:
    """Pause phrases come from the closed session: a player has no speech engine to call."""
    assert set(session.speech) >= {PAUSED, RESUMING, *session.timeline.texts()}
    result, output = play_pressing(session, [(3.0, Command.PAUSE), (4.0, Command.PAUSE)])
    assert result.completed
    assert {session.phrase(PAUSED), session.phrase(RESUMING)} <= set(output.played)


def test_shared_types_do_not_pull_in_the_player() -> None:
    code = (
        "import sys, coach.play.display, coach.control.keys, coach.timeline.schedule, coach.play.transport;"
        "print(sorted(m for m in sys.modules if m in ('coach.play.player', 'coach.play.output')))"
    )
    out = subprocess.run(
        [str(Path(coach_command()[0]).with_name("python")), "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_history_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    env, capture = capture_home(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    env["XDG_DATA_HOME"] = str(blocked)
    run = subprocess.run(
        [*coach_command(), "play", str(TINY), "--pace", "2", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0
    assert sounded(capture)  # the session played
    assert run.stderr.startswith(f"coach: warning: {blocked}/coach/history.jsonl: ")
    assert run.stderr.endswith("; the session was not recorded\n")
    assert len(run.stderr.splitlines()) == 1


# --- keys through a real terminal ---------------------------------------------------------


def play_on_a_terminal(
    tmp_path: Path, routine: Path, typed: list[tuple[float, bytes]], *args: str
) -> tuple[int, list[dict[str, object]], str]:
    """Run ``coach play`` with a pseudo-terminal on stdin, typing each chunk (one write, so
    one read) that many seconds after the first event fired; returns status, log, stderr."""
    import pty

    env, _ = capture_home(tmp_path)
    log = tmp_path / "log.jsonl"
    main, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*coach_command(), "play", str(routine), "--quiet", "--log", str(log), *args],
            env=env,
            stdin=secondary,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=as_at_a_shell,
        )
        os.close(secondary)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not log.exists() or log.stat().st_size == 0):
            time.sleep(0.02)
        started = time.monotonic()
        for at_s, chunk in typed:
            time.sleep(max(0.0, started + at_s - time.monotonic()))
            os.write(main, chunk)
        _, stderr = proc.communicate(timeout=120)
    finally:
        os.close(main)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return proc.returncode, lines, stderr


@pytest.mark.slow
def test_keys_typed_together_each_count_in_order(tmp_path: Path) -> None:
    status, lines, stderr = play_on_a_terminal(tmp_path, TINY, [(1.0, b"++-"), (6.0, b"q")])
    assert "Traceback" not in stderr
    assert status == 0
    changes = [line for line in lines if "change" in line]
    assert [c["change"] for c in changes] == ["faster", "faster", "slower"]
    assert [c["pace"] for c in changes] == [1.25, 1.5625, 1.25]
    assert "coach: stopped at" in stderr  # the q typed later was heard too


@pytest.mark.slow
def test_keys_pressed_during_a_confirmation_are_all_heard(tmp_path: Path) -> None:
    typed = [(1.0, b"+"), (1.3, b"+"), (1.5, b"+"), (1.7, b"+")]
    status, lines, _ = play_on_a_terminal(tmp_path, TINY, [*typed, (8.0, b"q")])
    assert status == 0
    changes = [line for line in lines if "change" in line]
    assert [c["pace"] for c in changes] == [1.25, 1.5625, 1.9531, 2.4414]


@pytest.mark.slow
def test_q_wins_over_the_keys_it_came_with(tmp_path: Path) -> None:
    status, lines, stderr = play_on_a_terminal(tmp_path, TINY, [(1.0, b"+q+h")])
    assert status == 0
    assert "coach: stopped at 0:0" in stderr
    assert not [line for line in lines if "change" in line]


def test_terminal_keys_queue_every_key_and_q_first() -> None:
    from coach.control.keys import TerminalKeys

    read, write = os.pipe()
    try:
        keys = TerminalKeys(read)
        os.write(write, b"+ h-n")
        assert [keys.poll() for _ in range(6)] == [
            Command.FASTER,
            Command.PAUSE,
            Command.LONGER,
            Command.SLOWER,
            Command.NEXT,
            None,
        ]
        os.write(write, b"++")
        assert keys.poll() is Command.FASTER
        os.write(write, b"-q+")  # q wins over what came with it and what still waited
        assert [keys.poll(), keys.poll()] == [Command.QUIT, None]
        # arrows, Home, F1, Alt+b: escape sequences, not the letters inside them
        os.write(write, b"\x1b[B\x1b[H\x1bOP\x1bb\x1b[1;5A+")
        assert [keys.poll(), keys.poll()] == [Command.FASTER, None]
    finally:
        os.close(read)
        os.close(write)
