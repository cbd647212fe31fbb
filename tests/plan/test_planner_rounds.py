"""The planner on rounds, rests, counted reps, countdowns and holds until ready (properties)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import PlanError
from coach.plan.fitting import fit_length
from coach.plan.packing import GAP_S
from coach.timeline.events import EventKind, Sound
from tests.conftest import SOUND_S, fake_speech_s, written_holds
from tests.strategies import (
    EN,
    HEAD,
    PROPERTY,
    attempt,
    counts_said,
    load_document,
    load_text,
    plan,
    ready_session,
    routines,
)


@PROPERTY
@given(document=routines, pace=st.sampled_from([0.5, 1.0, 2.0, 3.0]))
def test_planner_properties(document: dict[str, Any], pace: float) -> None:
    routine = load_document(document)
    timeline, refused = attempt(lambda: plan(routine, pace))
    if timeline is None:
        # the only refusals: a hold or rest too short for its words, a beat too short
        assert "too short" in refused
        return
    events = timeline.events
    # no overlaps, and a gap between two pieces of speech
    for before, after in itertools.pairwise(events):
        assert after.at_s >= before.end_s - 1e-9, (before, after)
        if before.kind is EventKind.SAY and after.kind is EventKind.SAY:
            assert after.at_s - before.end_s >= GAP_S - 1e-6
    assert events[-1].end_s <= timeline.total_s
    # holds exact: as written ÷ pace (a hold until ready: its ready time; reps: the counting)
    written = written_holds(routine)
    assert len(timeline.holds) == len(written)
    for hold, (seconds, until_ready, _reps) in zip(timeline.holds, written, strict=True):
        expected = seconds if until_ready else seconds / pace
        assert abs((hold.end_s - hold.start_s) - expected) <= 0.0011, hold
        assert hold.until_ready is until_ready
    # counts on the beat, to the millisecond, none dropped, in order
    for hold, (seconds, _, reps) in zip(timeline.holds, written, strict=True):
        if not reps:
            continue
        beat = seconds / reps / pace
        inside = [e for e in events if hold.start_s - 1e-9 <= e.at_s < hold.end_s - 1e-9]
        counted = [e for e in inside if e.sound is Sound.TICK or e.text in counts_said(reps)]
        assert len(counted) == reps
        for k, event in enumerate(counted):
            assert abs(event.at_s - (hold.start_s + k * beat)) <= 0.0005, (k, event)
        if counted[0].kind is EventKind.SAY:
            assert [e.text for e in counted] == counts_said(reps)
    # rounds and rests in order: each rest sits between two holds, rest sound first
    for rest in timeline.rests:
        holds_before = [h for h in timeline.holds if h.end_s <= rest.start_s + 1e-9]
        holds_after = [h for h in timeline.holds if h.start_s >= rest.end_s - 1e-9]
        assert holds_before
        assert holds_after
        assert holds_before[-1].end_s == pytest.approx(rest.start_s, abs=1e-6)
        first_sound = next(e for e in events if e.at_s >= rest.start_s - 1e-9)
        assert first_sound.sound is Sound.REST
        said = [
            e.text
            for e in events
            if e.kind is EventKind.SAY and rest.start_s <= e.at_s < rest.end_s
        ]
        assert said[0] == EN.rest
        prefix = EN.round(rest.round, 0).removesuffix("0.")
        assert any(text.startswith(prefix) for text in said), said
    # round numbers count up within each run of a repeated thing
    for hold in timeline.holds:
        assert hold.round is None or hold.round >= 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=routines, minutes=st.integers(3, 30))
def test_length_still_lands_within_a_second(document: dict[str, Any], minutes: int) -> None:
    routine = load_document(document)
    timeline, refused = attempt(lambda: fit_length(routine, minutes * 60.0, fake_speech_s, SOUND_S))
    if timeline is None:
        assert "cannot be" in refused or "too short" in refused
        return
    assert abs(timeline.total_s - minutes * 60) <= 1


def test_a_pace_too_fast_for_the_counts_names_the_fastest_that_works(tmp_path: Path) -> None:
    routine = load_text(
        tmp_path, HEAD.replace("setup: x", "setup: x") + "        reps: 10\n        tempo: 2s\n"
    )
    with pytest.raises(PlanError) as caught:
        plan(routine, 4.0)
    message = str(caught.value)
    assert '"A" counts 10 reps of 2s at pace 4: a beat of 0.50s is too short to say' in message
    fastest = float(message.rsplit("the fastest pace that works is ", 1)[1])
    plan(routine, fastest)  # that pace works
    with pytest.raises(PlanError):
        plan(routine, min(4.0, fastest + 0.05))


def test_countdown_ticks_in_the_last_seconds(tmp_path: Path) -> None:
    routine = load_text(tmp_path, HEAD + "        hold: 30s\n        countdown: 3\n")
    for pace in (1.0, 2.0):
        timeline = plan(routine, pace)
        hold = timeline.holds[0]
        ticks = [e.at_s for e in timeline.events if e.sound is Sound.TICK]
        assert ticks == [round(hold.end_s - k, 3) for k in (3, 2, 1)]
        # no speech runs into the ticks
        speech = [e for e in timeline.events if e.kind is EventKind.SAY and e.at_s < hold.end_s]
        assert all(e.end_s <= ticks[0] for e in speech)


def test_rounds_are_announced_and_holds_numbered(tmp_path: Path) -> None:
    routine = load_text(
        tmp_path,
        HEAD + "        sides: both\n        hold: 30s\n        repeat: 3\n        rest: 20s\n",
    )
    timeline = plan(routine)
    assert [(h.side.value if h.side else None, h.round) for h in timeline.holds] == [
        ("left", 1),
        ("right", 1),
        ("left", 2),
        ("right", 2),
        ("left", 3),
        ("right", 3),
    ]
    said = timeline.texts()
    assert [t for t in said if t.startswith("Round")] == [
        "Round 1 of 3.",
        "Round 2 of 3.",
        "Round 3 of 3.",
    ]
    assert said.count("Rest.") == 2
    assert said.count("Go.") == 2
    assert [r.round for r in timeline.rests] == [2, 3]
    rest_sounds = [e.at_s for e in timeline.events if e.sound is Sound.REST]
    assert rest_sounds == [r.start_s for r in timeline.rests]
    # "Go." ends before the next round's chime
    for rest in timeline.rests:
        go = next(
            e for e in timeline.events if e.text == "Go." and rest.start_s <= e.at_s < rest.end_s
        )
        assert go.end_s <= rest.end_s - GAP_S + 0.001


def test_export_and_show_give_a_hold_until_ready_its_ready_time(tmp_path: Path) -> None:
    session = ready_session(tmp_path)
    hold = session.timeline.holds[0]
    assert hold.until_ready
    assert hold.end_s - hold.start_s == pytest.approx(12.0)
    assert not math.isnan(session.timeline.total_s)


@pytest.mark.parametrize("pace", [0.25, 0.5, 1.0, 2.0, 4.0])
def test_cues_at_times_in_a_hold_until_ready_keep_their_times_at_any_pace(
    pace: float, tmp_path: Path
) -> None:
    routine = load_text(
        tmp_path,
        "title: T\nready: 40s\nsections:\n  - name: S\n    exercises:\n"
        "      - name: Breathe\n        setup: Lie still.\n        hold: until-ready\n"
        "        cues:\n          - at: 10s\n            say: Breathe in.\n"
        "          - at: 25s\n            say: And out.\n",
    )
    timeline = plan(routine, pace)
    hold = timeline.holds[0]
    assert hold.end_s - hold.start_s == pytest.approx(40.0)
    assert timeline.dropped == ()
    at = {e.text: e.at_s - hold.start_s for e in timeline.events if e.text}
    assert at["Breathe in."] == pytest.approx(10.0, abs=0.002)
    assert at["And out."] == pytest.approx(25.0, abs=0.002)
