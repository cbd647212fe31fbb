"""Plan, the ceiling: how long a session may be, checked from the routine before any speech."""

from __future__ import annotations

from coach.durations import format_duration
from coach.errors import SessionTooLongError
from coach.routine.model import Exercise, Routine, Step
from coach.timeline.events import Pacing

MAX_SESSION_S = 6 * 3600.0
"""The longest session coach plans: far past any real one, short of an export that never ends."""


def check_length(routine: Routine, pacing: Pacing) -> None:
    """Refuse, before any speech is asked for, a session whose holds alone are too long.

    Raises:
        PlanError: holds and transitions add up to more than ``MAX_SESSION_S``.
    """
    held_s = sum(
        section.repeat.rounds * sum(written_s(e) for e in section.exercises)
        + (section.repeat.rounds - 1) * section.repeat.rest_s
        for section in routine.sections
    )
    if held_s / pacing.pace > MAX_SESSION_S:
        raise too_long(routine, pacing, held_s / pacing.pace)


def written_s(exercise: Exercise) -> float:
    """An exercise's holds, rests and transition as written (pace 1, no speech)."""

    def step_s(step: Step) -> float:
        rounds = step.repeat.rounds
        return rounds * step.written_s + (rounds - 1) * step.repeat.rest_s

    one_round = max(len(exercise.sides), 1) * sum(step_s(s) for s in exercise.steps)
    rounds = exercise.repeat.rounds
    return rounds * one_round + (rounds - 1) * exercise.repeat.rest_s + exercise.transition_s


def too_long(routine: Routine, pacing: Pacing, total_s: float) -> SessionTooLongError:
    return SessionTooLongError(
        f"{routine.name} would take {format_duration(total_s)} at pace {pacing.pace:g}; "
        f"the longest session coach plays is {format_duration(MAX_SESSION_S)}: "
        "use a faster pace, a shorter --length, or split the routine"
    )
