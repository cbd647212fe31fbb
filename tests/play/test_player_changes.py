"""The player's changes under way: faster, slower, longer, in bursts and while paused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from coach.audio import Clip
from coach.language.table import TABLE
from coach.plan.planner import plan_session
from coach.play.changing import Later
from coach.play.moves import LONGER_S
from coach.play.player import play_session
from coach.play.still import TICK_S
from coach.play.transport import Change, Command, PlayResult
from coach.render.build import changeable_texts
from coach.render.session import Session
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.testing import FakeClock, FakeControls, FakeOutput
from coach.timeline.events import MIN_PACE, Pacing
from tests.alsa_capture import capture_home, trimmed
from tests.conftest import SHORT, SOUND_S, fake_speech_s

EN = TABLE["en"]


def silent(seconds: float) -> Clip:
    return Clip(bytes(2 * round(seconds * 22050)))


def live_session(routine: Routine, pace: float = 1.0) -> Session:
    """A session that can re-plan, with silent clips of the planner's stand-in lengths."""
    timeline = plan_session(routine, Pacing(pace), fake_speech_s, SOUND_S)
    texts = {*timeline.texts(), *EN.live(), *changeable_texts(routine, SOUND_S, 160)}
    texts |= set(plan_session(routine, Pacing(MIN_PACE), fake_speech_s, SOUND_S).texts())
    clips = {t: silent(fake_speech_s(t)) for t in texts}
    # distinct lengths, so each sound is recognisable among the clips played
    sounds = {s: silent(d + i * 0.001) for i, (s, d) in enumerate(SOUND_S.items())}
    return Session(timeline, clips, sounds, routine)


@pytest.fixture(scope="module")
def session() -> Session:
    return live_session(load_routine(SHORT), 1.0)


def press(
    session: Session,
    keys: list[tuple[float, Command]],
    later: Callable[[FakeClock], Later] | None = None,
) -> tuple[PlayResult, FakeOutput, list[Change]]:
    """Play ``session`` on a fake clock with ``keys`` pressed (and what ``later`` makes on
    that clock handed over, when it comes)."""
    clock = FakeClock()
    output = FakeOutput(clock)
    changes: list[Change] = []
    result = play_session(
        session,
        output,
        clock,
        controls=FakeControls(clock, keys),
        on_change=changes.append,
        later=later(clock) if later else None,
    )
    return result, output, changes


SCRIPT = """
import json, sys, time
from pathlib import Path
from coach.play.clock import MonotonicClock
from coach.play.player import play_session
from coach.routine.reader import load_routine
from coach.play.stream import AlsaStream
from coach.render.build import build_session, load_sounds
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.play.transport import Command

cache, routine, keys = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
session = build_session(
    load_routine(Path(routine)), SpeechCache(Path(cache), SpeechSettings()), load_sounds(),
    pace=2.0, live=True,
)
clock = MonotonicClock()
start = clock.now()

class Scripted:
    def poll(self):
        if keys and clock.now() - start >= keys[0][0]:
            return Command(keys.pop(0)[1])
        return None

class Recording:
    def __init__(self):
        self.inner, self.played = AlsaStream(), []
    def play(self, clip, at=None, after_s=0.0):
        playing = self.inner.play(clip, at, after_s)
        self.played.append((playing, clip.pcm))
        return playing

output = Recording()
changes = []
result = play_session(session, output, clock, controls=Scripted(), on_change=changes.append)
output.inner.close()
stream = bytearray()  # each clip at the frame the stream placed it at, silence between
for playing, pcm in output.played:  # (a cue cut by a confirmation: as far as it was heard)
    at = (playing.start - output.played[0][0].start) * 2
    assert at >= len(stream), "a clip over the one before it"
    cut = len(pcm) if playing.cut is None else (playing.cut - playing.start) * 2
    stream.extend(bytes(at - len(stream)) + pcm[:cut])
Path(sys.argv[4]).write_bytes(stream)
print(json.dumps({"completed": result.completed, "pace": result.pace,
                  "changes": [[c.command.value, c.pace] for c in changes],
                  "cut": sum(playing.cut is not None for playing, _ in output.played),
                  "phrases": [p in [pcm for _, pcm in output.played] for p in (
                      session.phrase(session.timeline.phrases.faster).pcm,
                      session.phrase(session.timeline.phrases.slower).pcm)]}))
"""


