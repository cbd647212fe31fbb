"""Durations as people write them (``90s``, ``1m30s``, ``1 minute``) and as coach writes them."""

from __future__ import annotations

import math
import re

MAX_DURATION_S = 3600.0
"""The longest any one duration in a routine may be (a hold, a transition, a cue's time)."""

NUMBER = r"\d+(?:\.\d+)?"
UNITS = (
    ("h", 3600, r"h(?:ours?)?"),
    ("m", 60, r"m(?:in(?:ute)?s?)?"),
    ("s", 1, r"s(?:ec(?:ond)?s?)?"),
)
"""The units a duration may be written in, largest first, with their seconds and spellings."""

_BARE = re.compile(rf"^\s*({NUMBER})\s*$")
_DURATION = re.compile(
    "^"
    + "".join(rf"\s*(?:(?P<{unit}>{NUMBER})\s*{spelling})?" for unit, _, spelling in UNITS)
    + r"\s*$"
)


def parse_duration(value: str | float) -> float | None:
    """Seconds from ``90``, ``90s``, ``2m``, ``1m30s`` or ``1.5m``; None if not a duration.

    Never infinite or NaN (``inf``, ``1e309``): those are not durations.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    bare = _BARE.match(value)
    if bare:
        number = float(bare.group(1))
        return number if math.isfinite(number) else None
    match = _DURATION.match(value)
    if not match or not any(match.group(unit) for unit, _, _ in UNITS):
        return None
    total = sum(float(match.group(unit) or 0) * seconds for unit, seconds, _ in UNITS)
    return total if math.isfinite(total) else None


def format_duration(seconds: float) -> str:
    """``90.0`` → ``1m30s``, ``5400`` → ``1h30m``; the form the loader reads back."""
    whole = round(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h" + (f"{m:02d}m" if m or s else "") + (f"{s:02d}s" if s else "")
    if m and s:
        return f"{m}m{s:02d}s"
    return f"{m}m" if m else f"{s}s"
