"""The live sink's record: each line of ``coach play --log``, in the timeline's JSON contract."""

from __future__ import annotations

from typing import Any

from coach.play.transport import Change, Fired
from coach.timeline.schedule import event_json


def change_json(change: Change) -> dict[str, Any]:
    """A line of ``coach play --log`` for a change under way: the new pace, where, how long."""
    return {
        "change": change.command.value,
        "fired_s": round(change.fired_s, 6),
        "pace": change.pace,
        "position_s": round(change.position_s, 3),
        "total_s": change.total_s,
    }


def fired_json(fired: Fired) -> dict[str, Any]:
    """One line of ``coach play --log``: what was planned, and when it really fired."""
    return event_json(fired.event, fired_s=round(fired.fired_s, 6), lead_s=round(fired.lead_s, 6))
