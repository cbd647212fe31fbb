"""The built-in formats: WAV, FLAC, Ogg Vorbis and MP3 through libsndfile, as one table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from coach.export.formats import Encoder, Format, no_tags
from coach.timeline.events import Timeline


def _encoder(container: str, subtype: str) -> Any:
    @contextlib.contextmanager
    def open_file(path: Path, sample_rate_hz: int) -> Iterator[Encoder]:
        import soundfile

        with soundfile.SoundFile(
            path, "w", samplerate=sample_rate_hz, channels=1, format=container, subtype=subtype
        ) as sound:
            yield sound

    return open_file


def id3(path: Path, timeline: Timeline) -> None:
    from coach.export.tags import write_id3

    write_id3(path, timeline)


def _vorbis(path: Path, timeline: Timeline) -> None:
    from coach.export.tags import write_vorbis_comments

    write_vorbis_comments(path, timeline)


WAV, FLAC, OGG, MP3 = (
    Format(name, _encoder(container, subtype), tag)
    for name, container, subtype, tag in (
        ("wav", "WAV", "PCM_16", no_tags),
        ("flac", "FLAC", "PCM_16", _vorbis),
        ("ogg", "OGG", "VORBIS", _vorbis),
        ("mp3", "MP3", "MPEG_LAYER_III", id3),
    )
)
