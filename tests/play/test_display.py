"""The live display: what a glance at the terminal tells, and plain lines when piped."""

from __future__ import annotations

import io

import pytest

from coach.plan.planner import plan_session
from coach.play.display import LineDisplay, TerminalDisplay, big, progress_bar, status_lines
from coach.play.transport import Fired
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Sound, Timeline
from tests.conftest import SHORT, fake_speech_s


@pytest.fixture
def timeline(sound_s: dict[Sound, float]) -> Timeline:
    return plan_session(load_routine(SHORT), Pacing(1.0), fake_speech_s, sound_s)


def test_big_digits() -> None:
    rows = big("1:05")
    assert len(rows) == 5
    assert rows[0] == "  █   ███ ███"
    assert rows[4] == "  █   ███ ███"


@pytest.mark.parametrize(
    ("fraction", "bar"), [(0.0, "▱▱▱▱"), (0.5, "▰▰▱▱"), (1.0, "▰▰▰▰"), (2, "▰▰▰▰")]
)
def test_progress_bar(fraction: float, bar: str) -> None:
    assert progress_bar(fraction, width=4) == bar


def test_status_in_a_hold(timeline: Timeline) -> None:
    hold = timeline.holds[1]  # Calves, right side
    lines = status_lines(timeline, hold.start_s + 5, paused=False, said="Roll slowly.")
    assert lines[0] == "Calves, right side"
    assert lines[2:7] == big("0:19")  # 24 s hold, 5 s in
    assert "“Roll slowly.”" in lines
    assert "Next: Thighs: Quads, left side" in lines
    assert lines[-1] == "space pause · n next · b back · +/- pace · h longer · q quit"


def test_status_while_getting_ready_and_paused(timeline: Timeline) -> None:
    hold = timeline.holds[2]
    lines = status_lines(timeline, hold.start_s - 3.5, paused=True, said="")
    assert lines[0] == "PAUSED · Get ready: Thighs: Quads, left side"
    assert lines[2:7] == big("0:04")


def test_terminal_display_redraws_in_place(timeline: Timeline) -> None:
    stream = io.StringIO()
    display = TerminalDisplay(timeline, stream)
    display.tick(1.0, paused=False)
    first = stream.getvalue()
    assert "\x1b[" in first
    display.tick(1.0, paused=False)  # nothing changed: nothing drawn
    assert stream.getvalue() == first
    display.tick(2.0, paused=False)
    assert stream.getvalue()[len(first) :].startswith(f"\x1b[{first.count(chr(10))}F")


def test_line_display_has_no_escape_codes(timeline: Timeline) -> None:
    stream = io.StringIO()
    display = LineDisplay(stream)
    for i, event in enumerate(timeline.events[:8]):
        display.fired(Fired(i, event, event.at_s))
        display.tick(event.at_s, paused=False)
    text = stream.getvalue()
    assert "\x1b" not in text
    assert len(text.splitlines()) == 8
    assert "(start chime)" in text


@pytest.mark.parametrize(
    ("pace", "shown"), [(1.49695, "pace 1.5"), (1.25, "pace 1.25"), (1.0, "pace 1")]
)
def test_the_pace_is_shown_as_people_write_it(pace: float, shown: str) -> None:
    sound_s = dict.fromkeys(Sound, 1.0)
    timeline = plan_session(load_routine(SHORT), Pacing(pace), fake_speech_s, sound_s)
    lines = status_lines(timeline, 1.0, paused=False, said="")
    assert lines[-2].endswith(f"  {shown}")


def test_a_change_of_sides_is_shown_as_one() -> None:
    sound_s = dict.fromkeys(Sound, 1.0)
    timeline = plan_session(load_routine("smr-legs"), Pacing(1.0), fake_speech_s, sound_s)
    switch = timeline.switches[0]
    lines = status_lines(timeline, switch.start_s + 1.0, paused=False, said="")
    assert lines[0] == "Switch sides: Hips and glutes, right side"


def test_a_session_without_keys_shows_no_keys(timeline: Timeline) -> None:
    """Driven by a headset or by voice, the screen names their ways, never space."""
    hold = timeline.holds[1]
    lines = status_lines(
        timeline, hold.start_s + 5, paused=False, said="", waiting=True, ways=("play", "resume")
    )
    assert lines[0].startswith(timeline.phrases.ready_for(("play", "resume")))
    assert not any("space" in line for line in lines)
    with_keys = status_lines(timeline, hold.start_s + 5, paused=False, said="", waiting=True)
    assert "space" in with_keys[0]
    assert "space" in with_keys[-1]
