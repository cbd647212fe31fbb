"""Durations as people write them (``90s``, ``1m30s``, ``1 minute``) and as coach writes them."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(
    r"^\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h(?:ours?)?)?"
    r"\s*(?:(?P<m>\d+(?:\.\d+)?)\s*m(?:in(?:ute)?s?)?)?"
    r"\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s(?:ec(?:ond)?s?)?)?\s*$"
)


def parse_duration(value: str | float) -> float | None:
    """Seconds from ``90``, ``90s``, ``2m``, ``1m30s`` or ``1.5m``; None if not a duration.

    Never infinite or NaN (``inf``, ``1e309``): those are not durations.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) and number >= 0 else None
    match = _DURATION.match(text)
    if not match or not any(match.group(g) for g in "hms"):
        return None
    h, m, s = (float(match.group(g) or 0) for g in "hms")
    total = h * 3600 + m * 60 + s
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
