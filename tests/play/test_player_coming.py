"""The player on a session started on its first clips, settled further as its speech comes.

On the fake clock, with clips longer than the planner's estimates (as a neural voice's
may be), so each settled session really moves what follows it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest

from coach.audio import Clip
from coach.errors import SpeechError
from coach.language.table import TABLE
from coach.play.display import LineDisplay
from coach.play.player import play_session
from coach.play.still import TICK_S
from coach.play.transport import Change, Command, Display, StopReason
from coach.render.coming import plan_partly
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.testing import FakeClock, FakeControls, FakeOutput
from tests.conftest import SHORT, SOUND_S, fake_speech_s

EN = TABLE["en"]
RATE = 160
MINUTES = 2


def silent(seconds: float) -> Clip:
    return Clip(bytes(2 * round(seconds * 22050)))


@dataclass
class Parts:
    whole: Session
    order: tuple[str, ...]
    clips: dict[str, Clip]

    def known(self, count: int) -> Session:
        """The session with the first ``count`` texts it says (in the plan's order) known."""
        known = {t: self.clips[t] for t in self.order[:count]}
        known |= {t: c for t, c in self.clips.items() if t not in self.order}  # the phrases
        routine = self.whole.routine
        assert routine is not None
        timeline, settled_s, _ = plan_partly(routine, 1.0, MINUTES, known, SOUND_S, RATE)
        return Session(timeline, known, self.whole.sounds, routine, (), settled_s)


@pytest.fixture(scope="module")
def parts() -> Parts:
    routine = load_routine(SHORT)
    # longer than the planner's estimate, and each of its own length
    _, _, order = plan_partly(routine, 1.0, MINUTES, {}, SOUND_S, RATE)
    texts = {*order, *EN.live(), *EN.changes, *(EN.minutes_left(n) for n in range(1, 9))}
    clips = {t: silent(fake_speech_s(t) * 1.3 + 0.001 * (len(t) % 7)) for t in texts}
    whole_timeline, settled, _ = plan_partly(routine, 1.0, MINUTES, clips, SOUND_S, RATE)
    assert settled == float("inf")
    sounds = {s: silent(d + i * 0.001) for i, (s, d) in enumerate(SOUND_S.items())}
    whole = Session(whole_timeline, clips, sounds, routine)
    return Parts(whole, order, clips)


@dataclass
class Arriving:
    """Sessions settled further, each arriving at a given time on the clock."""

    clock: FakeClock
    sessions: list[tuple[float, Session]]
    error: tuple[float, Exception] | None = None
    taken: list[Session] = field(default_factory=list)

    def take(self) -> Session | None:
        now = self.clock.t - 100
        if self.error is not None and now >= self.error[0]:
            raise self.error[1]
        due = [s for at, s in self.sessions if now >= at]
        if not due:
            return None
        self.sessions = [(at, s) for at, s in self.sessions if now < at]
        self.taken.append(due[-1])
        return due[-1]


def play(
    start: Session,
    arrivals: list[tuple[float, Session]],
    keys: list[tuple[float, Command]] | None = None,
    error: tuple[float, Exception] | None = None,
    display: Display | None = None,
) -> tuple[object, FakeOutput, list[Change], Arriving]:
    clock = FakeClock()
    output = FakeOutput(clock)
    coming = Arriving(clock, arrivals, error)
    changes: list[Change] = []
    result = play_session(
        start,
        output,
        clock,
        controls=FakeControls(clock, keys or []),
        coming=coming,
        on_change=changes.append,
        display=display,
    )
    return result, output, changes, coming


def test_parts_settle_further_and_move_what_follows(parts: Parts) -> None:
    """The fixture is what it claims: a part holds the real plan only up to its point."""
    part = parts.known(3)
    whole = parts.whole.timeline
    assert 0 < part.settled_s < whole.total_s
    before = [e for e in part.timeline.events if e.at_s < part.settled_s]
    assert before == [e for e in whole.events if e.at_s < part.settled_s]
    assert part.timeline.events != whole.events  # estimates after it


def test_a_session_whose_speech_comes_in_time_plays_the_whole_plan_on_time(
    parts: Parts,
) -> None:
    first, second = parts.known(3), parts.known(6)
    arrivals = [(first.settled_s - 1.0, second), (second.settled_s - 1.0, parts.whole)]
    result, output, _, coming = play(first, arrivals)
    whole = parts.whole.timeline
    assert result.completed  # type: ignore[attr-defined]
    assert coming.taken == [second, parts.whole]
    assert [f.event for f in result.fired] == list(whole.events)  # type: ignore[attr-defined]
    assert [f.fired_s for f in result.fired] == pytest.approx(  # type: ignore[attr-defined]
        [e.at_s for e in whole.events], abs=1e-9
    )
    assert output.played == [parts.whole.clip(e) for e in whole.events]
    assert result.position_s == pytest.approx(whole.total_s)  # type: ignore[attr-defined]


def test_speech_that_comes_late_holds_the_session_where_it_is_settled_to(
    parts: Parts,
) -> None:
    """No clip is played before it is known, nor squeezed: the rest moves, gaps as planned."""
    first = parts.known(3)
    late_s = 2.5
    result, output, _, _ = play(first, [(first.settled_s + late_s, parts.whole)])
    whole = parts.whole.timeline
    fired = result.fired  # type: ignore[attr-defined]
    assert [f.event for f in fired] == list(whole.events)
    shifts = [f.fired_s - f.event.at_s for f in fired]
    on_time = [s for f, s in zip(fired, shifts, strict=True) if f.event.at_s < first.settled_s]
    moved = [s for f, s in zip(fired, shifts, strict=True) if f.event.at_s >= first.settled_s]
    assert on_time == pytest.approx([0.0] * len(on_time), abs=1e-9)
    assert moved
    assert late_s - 1e-6 <= moved[0] <= late_s + TICK_S + 1e-6
    assert moved == pytest.approx([moved[0]] * len(moved), abs=1e-9)
    assert output.played == [parts.whole.clip(e) for e in whole.events]


def test_quit_while_the_speech_is_late_stops_at_once(parts: Parts) -> None:
    first = parts.known(3)
    result, _, _, _ = play(
        first, [(first.settled_s + 30, parts.whole)], keys=[(first.settled_s + 1.0, Command.QUIT)]
    )
    assert result.stopped_by is StopReason.QUIT  # type: ignore[attr-defined]
    fired = result.fired  # type: ignore[attr-defined]
    assert all(f.event.at_s < first.settled_s for f in fired)
    assert result.position_s == pytest.approx(first.settled_s, abs=TICK_S)  # type: ignore[attr-defined]


def test_a_change_of_pace_waits_for_the_whole_session(parts: Parts) -> None:
    """Re-planning needs every real length: `+` before then is made the moment it is whole."""
    first = parts.known(3)
    whole_at = first.settled_s - 0.5
    result, _, changes, _ = play(
        first,
        [(whole_at, parts.whole)],
        keys=[(1.0, Command.FASTER)],
    )
    assert [c.command for c in changes] == [Command.FASTER]
    assert changes[0].fired_s >= whole_at
    assert changes[0].pace > 1.0
    assert result.completed  # type: ignore[attr-defined]


def test_speech_that_cannot_be_made_stops_the_session_with_the_reason(parts: Parts) -> None:
    first = parts.known(3)
    with pytest.raises(SpeechError, match="no voice"):
        play(first, [], error=(1.0, SpeechError("no voice")))


def test_settling_further_is_not_announced_as_a_change(parts: Parts) -> None:
    """A plan settled further is the same session: a log of lines gets no "now lasts" line
    for it (a change of pace gets one), only a line for each clip."""
    first = parts.known(3)
    stream = io.StringIO()
    result, _, _, coming = play(
        first, [(1.0, parts.known(6)), (2.0, parts.whole)], display=LineDisplay(stream)
    )
    assert len(coming.taken) == 2
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(result.fired)  # type: ignore[attr-defined]
    assert not [line for line in lines if "now lasts" in line]
