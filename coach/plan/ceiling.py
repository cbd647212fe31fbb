"""Plan, the ceiling: how long a session may be, checked from the routine before any speech."""

from __future__ import annotations

from coach.durations import format_duration
from coach.errors import SessionTooLongError
from coach.routine.model import Routine
from coach.routine.walk import written_s
from coach.timeline.events import Pacing

MAX_SESSION_S = 6 * 3600.0
"""The longest session coach plans: far past any real one, short of an export that never ends."""


def check_length(routine: Routine, pacing: Pacing) -> None:
    """Refuse, before any speech is asked for, a session whose holds alone are too long.

    Raises:
        PlanError: holds and transitions add up to more than ``MAX_SESSION_S``.
    """
    held_s = written_s(routine)
    if held_s / pacing.pace > MAX_SESSION_S:
        raise too_long(routine, pacing, held_s / pacing.pace)


def too_long(routine: Routine, pacing: Pacing, total_s: float) -> SessionTooLongError:
    return SessionTooLongError(
        f"{routine.name} would take {format_duration(total_s)} at pace {pacing.pace:g}; "
        f"the longest session coach plays is {format_duration(MAX_SESSION_S)}: "
        "use a faster pace, a shorter --length, or split the routine"
    )
