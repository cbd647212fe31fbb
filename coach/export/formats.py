"""The export-encoder seam: what a file format does, and the registry that names the formats.

A format opens an encoder on a file, takes int16 mono blocks at a sample rate,
and may tag the finished file (chapters, title). Each is a module attribute
``Format(...)`` plus one line, in ``BUILT_IN`` below (``name: "module:ATTR"``) or
as a ``coach.encoders`` entry point of another package.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from coach.registry import Registry
from coach.timeline.events import Timeline

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATES_HZ = (16_000, 22_050, 24_000, 32_000, 44_100, 48_000)
"""Rates every built-in format can carry (MP3 needs an MPEG rate)."""

BUILT_IN = {
    "wav": "coach.export.libsndfile:WAV",
    "flac": "coach.export.libsndfile:FLAC",
    "ogg": "coach.export.libsndfile:OGG",
    "mp3": "coach.export.lame:MP3",
}
"""The formats coach ships: name → where its ``Format`` is."""


class Encoder(Protocol):
    def write(self, block: np.ndarray) -> None:
        """Append int16 mono samples."""
        ...


def no_tags(path: Path, timeline: Timeline) -> None:
    """For formats whose players read no tags (WAV: its length and samples are the point)."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    open: Callable[[Path, int], AbstractContextManager[Encoder]]
    """An encoder writing ``path`` at a sample rate; closed (the file complete) on exit."""
    tag: Callable[[Path, Timeline], None] = no_tags
    """Title, routine and chapters written into the finished file."""
    sample_rates_hz: tuple[int, ...] = SAMPLE_RATES_HZ


FORMATS: Registry[Format] = Registry("format", Format, BUILT_IN, "coach.encoders", attr="FORMAT")


def format_names() -> list[str]:
    """Every format's name: the built-in ones, then those of installed packages."""
    return FORMATS.names()


def format_named(name: str) -> Format:
    """The format of this name.

    Raises:
        UsageError: none has that name.
        CoachError: it cannot be loaded.
    """
    return FORMATS.load(name)
