"""The one walk through a routine's nesting: every hold as written, in the order it is played.

Sections repeat around exercises, exercises around their sides, sides around
steps, steps around their own rounds. The nesting is written here once: as a walk
(``turns``), and in closed form for the counts that must stay cheap however many
rounds a hostile routine asks for (the ceiling is checked before anything else).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from coach.errors import PlanError
from coach.routine.model import Exercise, Routine, Section, Side, Step


@dataclass(frozen=True, slots=True)
class Turn:
    """One hold as written (pace 1), with where it sits in the routine's rounds."""

    section: Section
    exercise: Exercise
    step: Step
    side: Side | None
    section_round: int
    exercise_round: int
    step_round: int
    rest_after_s: float
    """The rest written after this hold (between rounds), 0 when there is none."""
    opens_exercise: bool
    """The first hold of this exercise in its section's round: its transition comes before."""
    switch_before_s: float = 0.0
    """The time to change sides written before this hold (its side's first), 0 when none."""


def turns(routine: Routine) -> Iterator[Turn]:
    for section in routine.sections:
        for section_round in range(1, section.repeat.rounds + 1):
            last_section_round = section_round == section.repeat.rounds
            for e_index, exercise in enumerate(section.exercises):
                last_exercise = e_index == len(section.exercises) - 1
                sides: tuple[Side | None, ...] = exercise.sides or (None,)
                for exercise_round in range(1, exercise.repeat.rounds + 1):
                    last_exercise_round = exercise_round == exercise.repeat.rounds
                    for s_index, side in enumerate(sides):
                        for t_index, step in enumerate(exercise.steps):
                            last_in_round = (
                                s_index == len(sides) - 1 and t_index == len(exercise.steps) - 1
                            )
                            for step_round in range(1, step.repeat.rounds + 1):
                                rest_s = 0.0
                                if step_round < step.repeat.rounds:
                                    rest_s = step.repeat.rest_s
                                elif last_in_round and not last_exercise_round:
                                    rest_s = exercise.repeat.rest_s
                                elif (
                                    last_in_round
                                    and last_exercise_round
                                    and last_exercise
                                    and not last_section_round
                                ):
                                    rest_s = section.repeat.rest_s
                                yield Turn(
                                    section,
                                    exercise,
                                    step,
                                    side,
                                    section_round,
                                    exercise_round,
                                    step_round,
                                    rest_s,
                                    exercise_round == 1
                                    and s_index == 0
                                    and t_index == 0
                                    and step_round == 1,
                                    exercise.switch_s
                                    if s_index > 0 and t_index == 0 and step_round == 1
                                    else 0.0,
                                )


def times(section: Section, exercise: Exercise, step: Step) -> int:
    """How many holds a step makes: every round of its section, exercise, side and its own."""
    sides = max(len(exercise.sides), 1)
    return section.repeat.rounds * exercise.repeat.rounds * sides * step.repeat.rounds


def written_s(routine: Routine) -> float:
    """The whole routine as written (pace 1, no speech): holds, rests, transitions and switches.

    In closed form: the same sum as over ``turns``, at the cost of the nesting, not the rounds.
    """
    total = 0.0
    for section in routine.sections:
        rounds = section.repeat.rounds
        total += rounds * sum(_exercise_s(e) for e in section.exercises)
        total += (rounds - 1) * section.repeat.rest_s
    return total


def _exercise_s(exercise: Exercise) -> float:
    def step_s(step: Step) -> float:
        rounds = step.repeat.rounds
        return rounds * step.written_s + (rounds - 1) * step.repeat.rest_s

    sides = max(len(exercise.sides), 1)
    one_round = sides * sum(step_s(s) for s in exercise.steps) + (sides - 1) * exercise.switch_s
    rounds = exercise.repeat.rounds
    return rounds * one_round + (rounds - 1) * exercise.repeat.rest_s + exercise.transition_s


def part_of(routine: Routine, first: str | None, last: str | None) -> Routine:
    """The routine from the exercise ``first`` names to the one ``last`` names, both
    included: the first whose name begins with each (any case), ``last`` at or after
    ``first``. Sections keep their rounds; a section left with no exercise is left out.

    Raises:
        PlanError: no exercise has such a name (the message lists them), or ``last``
            comes before ``first``.
    """
    if first is None and last is None:
        return routine
    flat = [e for section in routine.sections for e in section.exercises]
    start = 0 if first is None else _named(routine, flat, first, "--from", 0)
    end = len(flat) - 1 if last is None else _named(routine, flat, last, "--to", start)
    kept: list[Section] = []
    index = 0
    for section in routine.sections:
        exercises = tuple(e for i, e in enumerate(section.exercises, index) if start <= i <= end)
        index += len(section.exercises)
        if exercises:
            kept.append(dataclasses.replace(section, exercises=exercises))
    return dataclasses.replace(routine, sections=tuple(kept))


def _named(routine: Routine, flat: list[Exercise], name: str, option: str, after: int) -> int:
    wanted = name.casefold()
    for index, exercise in enumerate(flat):
        if index >= after and exercise.name.casefold().startswith(wanted):
            return index
    names = ", ".join(dict.fromkeys(e.name for e in flat))
    if any(e.name.casefold().startswith(wanted) for e in flat):
        raise PlanError(
            f'{option}: "{name}" comes before --from {flat[after].name!r} in {routine.name}; '
            "give them in the order they are played"
        )
    raise PlanError(f'{option}: no exercise "{name}" in {routine.name}; it has: {names}')
