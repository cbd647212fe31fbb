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

from coach.audio import SAMPLE_RATE_HZ
from coach.errors import TargetError
from coach.registry import Registry
from coach.settings import Key
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
    "opus": "coach.export.opus:OPUS",
}
"""The formats coach ships: name → where its ``Format`` is."""


class Encoder(Protocol):
    def write(self, block: np.ndarray) -> None:
        """Append int16 mono samples."""
        ...


def no_tags(path: Path, timeline: Timeline) -> None:
    """For formats whose players read no tags (WAV: its length and samples are the point)."""


def no_credit(path: Path, credit: str) -> None:
    """For formats that carry no comment (WAV)."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    open: Callable[[Path, int], AbstractContextManager[Encoder]]
    """An encoder writing ``path`` at a sample rate; closed (the file complete) on exit."""
    tag: Callable[[Path, Timeline], None] = no_tags
    """Title, routine and chapters written into the finished file."""
    credit: Callable[[Path, str], None] = no_credit
    """The voice that speaks, and the licence of its data (the credit a CC-BY voice needs),
    written into the tagged file as its comment."""
    sample_rates_hz: tuple[int, ...] = SAMPLE_RATES_HZ
    """The rates it can carry; where the speech's own is not one, it is written at the
    nearest above it (``rate_hz``)."""
    settings: tuple[Key, ...] = ()
    """What it can be told: config settings (and options of ``export``, where a key says so)."""

    def rate_hz(self, asked: int | None = None) -> int:
        """The rate to write at: ``asked``, else the speech's own where this format carries it,
        else the nearest above it (Opus: 24,000), else its highest.

        Raises:
            TargetError: it cannot carry ``asked``.
        """
        if asked is not None:
            if asked not in self.sample_rates_hz:
                rates = ", ".join(str(r) for r in self.sample_rates_hz)
                raise TargetError(
                    f"--sample-rate {asked} is not supported for {self.name}; use one of {rates}"
                )
            return asked
        above = [rate for rate in self.sample_rates_hz if rate >= SAMPLE_RATE_HZ]
        return min(above) if above else max(self.sample_rates_hz)


FORMATS: Registry[Format] = Registry("format", Format, BUILT_IN, "coach.encoders", attr="FORMAT")


format_names = FORMATS.names
"""Every format's name: the built-in ones, then those of installed packages."""
format_named = FORMATS.load
"""The format of this name (UsageError: none has it; CoachError: it cannot load)."""


def sample_rates() -> list[int]:
    """Every rate some format can carry, lowest first."""
    return sorted({rate for kind in FORMATS.kinds() for rate in kind.sample_rates_hz})