def test_faster_re_plans_the_rest_and_says_so(session: Session) -> None:
    hold = session.timeline.holds[0]
    pressed = hold.start_s + 8.0  # a quiet moment in the first hold of Calves
    result, output, changes = press(session, [(pressed, Command.FASTER)])
    assert result.completed
    assert result.pace == 1.25
    (change,) = changes
    assert change.command is Command.FASTER
    assert change.pace == 1.25
    new = result.timeline
    assert new is not None
    assert new.pace == 1.25
    # confirmed aloud: "Faster." and the time left, while the session stood still
    said = [c for c in output.played if c in (session.phrase(EN.faster),)]
    assert said
    left = EN.minutes_left(max(1, round((new.total_s - change.position_s) / 60)))
    assert session.phrase(left) in output.played
    # the part of the hold done stays done: the rest of it runs at the new pace
    # (keys are read once a tick, so the press lands up to a tick late)
    assert change.position_s - new.holds[0].start_s == pytest.approx(8.0 / 1.25, abs=TICK_S)
    # every event after the change fires on the new plan, one shift for all (no drift)
    after = [f for f in result.fired if f.fired_s > change.fired_s]
    assert after
    assert all(f.event in new.events for f in after)
    shifts = {round(f.fired_s - f.event.at_s, 6) for f in after}
    assert len(shifts) == 1


def test_slower_at_the_slowest_pace_changes_nothing() -> None:
    slowest = live_session(load_routine(SHORT), MIN_PACE)
    result, output, changes = press(slowest, [(30.0, Command.SLOWER)])
    assert result.completed
    assert changes == []
    assert result.pace is None
    assert slowest.phrase(EN.slower) not in output.played


def test_longer_adds_thirty_seconds_to_the_hold_under_way(session: Session) -> None:
    hold = session.timeline.holds[0]
    pressed = hold.start_s + 8.0
    result, output, changes = press(session, [(pressed, Command.LONGER)])
    new = result.timeline
    assert new is not None
    assert new.holds[0].end_s - new.holds[0].start_s == pytest.approx(
        hold.end_s - hold.start_s + LONGER_S, abs=0.002
    )
    assert [h.end_s - h.start_s for h in new.holds[1:]] == pytest.approx(
        [h.end_s - h.start_s for h in session.timeline.holds[1:]], abs=0.002
    )
    assert session.phrase(EN.longer) in output.played
    assert changes[0].pace == session.timeline.pace


def test_longer_outside_a_timed_hold_changes_nothing(session: Session) -> None:
    result, _, changes = press(session, [(1.0, Command.LONGER)])  # during the introduction
    assert changes == []
    assert result.completed


def test_many_changes_keep_every_clip_apart(session: Session) -> None:
    keys = [
        (t, Command.FASTER if i % 3 else Command.SLOWER)
        for i, t in enumerate(map(float, range(5, 70, 6)))
    ]
    result, output, changes = press(session, keys)
    assert result.completed
    assert len(changes) >= 5
    # no clip was ever started while another played (the player would have waited for
    # it: a "wait" before the last one, which waits for the closing words to end)
    assert "wait" not in output.log[:-1]


def test_keys_pressed_together_each_change_the_pace_and_are_confirmed_once(
    session: Session,
) -> None:
    pressed = session.timeline.holds[0].start_s + 8.0
    _, plain_output, _ = press(session, [])
    result, output, changes = press(session, [(pressed, Command.FASTER)] * 3)
    assert [c.pace for c in changes] == [1.25, 1.5625, 1.9531]
    assert result.pace == 1.9531
    assert len({c.fired_s for c in changes}) == 1  # carried out together...
    faster = session.phrase(EN.faster)
    # ...and said once, for where they lead (the played clips, less those a plain run plays)
    assert output.played.count(faster) - plain_output.played.count(faster) == 1


