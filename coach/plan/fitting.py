"""Plan, fitting: the pace at which a whole session lasts the length asked for (``--length``)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from coach.durations import format_duration
from coach.errors import PlanError, SessionTooLongError
from coach.plan.ceiling import MAX_SESSION_S
from coach.plan.planner import plan_session
from coach.routine.model import Routine
from coach.timeline.events import MAX_PACE, MIN_PACE, Pacing, Sound, SpeechLength, Timeline

LENGTH_TOLERANCE_S = 1.0
"""--length lands within this of the length asked for."""


def fit_length(
    routine: Routine,
    length_s: float,
    speech_s: SpeechLength,
    sound_s: Mapping[Sound, float],
) -> Timeline:
    """The timeline whose total is within a second of ``length_s``, by choosing the pace.

    Raises:
        PlanError: the length is out of reach between the slowest and fastest pace.
    """
    if length_s > MAX_SESSION_S + LENGTH_TOLERANCE_S:
        raise PlanError(
            f"--length {format_duration(length_s)} is longer than the longest session coach "
            f"plays ({format_duration(MAX_SESSION_S)}); choose a shorter one"
        )
    best: Timeline | None = None
    # too long at the slowest pace: then any length coach plays is shorter, and reachable
    with contextlib.suppress(SessionTooLongError):
        best = plan_session(routine, Pacing(MIN_PACE), speech_s, sound_s)
    if best is not None and length_s > best.total_s + LENGTH_TOLERANCE_S:
        raise PlanError(
            f"{routine.name} cannot be stretched to {format_duration(length_s)}: at the slowest "
            f"pace ({MIN_PACE:g}) it takes {format_duration(best.total_s)}; "
            "choose a shorter --length"
        )
    low, high = MIN_PACE, MAX_PACE
    for _ in range(60):
        middle = (low + high) / 2
        try:
            timeline = plan_session(routine, Pacing(middle), speech_s, sound_s)
        except SessionTooLongError:
            low = middle  # too slow
            continue
        except PlanError:
            high = middle  # too fast for its instructions
            continue
        if best is None or abs(timeline.total_s - length_s) < abs(best.total_s - length_s):
            best = timeline
        if abs(timeline.total_s - length_s) <= LENGTH_TOLERANCE_S / 4:
            return timeline
        if timeline.total_s > length_s:
            low = middle
        else:
            high = middle
    if best is None:
        raise PlanError(
            f"{routine.name} cannot be fitted to {format_duration(length_s)} at any pace from "
            f"{MIN_PACE:g} to {MAX_PACE:g}; split the routine"
        )
    if abs(best.total_s - length_s) > LENGTH_TOLERANCE_S:
        raise PlanError(
            f"{routine.name} cannot be squeezed into {format_duration(length_s)}: the shortest "
            f"it runs is {format_duration(best.total_s)} (pace {best.pace:.2f}), because its "
            "instructions take time to say; choose a longer --length"
        )
    return best
