"""Plan, re-planning under way: where a position on one plan lies on the routine re-planned."""

from __future__ import annotations

from coach.timeline.events import EPSILON_S, Timeline


def equivalent_position(old: Timeline, new: Timeline, position_s: float) -> float:
    """Where ``position_s`` in ``old`` is in ``new``: the same routine re-planned.

    Inside a hold, the part already done stays done (in written seconds), and the
    rest follows the new plan's pace; inside a rest, the same share of it; between
    them (lead-ins, instructions), the same time after the last hold's end, never
    past the next hold's start. Both timelines must hold the same holds in order.
    """
    if len(old.holds) != len(new.holds) or len(old.rests) != len(new.rests):
        raise ValueError("the timelines are not the same routine")
    for was, now in zip(old.holds, new.holds, strict=True):
        if was.start_s <= position_s < was.end_s:
            done_s = position_s - was.start_s
            if not was.until_ready:
                done_s *= old.pace / new.pace
            return min(now.start_s + done_s, now.end_s)
    for was_rest, now_rest in zip(old.rests, new.rests, strict=True):
        if was_rest.start_s <= position_s < was_rest.end_s:
            share = (position_s - was_rest.start_s) / (was_rest.end_s - was_rest.start_s)
            return now_rest.start_s + share * (now_rest.end_s - now_rest.start_s)
    before = [i for i, h in enumerate(old.holds) if h.end_s <= position_s + EPSILON_S]
    if not before:
        anchor_old, anchor_new = 0.0, 0.0
    else:
        anchor_old, anchor_new = old.holds[before[-1]].end_s, new.holds[before[-1]].end_s
    later = len(before)
    limit = new.holds[later].start_s if later < len(new.holds) else new.total_s
    return min(anchor_new + (position_s - anchor_old), limit)
