"""The one walk: its holds, rests and transitions add up to the closed form, in play order."""

from __future__ import annotations

import pytest

from coach.resources import bundled_routines
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.routine.walk import times, turns, written_s
from tests.conftest import WriteRoutine

NESTED = """\
title: Nested
transition: 5s
sections:
  - name: A
    repeat: 2
    rest: 7s
    exercises:
      - name: E
        sides: both
        repeat: 3
        rest: 11s
        steps:
          - name: S
            hold: 10s
            repeat: 2
            rest: 13s
          - name: T
            reps: 4
            tempo: 2s
      - name: F
        hold: 20s
"""


def walked_s(routine: Routine) -> float:
    return sum(
        t.step.written_s
        + t.rest_after_s
        + t.switch_before_s
        + (t.exercise.transition_s if t.opens_exercise else 0.0)
        for t in turns(routine)
    )


@pytest.mark.parametrize("name", sorted(bundled_routines()))
def test_the_walk_and_the_closed_form_agree(name: str) -> None:
    routine = load_routine(name)
    assert walked_s(routine) == pytest.approx(written_s(routine))


def test_every_round_is_walked_in_play_order(write_routine: WriteRoutine) -> None:
    routine = load_routine(write_routine(NESTED))
    walked = list(turns(routine))
    # per section round: E (3 rounds, 2 sides, S twice and T), then F
    assert len(walked) == 2 * (3 * 2 * 3 + 1)
    assert [(t.step.name, t.side and t.side.value) for t in walked[:4]] == [
        ("S", "left"),
        ("S", "left"),
        ("T", "left"),
        ("S", "right"),
    ]
    rests = [t.rest_after_s for t in walked if t.rest_after_s]
    # steps' rests between their rounds, the exercise's between its, the section's once
    assert rests.count(13.0) == 2 * 3 * 2
    assert rests.count(11.0) == 2 * 2
    assert rests.count(7.0) == 1
    assert sum(t.opens_exercise for t in walked) == 2 * 2
    # a change of sides before each round's right side of E (its first step, first round)
    assert sum(1 for t in walked if t.switch_before_s) == 2 * 3
    section, exercise = routine.sections[0], routine.sections[0].exercises[0]
    assert times(section, exercise, exercise.steps[0]) == 2 * 3 * 2 * 2
    assert walked_s(routine) == pytest.approx(written_s(routine))


def test_a_part_keeps_the_exercises_from_and_to_and_their_sections_rounds(
    write_routine: WriteRoutine,
) -> None:
    from coach.routine.walk import part_of

    routine = load_routine(write_routine(NESTED))
    assert part_of(routine, None, None) is routine
    only_f = part_of(routine, "f", None)
    assert [s.name for s in only_f.sections] == ["A"]
    assert [e.name for e in only_f.exercises] == ["F"]
    assert only_f.sections[0].repeat == routine.sections[0].repeat
    assert [e.name for e in part_of(routine, None, "E").exercises] == ["E"]
    full = load_routine("smr-full")
    back = part_of(full, "lats", "upper")
    assert [e.name for e in back.exercises] == ["Lats", "Teres minor and rhomboids", "Upper traps"]
    assert back.title == full.title


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("neck", None, '--from: no exercise "neck" in smr-full; it has: Hips and glutes'),
        (None, "neck", '--to: no exercise "neck"'),
        ("upper", "lats", '--to: "lats" comes before --from'),
    ],
)
def test_a_part_that_is_not_there_is_said(
    first: str | None, last: str | None, message: str
) -> None:
    from coach.errors import PlanError
    from coach.routine.walk import part_of

    with pytest.raises(PlanError) as raised:
        part_of(load_routine("smr-full"), first, last)
    assert str(raised.value).startswith(message)
