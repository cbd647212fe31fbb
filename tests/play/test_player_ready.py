"""The player at a hold until ready: it waits for space, reminds, and never waits on no one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from coach.play.transport import Command
from coach.testing import FakeClock, FakeControls, FakeOutput
from tests.conftest import coach_command
from tests.strategies import ready_session


def test_play_waits_at_a_hold_until_ready_and_reminds(tmp_path: Path) -> None:
    from coach.play.player import play_session

    session = ready_session(tmp_path)
    gate = session.timeline.holds[0].end_s
    clock = FakeClock()
    output = FakeOutput(clock)
    pressed = gate + 75  # the person takes their time
    result = play_session(
        session, output, clock, controls=FakeControls(clock, [(pressed, Command.PAUSE)])
    )
    assert result.completed
    assert session.ready_text == "When you are ready, press space."
    reminder = session.phrase(session.ready_text)
    assert output.played.count(reminder) == 3  # at the end of the hold, then every 30 s
    after = [f for f in result.fired if f.event.at_s >= gate]
    # everything after the gate is shifted by the wait, and keeps its spacing
    shifts = {round(f.fired_s - f.event.at_s, 3) for f in after}
    assert len(shifts) == 1
    assert shifts.pop() == pytest.approx(75, abs=0.06)


@pytest.mark.parametrize(
    ("ways", "told"),
    [
        (("play",), "press play"),
        (("play", "resume"), "press play or say resume"),
        (("space", "play", "resume"), "press space, press play or say resume"),
    ],
)
def test_the_words_at_a_wait_and_a_pause_name_only_this_sessions_ways(
    tmp_path: Path, ways: tuple[str, ...], told: str
) -> None:
    """A headset or phone remote with no terminal is never told to press space."""
    from coach.play.player import play_session

    session = ready_session(tmp_path, ways)
    gate = session.timeline.holds[0].end_s
    paused_at = session.timeline.holds[1].start_s + 5
    clock = FakeClock()
    output = FakeOutput(clock)
    presses = [
        (gate + 2, Command.PAUSE),
        (paused_at, Command.PAUSE),
        (paused_at + 4, Command.PAUSE),
    ]
    result = play_session(session, output, clock, controls=FakeControls(clock, presses))
    assert result.completed
    said = [text for text, clip in session.speech.items() if clip in output.played]
    assert f"When you are ready, {told}." in said
    assert f"Paused. To go on, {told}." in said
    assert not any("space" in text for text in said) or "space" in ways


def test_a_session_with_no_way_to_go_on_names_none(tmp_path: Path) -> None:
    session = ready_session(tmp_path, ())
    assert (session.paused_text, session.ready_text) == ("Paused.", "")
    assert not any("space" in text or "press" in text for text in session.speech)


def test_space_inside_a_hold_until_ready_ends_it_at_once(tmp_path: Path) -> None:
    from coach.play.player import play_session

    session = ready_session(tmp_path)
    hold = session.timeline.holds[0]
    pressed = hold.start_s + 3
    clock = FakeClock()
    output = FakeOutput(clock)
    result = play_session(
        session, output, clock, controls=FakeControls(clock, [(pressed, Command.PAUSE)])
    )
    assert result.completed
    assert (
        session.phrase(session.paused_text) not in output.played
    )  # space meant "ready", not "pause"
    nxt = next(f for f in result.fired if f.event.at_s >= hold.end_s)
    assert nxt.fired_s == pytest.approx(pressed, abs=0.06)


def test_pace_keys_while_waiting_for_ready_do_not_skip(tmp_path: Path) -> None:
    from coach.play.player import play_session

    session = ready_session(tmp_path)
    gate = session.timeline.holds[0].end_s
    clock = FakeClock()
    output = FakeOutput(clock)
    keys = [(gate + 5, Command.FASTER), (gate + 6, Command.LONGER), (gate + 40, Command.PAUSE)]
    result = play_session(session, output, clock, controls=FakeControls(clock, keys))
    assert result.completed
    nxt = next(f for f in result.fired if f.event.at_s >= gate)
    assert nxt.fired_s == pytest.approx(gate + 40, abs=0.06)  # it waited for space


def test_with_no_one_to_press_space_a_hold_until_ready_lasts_its_ready_time(
    tmp_path: Path,
) -> None:
    from coach.play.player import play_session

    session = ready_session(tmp_path)
    clock = FakeClock(interrupt_at=session.timeline.total_s + 300)  # a hang ends as Ctrl-C
    output = FakeOutput(clock)
    result = play_session(session, output, clock, wait_when_ready=False)
    assert result.completed
    assert session.phrase(session.ready_text) not in output.played
    assert [f.fired_s for f in result.fired] == pytest.approx(
        [e.at_s for e in session.timeline.events], abs=1e-9
    )


@pytest.mark.slow
def test_play_with_no_terminal_runs_a_hold_until_ready_straight_through(tmp_path: Path) -> None:
    from tests.alsa_capture import capture_home

    routine = tmp_path / "ready.yaml"
    routine.write_text(
        "title: Ready\nready: 2s\ntransition: 1s\nsections:\n  - name: S\n    exercises:\n"
        "      - name: Breathe\n        setup: Lie still.\n        hold: until-ready\n"
        "      - name: Stretch\n        setup: Reach up.\n        hold: 16s\n"
    )
    env, _ = capture_home(tmp_path)
    played = subprocess.run(
        [*coach_command(), "play", str(routine), "--quiet", "--pace", "4"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert played.returncode == 0, played.stderr
    assert played.stderr == ""
