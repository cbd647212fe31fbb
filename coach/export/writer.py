"""Sink: write a session to an audio file, every clip at its exact sample offset.

The session is mixed and encoded in blocks, so memory stays flat whatever its
length. The file is written beside the target under a temporary name, tagged,
and renamed into place: an interrupted export leaves no partial file and never
a damaged old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.audio import SAMPLE_RATE_HZ, SAMPLE_WIDTH
from coach.errors import OutputError, TargetError
from coach.export.formats import Format, format_named, format_names
from coach.files import check_new_file, replacing
from coach.render.session import Session

if TYPE_CHECKING:
    import numpy as np

# numpy, soundfile, soxr and mutagen are imported where they are used: `coach play`
# imports this module and must make its first sound within 300 ms of launch.

SILENCE_BLOCK_FRAMES = 65_536


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    format: str
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


def format_for(target: Path, name: str | None, *, by_option: bool = True) -> Format:
    """The format asked for, or the one the file name's extension says.

    ``by_option``: the command has --format, so the message may offer it.

    Raises:
        TargetError: neither names a format we write.
    """
    key = (name or target.suffix.lstrip(".")).lower()
    names = format_names()
    if key not in names:
        shown = f"format '{name}'" if name else f"'{target.suffix or 'no extension'}' files"
        option = " (or --format)" if by_option else ""
        raise TargetError(f"{target}: cannot write {shown}; use .{', .'.join(names)}{option}")
    return format_named(key)


def check_target(
    target: Path,
    *,
    force: bool,
    format_name: str | None = None,
    sample_rate_hz: int | None = None,
    by_option: bool = True,
) -> Format:
    """Refuse before any work is done: a folder, unknown format, a rate it cannot carry,
    missing folder, existing file. ``by_option``: the command has --format.

    Raises:
        TargetError: the target cannot be written as asked.
    """
    if target.is_dir():
        raise TargetError(f"{target}: is a folder; give a file name like session.wav")
    fmt = format_for(target, format_name, by_option=by_option)
    fmt.rate_hz(sample_rate_hz)
    check_new_file(target, force=force, hint=f"session.{fmt.name}")
    return fmt


def _blocks(session: Session, sample_rate_hz: int) -> Iterator[np.ndarray]:
    """int16 blocks at the output rate; resampled by soxr, streaming, when it differs."""
    import numpy as np
    import soxr

    if sample_rate_hz == SAMPLE_RATE_HZ:
        for block in iter_pcm(session):
            yield np.frombuffer(block, dtype="<i2")
        return
    stream = soxr.ResampleStream(SAMPLE_RATE_HZ, sample_rate_hz, 1, dtype="int16", quality="HQ")
    for block in iter_pcm(session):
        out = stream.resample_chunk(np.frombuffer(block, dtype="<i2"))
        if len(out):
            yield out
    yield stream.resample_chunk(np.zeros(0, dtype="<i2"), last=True)


def export_session(
    session: Session,
    target: Path,
    *,
    force: bool = False,
    format_name: str | None = None,
    sample_rate_hz: int | None = None,
    progress: Callable[[float], None] = lambda fraction: None,
    credit: str = "",
) -> ExportResult:
    """Write the session to ``target`` in the format its name (or ``format_name``) says, at
    ``sample_rate_hz`` (None: the format's own, ``Format.rate_hz``). ``credit``: the voice
    and its data's licence, for the file's comment (``EngineKind.credit``; empty: none).

    Raises:
        TargetError: the target or an option cannot work (checked before any work).
        OutputError: the file cannot be written, with nothing left behind.
    """
    fmt = check_target(target, force=force, format_name=format_name)
    sample_rate_hz = fmt.rate_hz(sample_rate_hz)
    total = sample_offset(session.timeline.total_s, sample_rate_hz)
    frames = 0
    try:
        with replacing(target, suffix=f".part.{fmt.name}") as tmp:
            with fmt.open(tmp, sample_rate_hz) as encoder:
                for block in _blocks(session, sample_rate_hz):
                    # soundfile encodes Vorbis in one go per write; blocks keep each write small
                    encoder.write(block)
                    frames += len(block)
                    progress(min(frames / total, 1.0) if total else 1.0)
            fmt.tag(tmp, session.timeline)
            if credit:
                fmt.credit(tmp, credit)
            check_new_file(target, force=force)  # it may have appeared while we worked
    except (OSError, RuntimeError) as err:  # soundfile's LibsndfileError is a RuntimeError
        reason = getattr(err, "strerror", None) or str(err).rstrip(".")
        raise OutputError(
            f"{target}: cannot write: {reason}; check the free space in {target.parent}"
        ) from err
    return ExportResult(target, fmt.name, frames, sample_rate_hz)