def test_a_burst_of_changes_keeps_its_order_and_stops_at_other_keys(session: Session) -> None:
    pressed = session.timeline.holds[0].start_s + 8.0
    burst = [Command.FASTER, Command.LONGER, Command.SLOWER, Command.SLOWER, Command.QUIT]
    result, _, changes = press(session, [(pressed, key) for key in [*burst, Command.FASTER]])
    assert [(c.command, c.pace) for c in changes] == [
        (Command.FASTER, 1.25),
        (Command.LONGER, 1.25),
        (Command.SLOWER, 1.0),
        (Command.SLOWER, 0.8),
    ]
    assert not result.completed  # the q after them still quit
    assert result.pace == 0.8


def test_changes_pressed_while_paused_are_made_when_the_session_goes_on(
    session: Session,
) -> None:
    pressed = session.timeline.holds[0].start_s + 8.0
    keys = [(pressed, Command.PAUSE), (pressed + 5, Command.FASTER), (pressed + 20, Command.PAUSE)]
    result, _, changes = press(session, keys)
    assert result.completed
    (change,) = changes
    assert change.pace == 1.25
    assert change.fired_s >= pressed + 20  # after the resume, not while paused


@pytest.mark.slow
def test_a_real_session_with_keys_plays_exactly_the_re_planned_clips(tmp_path: Path) -> None:
    env, capture = capture_home(tmp_path)
    played = tmp_path / "played.raw"
    keys = [[3.0, "faster"], [7.0, "slower"], [10.0, "faster"]]
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(SCRIPT),
            str(tmp_path / "speech"),
            str(Path(__file__).parent.parent / "data" / "tiny.yaml"),
            json.dumps(keys),
            str(played),
        ],
        env=env | {"PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["completed"]
    assert report["changes"] == [["faster", 2.5], ["slower", 2.0], ["faster", 2.5]]
    assert report["pace"] == 2.5
    assert report["phrases"] == [True, True]  # "Faster." and "Slower." were said
    # what reached the (captured) device is exactly what the player played, each clip on
    # the sample the stream placed it: the re-planned clips, the confirmations, a cue one
    # cut off as far as it was heard (then said again, whole), nothing else
    assert trimmed(capture.read_bytes()) == trimmed(played.read_bytes())


@dataclass
class CreepingClock(FakeClock):
    """A clock that moves on a little every time it is read, as a real one does."""

    step_s: float = 0.0005

    def now(self) -> float:
        self.t += self.step_s
        return self.t


def test_a_change_right_after_a_skip_keeps_the_words_that_were_due(session: Session) -> None:
    """next, then faster, in one burst: the exercise's first words are said, not lost."""
    clock = CreepingClock()
    output = FakeOutput(clock)
    keys = [(1.0, Command.NEXT), (1.0, Command.FASTER), (40.0, Command.QUIT)]
    result = play_session(session, output, clock, controls=FakeControls(clock, keys))
    target = next(s for s in session.timeline.segments if s.start_s > 1.0)
    first = next(e for e in session.timeline.events if e.at_s >= target.start_s)
    said = [f.event.text for f in result.fired]
    assert first.text in said


@dataclass
class SeenDisplay:
    """What a screen would show, and when (on the fake clock)."""

    clock: FakeClock
    seen: list[tuple[float, bool, float]]
    pace: float = 1.0

    def fired(self, fired: object) -> None:
        pass

    def replanned(self, timeline: object) -> None:
        self.pace = timeline.pace  # type: ignore[attr-defined]

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        self.seen.append((self.clock.now() - 100.0, paused, self.pace))  # since the start


@pytest.mark.parametrize("command", [Command.PAUSE, Command.FASTER, Command.NEXT])
def test_the_screen_answers_a_command_within_100_ms(session: Session, command: Command) -> None:
    """Before, "Paused" was said first and shown 2.5 s later; a new pace after its words."""
    clock = FakeClock()
    display = SeenDisplay(clock, [])
    pressed = session.timeline.holds[0].start_s + 5.0
    keys = [(pressed, command)]
    if command is Command.PAUSE:
        keys.append((pressed + 10.0, Command.PAUSE))
    result = play_session(
        session,
        FakeOutput(clock),
        clock,
        controls=FakeControls(clock, keys),
        display=display,
    )
    assert result.completed
    after = [(at, paused, pace) for at, paused, pace in display.seen if at >= pressed]
    if command is Command.PAUSE:
        shown = next(at for at, paused, _ in after if paused)
        assert shown - pressed <= 0.1
        resumed = pressed + 10.0
        going = next(at for at, paused, _ in after if at >= resumed and not paused)
        assert going - resumed <= 0.1
    elif command is Command.FASTER:
        shown = next(at for at, _, pace in after if pace > 1.0)
        assert shown - pressed <= 0.1
    else:
        assert after[0][0] - pressed <= 0.1


@dataclass
class ArrivingLater:
    """What a change of pace says, arriving at a given time on the clock (as ``render.later``
    hands it over once its rendering is done)."""

    clock: FakeClock
    at_s: float
    clips: dict[str, Clip]
    asked: int = 0

    @property
    def pending(self) -> bool:
        return self.clock.t - 100 < self.at_s

    def take(self) -> dict[str, Clip] | None:
        self.asked += 1
        if self.pending or not self.clips:
            return None
        clips, self.clips = self.clips, {}
        return clips


def without_other_paces(session: Session) -> tuple[Session, dict[str, Clip]]:
    """The session as a cold live start has it (only its own pace's words), and the rest."""
    own = {*session.timeline.texts(), *EN.live(), *EN.changes}
    started = Session(
        session.timeline,
        {t: c for t, c in session.speech.items() if t in own},
        session.sounds,
        session.routine,
    )
    return started, {t: c for t, c in session.speech.items() if t not in own}


def test_a_change_whose_words_could_not_be_rendered_is_skipped_and_the_session_goes_on(
    session: Session,
) -> None:
    started, _ = without_other_paces(session)
    keys = [(session.timeline.holds[0].start_s + 4.0, Command.FASTER)]
    # done, with nothing to hand over
    result, output, changes = press(started, keys, lambda clock: ArrivingLater(clock, -1.0, {}))
    assert result.completed
    assert changes == []
    assert output.played == [started.clip(e) for e in started.timeline.events]


def test_a_change_of_pace_waits_for_its_speech_and_works_once_it_has_come(
    session: Session,
) -> None:
    """Started before the other paces' cues were rendered: a change asked for before they
    come waits for them while the session goes on as planned (nothing late, nothing lost),
    and is made the moment they have come; one asked for after, at once."""
    started, rest = without_other_paces(session)
    assert rest
    hold = session.timeline.holds[0]
    arriving: list[ArrivingLater] = []

    def later(clock: FakeClock) -> ArrivingLater:
        arriving.append(ArrivingLater(clock, hold.start_s + 10.0, rest))
        return arriving[0]

    keys = [(hold.start_s + 4.0, Command.FASTER), (hold.start_s + 12.0, Command.FASTER)]
    result, output, changes = press(started, keys, later)
    assert result.completed
    first, second = changes
    # the first was made when its words came (a tick at most after), not when asked for;
    # a change is logged once it has been confirmed aloud
    left = EN.minutes_left(max(1, round((first.total_s - first.position_s) / 60)))
    said_s = session.phrase(EN.faster).duration_s + session.phrase(left).duration_s
    assert hold.start_s + 10.0 + said_s <= first.fired_s <= hold.start_s + 10.0 + said_s + TICK_S
    assert second.fired_s >= hold.start_s + 12.0
    assert (first.pace, second.pace) == (1.25, 1.5625) == (1.25, result.pace)
    assert not arriving[0].clips  # taken, once
    assert session.phrase(EN.faster) in output.played
    # until then the session went on as planned: every clip before fired on time
    before = [f for f in result.fired if f.fired_s < first.fired_s]
    assert before
    assert all(f.fired_s == pytest.approx(f.event.at_s, abs=1e-6) for f in before)
