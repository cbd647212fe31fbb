"""The pure planner: invariants over every bundled routine and pace, pacing, dropping, goldens."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from pathlib import Path

import pytest

from coach.errors import PlanError
from coach.plan.fitting import fit_length
from coach.plan.packing import GAP_S
from coach.plan.planner import SETTLE_S, plan_session
from coach.resources import bundled_routines
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.timeline.events import EventKind, Pacing, Priority, Sound, Timeline
from coach.timeline.schedule import format_schedule
from tests.conftest import SHORT, WriteRoutine, fake_speech_s, written_holds

GOLDEN = Path(__file__).parent.parent / "golden"
PACES = [0.25, 0.5, 1.0, 1.5, 2.0, 4.0]


def plan(routine: Routine, pace: float, sound_s: dict[Sound, float]) -> Timeline:
    return plan_session(routine, Pacing(pace), fake_speech_s, sound_s)


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("name", [*sorted(bundled_routines()), str(SHORT)])
def test_invariants(name: str, pace: float, sound_s: dict[Sound, float]) -> None:
    routine = load_routine(name if name in bundled_routines() else Path(name))
    refused = ""
    try:
        timeline = plan(routine, pace, sound_s)
    except PlanError as err:
        refused = str(err)
    if refused:
        # counted reps have a fastest pace: the refusal names it, and it plans there
        assert any(s.reps for e in routine.exercises for s in e.steps), refused
        pace = float(refused.rsplit("the fastest pace that works is ", 1)[1])
        timeline = plan(routine, pace, sound_s)
    events = timeline.events
    # nothing overlaps: speech never runs over speech or a chime
    for before, after in itertools.pairwise(events):
        assert after.at_s >= before.end_s, (before, after)
        if before.kind is EventKind.SAY and after.kind is EventKind.SAY:
            assert after.at_s - before.end_s >= GAP_S - 1e-6
    assert events[-1].end_s <= timeline.total_s
    # holds last exactly as written ÷ pace (until ready: its ready time; reps: the counting)
    written = written_holds(routine)
    assert [round(h.end_s - h.start_s, 3) for h in timeline.holds] == [
        pytest.approx(seconds if ready else seconds / pace, abs=0.0011)
        for seconds, ready, _ in written
    ]
    # every timed hold opens with the start chime at its first instant (counted reps: before
    # their first beat)
    chimes = [e for e in events if e.sound in (Sound.START, Sound.SWITCH)]
    for hold, (_, _, reps) in zip(timeline.holds, written, strict=True):
        chime = [c for c in chimes if c.at_s <= hold.start_s][-1]
        if not reps:
            assert chime.at_s == hold.start_s, hold
        assert chime.sound is Sound.START, hold
    # a side change within a round is a transition of its own: the switch chime as the last
    # side's hold ends, its words, time to settle, then the next side's full hold
    changes = [
        (earlier, later)
        for earlier, later in itertools.pairwise(timeline.holds)
        if earlier.exercise == later.exercise
        and earlier.round == later.round
        and earlier.side != later.side
    ]
    assert len(timeline.switches) == len(changes)
    for switch, (earlier, later) in zip(timeline.switches, changes, strict=True):
        assert (switch.side, switch.start_s) == (later.side, earlier.end_s)
        # (counted reps start at their first beat, after the start chime's words)
        assert switch.end_s == later.start_s or later.reps
        assert any(e.sound is Sound.START and e.at_s == switch.end_s for e in events)
        chime = next(e for e in events if e.at_s == switch.start_s and e.kind is EventKind.SOUND)
        assert chime.sound is Sound.SWITCH
        inside = [e for e in events if switch.start_s <= e.at_s < switch.end_s]
        assert any(e.kind is EventKind.SAY for e in inside)
        exercise = next(e for e in routine.exercises if e.name == switch.exercise)
        assert switch.end_s - switch.start_s >= exercise.switch_s / pace - 0.0011
        assert max(e.end_s for e in inside) + SETTLE_S <= switch.end_s + 0.0011
    # speech in a hold ends before the hold does (never cut by the next chime)
    for hold in timeline.holds:
        for event in events:
            if hold.start_s <= event.at_s < hold.end_s:
                assert event.end_s <= hold.end_s
    # the session ends with the finish chime, after the last hold
    finish = [e for e in events if e.sound is Sound.FINISH]
    assert len(finish) == 1
    assert finish[0].at_s == timeline.holds[-1].end_s
    # only cues give way, never instructions
    assert all(d.priority < Priority.ESSENTIAL for d in timeline.dropped)
    # every cue written is said or reported left out, as often as its holds come round
    said = Counter(e.text for e in events if e.kind is EventKind.SAY)
    left_out = Counter(d.text for d in timeline.dropped)
    for step_cues, times in written_cues(routine).items():
        assert said[step_cues] + left_out[step_cues] >= times, step_cues
    # and a cue is left out only where its hold had no room for it (announcements such as
    # "Ten seconds left." have one moment each, and give way to whatever is said then)
    for dropped in (d for d in timeline.dropped if d.priority is Priority.NORMAL):
        holds = [
            h for h in timeline.holds if h.exercise == dropped.exercise and h.side == dropped.side
        ]
        free = [
            (h.end_s - h.start_s)
            - sum(e.duration_s + GAP_S for e in events if h.start_s <= e.at_s < h.end_s)
            for h in holds
        ]
        # (free time comes in pieces between fixed moments: twice the cue is room for sure)
        assert min(free) < 2 * (fake_speech_s(dropped.text) + 2 * GAP_S), dropped


def written_cues(routine: Routine) -> Counter[str]:
    """How many times each routine cue comes round: once per hold of its step."""
    found: Counter[str] = Counter()
    for section in routine.sections:
        for exercise in section.exercises:
            times = section.repeat.rounds * exercise.repeat.rounds * max(len(exercise.sides), 1)
            for step in exercise.steps:
                for cue in step.cues:
                    found[cue.say] += times * step.repeat.rounds
    return found


def test_planning_is_deterministic(sound_s: dict[Sound, float]) -> None:
    routine = load_routine("smr-full")
    assert plan(routine, 1.5, sound_s) == plan(routine, 1.5, sound_s)


def test_every_cue_is_said_at_normal_pace(sound_s: dict[Sound, float]) -> None:
    for name in bundled_routines():
        routine = load_routine(name)
        timeline = plan(routine, 1.0, sound_s)
        said = timeline.texts()
        cues = [c.say for e in routine.exercises for s in e.steps for c in s.cues]
        assert all(cue in said for cue in cues)
        assert not [d for d in timeline.dropped if d.priority is Priority.NORMAL]


def test_short_holds_drop_cues_whole_and_report_them(sound_s: dict[Sound, float]) -> None:
    routine = load_routine("smr-legs")
    timeline = plan(routine, 4.0, sound_s)
    assert timeline.dropped
    said = set(timeline.texts())
    for dropped in timeline.dropped:
        assert dropped.priority in (Priority.LOW, Priority.NORMAL)
    # announcements give way before routine cues: where a cue was left out of a side's
    # holds, no announcement was kept in all of them
    assert any(d.priority is Priority.LOW for d in timeline.dropped)
    low = {timeline.phrases.halfway, timeline.phrases.ten_seconds_left}
    for dropped in (d for d in timeline.dropped if d.priority is Priority.NORMAL):
        holds = [
            h for h in timeline.holds if (h.exercise, h.side) == (dropped.exercise, dropped.side)
        ]
        kept_low = [
            any(e.text in low and h.start_s <= e.at_s < h.end_s for e in timeline.events)
            for h in holds
        ]
        assert not all(kept_low), dropped
    assert said


def test_timed_cue_lands_at_its_offset(sound_s: dict[Sound, float]) -> None:
    routine = load_routine(SHORT)
    for pace in (1.0, 2.0):
        timeline = plan(routine, pace, sound_s)
        calves = [h for h in timeline.holds if h.exercise == "Calves"]
        at = [e.at_s for e in timeline.events if e.text == "Move to the outside."]
        assert at == [round(h.start_s + 12 / pace, 3) for h in calves]


def test_pace_out_of_range() -> None:
    with pytest.raises(PlanError, match=r"pace 5 is out of range; use 0\.25 \(slower\) to 4"):
        Pacing(5)


def test_too_short_for_its_instructions(
    write_routine: WriteRoutine, sound_s: dict[Sound, float]
) -> None:
    path = write_routine(
        "title: T\nsections:\n  - name: S\n    exercises:\n      - name: E\n"
        "        setup: x\n        steps:\n          - name: A\n            hold: 8s\n"
        "          - name: B\n            hold: 8s\n            setup: A very long"
        " instruction for the next step that takes many seconds to say out loud.\n"
    )
    with pytest.raises(PlanError, match=r'"E \(B\)" lasts 2s at pace 4, too short for its instr'):
        plan(load_routine(path), 4.0, sound_s)


@pytest.mark.parametrize("length", ["10m", "12m30s", "20m", "40m"])
def test_length_fits_within_a_second(length: str, sound_s: dict[Sound, float]) -> None:
    from coach.durations import parse_duration

    target = parse_duration(length)
    assert target is not None
    timeline = fit_length(load_routine("smr-legs"), target, fake_speech_s, sound_s)
    assert abs(timeline.total_s - target) <= 1.0
    # the timeline is the plan at the pace it names, not a stretched copy
    assert plan(load_routine("smr-legs"), timeline.pace, sound_s) == timeline


@pytest.mark.parametrize(
    ("length", "message"), [(60.0, "cannot be squeezed"), (9000.0, "cannot be stretched")]
)
def test_length_out_of_reach(length: float, message: str, sound_s: dict[Sound, float]) -> None:
    with pytest.raises(PlanError, match=message):
        fit_length(load_routine("smr-legs"), length, fake_speech_s, sound_s)


@pytest.mark.parametrize(
    ("name", "pace"), [("smr-legs", 1.0), ("smr-back", 2.0), (str(SHORT), 4.0)]
)
def test_golden_schedule(name: str, pace: float, sound_s: dict[Sound, float]) -> None:
    """The schedule as text, reviewed when it changes (COACH_UPDATE_GOLDEN=1 rewrites it)."""
    routine = load_routine(name if name in bundled_routines() else Path(name))
    text = format_schedule(plan(routine, pace, sound_s)) + "\n"
    golden = GOLDEN / f"{routine.name}-pace{pace:g}.txt"
    if os.environ.get("COACH_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def test_planning_grows_in_step_with_the_routine() -> None:
    """Not quadratic: twice the exercises ask for (about) twice the speech lengths.

    10,000 exercises plan in about a second; the 150 s a user saw was rendering
    their 20,000 new texts, which now shows a progress bar.
    """
    asked: dict[int, int] = {}
    for count in (250, 500, 1000):
        body = "".join(
            f"  - name: Ex {i}\n    setup: Lie down, number {i}.\n    sides: both\n    hold: 4s\n"
            for i in range(count)
        )
        routine = load_routine_text(
            "title: Big\ntransition: 0\nswitch-time: 0\nsections:\n- name: S\n  exercises:\n" + body
        )
        calls = 0

        def speech_s(text: str) -> float:
            nonlocal calls
            calls += 1
            return fake_speech_s(text)

        plan_session(routine, Pacing(1.0), speech_s, {s: 1.0 for s in Sound})
        asked[count] = calls
    assert asked[500] / asked[250] == pytest.approx(2, rel=0.05)
    assert asked[1000] / asked[500] == pytest.approx(2, rel=0.05)


def load_routine_text(text: str) -> Routine:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(text)
        return load_routine(path)


COUNT_IN = """\
title: Count
count-in: 3
sections:
  - name: S
    exercises:
      - name: Calves
        setup: Ball under your left calf.
        sides: both
        hold: 30s
      - name: Knees
        count-in: 0
        hold: 20s
      - name: Bends
        reps: 4
        tempo: 3s
        count: false
