"""A side of the body, the one word of a routine that every language names in its own way."""

from __future__ import annotations

from enum import Enum


class Side(Enum):
    LEFT = "left"
    RIGHT = "right"
