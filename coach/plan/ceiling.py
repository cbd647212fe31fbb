"""Plan, the ceiling: how long a session may be, checked from the routine before any speech."""

from __future__ import annotations

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
        raise too_long(routine, pacing, held_s / pacing.pace, at_least=True)


def too_long(
    routine: Routine, pacing: Pacing, total_s: float, *, at_least: bool = False
) -> SessionTooLongError:
    """The error for a session of ``total_s`` (``at_least``: a length counted without speech)."""
    return SessionTooLongError(routine.name, pacing.pace, total_s, MAX_SESSION_S, at_least=at_least)