"""


@pytest.mark.parametrize("pace", [1.0, 4.0])
def test_a_count_in_counts_into_each_hold_after_getting_into_position(
    write_routine: WriteRoutine, sound_s: dict[Sound, float], pace: float
) -> None:
    timeline = plan(load_routine(write_routine(COUNT_IN)), pace, sound_s)
    said = [e for e in timeline.events if e.kind is EventKind.SAY]
    counted = [h for h in timeline.holds if h.exercise == "Calves"]
    assert len(counted) == 2  # after the lead-in, and after the change of sides
    for hold in counted:
        before = [e for e in said if e.end_s <= hold.start_s][-3:]
        assert [e.text for e in before] == ["Three.", "Two.", "One."]
        starts = [e.at_s for e in before]
        gaps = [b - a for a, b in itertools.pairwise([*starts, hold.start_s])]
        assert min(gaps) >= 1.0 - 1e-6  # a second each, at least, whatever the pace
        assert max(gaps) - min(gaps) < 0.002  # on one beat
        # the counts come after the time to settle that follows the last instruction
        instruction = [e for e in said if e.end_s <= starts[0]][-1]
        assert starts[0] - instruction.end_s >= SETTLE_S - 1e-6
    # an exercise that says 0 has none, nor has counted reps (the counts would clash)
    texts = [e.text for e in said]
    assert texts.count("Three.") == 2
