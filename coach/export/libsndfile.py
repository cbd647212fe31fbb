"""The built-in formats libsndfile writes: WAV, FLAC, Ogg Vorbis and MP3, as one table.

``sound_file`` and ``vorbis_comments`` serve any other format libsndfile writes too
(``coach.export.opus``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from coach.export.formats import Encoder, Format, no_credit, no_tags
from coach.timeline.events import Timeline


def sound_file(
    container: str, subtype: str
) -> Callable[[Path, int], AbstractContextManager[Encoder]]:
    """An encoder of libsndfile's: ``container`` and ``subtype`` as soundfile names them."""

    @contextlib.contextmanager
    def open_file(path: Path, sample_rate_hz: int) -> Iterator[Encoder]:
        import soundfile

        # soundfile encodes a str path strictly, in the file system's encoding: under the C
        # locale (Python's UTF-8 mode off) a name like ü.wav would fail; its bytes do not
        name = os.fsencode(path) if os.name == "posix" else str(path)
        with soundfile.SoundFile(
            name, "w", samplerate=sample_rate_hz, channels=1, format=container, subtype=subtype
        ) as sound:
            yield sound

    return open_file


def id3(path: Path, timeline: Timeline) -> None:
    """Title, routine and chapters as ID3 frames (MP3)."""
    from coach.export.tags import write_id3

    write_id3(path, timeline)


def vorbis_comments(path: Path, timeline: Timeline) -> None:
    """Title, routine and chapters as Vorbis comments (FLAC, and Ogg: Vorbis, Opus)."""
    from coach.export.tags import write_vorbis_comments

    write_vorbis_comments(path, timeline)


def id3_credit(path: Path, credit: str) -> None:
    """The voice and its data's licence as an ID3 comment (MP3)."""
    from coach.export.tags import write_id3_comment

    write_id3_comment(path, credit)


def vorbis_credit(path: Path, credit: str) -> None:
    """The voice and its data's licence as a Vorbis COMMENT (FLAC, Ogg)."""
    from coach.export.tags import write_vorbis_comment

    write_vorbis_comment(path, credit)


WAV, FLAC, OGG, MP3 = (
    Format(name, sound_file(container, subtype), tag, credit)
    for name, container, subtype, tag, credit in (
        ("wav", "WAV", "PCM_16", no_tags, no_credit),
        ("flac", "FLAC", "PCM_16", vorbis_comments, vorbis_credit),
        ("ogg", "OGG", "VORBIS", vorbis_comments, vorbis_credit),
        ("mp3", "MP3", "MPEG_LAYER_III", id3, id3_credit),
    )
)
