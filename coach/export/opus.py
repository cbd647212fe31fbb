"""Opus export: libsndfile's Ogg Opus, chapters as Vorbis comments (AntennaPod reads them)."""

from __future__ import annotations

from coach.export.formats import Format
from coach.export.libsndfile import sound_file, vorbis_comments, vorbis_credit

OPUS = Format(
    "opus",
    sound_file("OGG", "OPUS"),
    vorbis_comments,
    vorbis_credit,
    sample_rates_hz=(8_000, 12_000, 16_000, 24_000, 48_000),  # the rates Opus is defined at
)
