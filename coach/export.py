"""Sink: write a session to an audio file, every clip at its exact sample offset.

The file is written beside the target under a temporary name and renamed into
place, so a killed export leaves no partial file and never a damaged old one.
"""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from coach.audio import SAMPLE_RATE_HZ, SAMPLE_WIDTH, default_file_mode
from coach.errors import OutputError
from coach.render import Session

FORMATS = (".wav",)
SILENCE_BLOCK_FRAMES = 65_536


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    frames: int
    sample_rate_hz: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz


def sample_offset(at_s: float, sample_rate_hz: int = SAMPLE_RATE_HZ) -> int:
    """The sample where a clip planned at ``at_s`` starts (shared by every sink)."""
    return round(at_s * sample_rate_hz)


def iter_pcm(session: Session) -> Iterator[bytes]:
    """The whole session as PCM blocks: silence and clips, streamed, never held whole."""
    rate = SAMPLE_RATE_HZ
    cursor = 0
    silence = bytes(SILENCE_BLOCK_FRAMES * SAMPLE_WIDTH)
    total = sample_offset(session.timeline.total_s, rate)
    for event in session.timeline.events:
        start = sample_offset(event.at_s, rate)
        if start < cursor:
            raise AssertionError(f"planner bug: {event} starts before the previous clip ends")
        while cursor < start:
            n = min(start - cursor, SILENCE_BLOCK_FRAMES)
            yield silence[: n * SAMPLE_WIDTH]
            cursor += n
        clip = session.clip(event)
        yield clip.pcm
        cursor += clip.frames
    while cursor < total:
        n = min(total - cursor, SILENCE_BLOCK_FRAMES)
        yield silence[: n * SAMPLE_WIDTH]
        cursor += n


def check_target(target: Path, *, force: bool) -> None:
    """Refuse before any work is done: unknown format, missing folder, existing file."""
    if target.suffix.lower() not in FORMATS:
        raise OutputError(
            f"{target}: cannot write '{target.suffix or 'no extension'}' files; "
            f"use {', '.join(FORMATS)}"
        )
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name like session.wav")
    if not target.parent.is_dir():
        raise OutputError(f"{target.parent}: no such folder; create it first")
    if target.exists() and not force:
        raise OutputError(f"{target}: already exists; use --force to replace it")
    if not os.access(target.parent, os.W_OK):
        raise OutputError(f"{target.parent}: folder is not writable; choose another -o")


def export_session(session: Session, target: Path, *, force: bool = False) -> ExportResult:
    """Write the session to ``target`` (WAV), atomically.

    Raises:
        OutputError: the file cannot be written, with nothing left behind.
    """
    check_target(target, force=force)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    frames = 0
    try:
        os.fchmod(fd, default_file_mode())
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(SAMPLE_WIDTH)
            wav.setframerate(SAMPLE_RATE_HZ)
            for block in iter_pcm(session):
                wav.writeframesraw(block)
                frames += len(block) // SAMPLE_WIDTH
        if target.exists() and not force:  # appeared while we worked
            raise OutputError(f"{target}: already exists; use --force to replace it")
        tmp.replace(target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write: {err.strerror or err}") from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ExportResult(target, frames, SAMPLE_RATE_HZ)
