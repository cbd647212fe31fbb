"""Where a command leads, decided apart from the transport: a skip's target, a change's plan.

Pure functions of the session and its timeline; the player carries them out.
"""

from __future__ import annotations

from coach.plan.replan import equivalent_position
from coach.play.transport import Command
from coach.render.session import ReplanError, Session
from coach.timeline.events import EPSILON_S, MAX_PACE, MIN_PACE, PACE_STEP, Sound, Timeline

LONGER_S = 30.0
"""`h` makes the hold under way this many seconds longer (at the pace of the moment)."""
CHANGES = (Command.FASTER, Command.SLOWER, Command.LONGER)
"""Commands that re-plan the rest of the session."""


def plan_change(
    session: Session,
    command: Command,
    timeline: Timeline,
    position: float,
    extend: dict[int, float],
) -> tuple[Timeline, float, dict[int, float]] | None:
    """The timeline one change leads to, and where ``position`` lies on it."""
    pace, extend = timeline.pace, dict(extend)
    if command is Command.LONGER:
        index = timed_hold_at(timeline, position)
        if index is None:
            return None
        extend[index] = extend.get(index, 0.0) + LONGER_S * pace
    else:
        step = PACE_STEP if command is Command.FASTER else 1 / PACE_STEP
        pace = round(min(MAX_PACE, max(MIN_PACE, timeline.pace * step)), 4)
        if pace == timeline.pace:
            return None
    try:
        new = session.replan(pace, extend)
    except ReplanError:
        return None
    return new, equivalent_position(timeline, new, position), extend


def timed_hold_at(timeline: Timeline, position_s: float) -> int | None:
    """The index of the timed hold under way (not counted reps, not until ready)."""
    for index, hold in enumerate(timeline.holds):
        if hold.start_s <= position_s < hold.end_s:
            return None if hold.until_ready or hold.reps else index
    return None


def skip_target(timeline: Timeline, command: Command, position_s: float) -> float:
    """Where NEXT or BACK pressed at ``position_s`` leads.

    BACK restarts the exercise under way (outside one: the one before, or the
    very start). NEXT goes to the next exercise; from the last one to the
    closing chime, and from the closing words to the end.
    """
    segments = timeline.segments
    if command is Command.BACK:
        current = timeline.segment_at(position_s)
        if current is not None:
            return current.start_s
        earlier = [s.start_s for s in segments if s.end_s <= position_s + EPSILON_S]
        return earlier[-1] if earlier else 0.0
    later = [s.start_s for s in segments if s.start_s > position_s + EPSILON_S]
    if later:
        return later[0]
    finish = [e.at_s for e in timeline.events if e.sound is Sound.FINISH]
    if finish and finish[0] > position_s + EPSILON_S:
        return finish[0]
    return timeline.total_s
