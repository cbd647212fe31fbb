"""Tags and chapters in an exported file, so podcast players can skip between sides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mutagen
from mutagen._vorbis import VCommentDict
from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TIT2, TPE1, CTOCFlags
from mutagen.id3._tags import save_frame

from coach.export.chapters import chapters, vtt_time
from coach.timeline.events import Timeline

ARTIST = "coach"
GENRE = "Speech"


_ID3: Any = ID3  # mutagen's tag classes are untyped; this one is only subclassed


class _ChaptersInOrder(_ID3):  # type: ignore[misc]  # (subclassing an untyped class)
    """ID3 tags whose chapters are stored in time order.

    mutagen orders frames by size, which scrambles CHAP frames; players that list
    chapters in file order (libavformat, so ffprobe, VLC, mpv) then show them out of
    time order. The frames themselves are mutagen's; only their order is ours.
    """

    def _write(self, config: object) -> bytearray:
        def order(frame: Any) -> tuple[int, int]:
            if frame.FrameID == "CHAP":
                return 2, int(frame.start_time)
            return (1 if frame.FrameID == "CTOC" else 0), 0

        frames = sorted(self.values(), key=order)
        return bytearray().join(save_frame(frame, config=config) for frame in frames)


def write_id3(path: Path, timeline: Timeline) -> None:
    """Title, album (the routine), artist and chapters as ID3 (MP3)."""
    tags = _ChaptersInOrder()
    tags.add(TIT2(encoding=3, text=[timeline.title]))
    tags.add(TALB(encoding=3, text=[timeline.routine]))
    tags.add(TPE1(encoding=3, text=[ARTIST]))
    tags.add(TCON(encoding=3, text=[GENRE]))
    marks = chapters(timeline)
    ids = [f"chp{i}" for i in range(len(marks))]
    tags.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=[timeline.title])],
        )
    )
    for element_id, mark in zip(ids, marks, strict=True):
        tags.add(
            CHAP(
                element_id=element_id,
                start_time=round(mark.start_s * 1000),
                end_time=round(mark.end_s * 1000),
                sub_frames=[TIT2(encoding=3, text=[mark.title])],
            )
        )
    tags.save(path, v2_version=4)


def write_vorbis_comments(path: Path, timeline: Timeline) -> None:
    """Title, album (the routine), artist and chapters as Vorbis comments (Ogg, FLAC)."""
    audio: Any = mutagen.File(path)
    if audio is not None and audio.tags is None:
        audio.add_tags()  # a FLAC file may come with no comment block
    if audio is None or not isinstance(audio.tags, VCommentDict):
        raise OSError(f"{path}: not a file that carries Vorbis comments (FLAC, Ogg)")
    audio["TITLE"] = timeline.title
    audio["ALBUM"] = timeline.routine
    audio["ARTIST"] = ARTIST
    audio["GENRE"] = GENRE
    for number, mark in enumerate(chapters(timeline), start=1):
        audio[f"CHAPTER{number:03d}"] = vtt_time(mark.start_s)
        audio[f"CHAPTER{number:03d}NAME"] = mark.title
    audio.save()


def write_id3_comment(path: Path, comment: str) -> None:
    """A comment frame added to the file's ID3 tags (its chapters kept in time order)."""
    tags = _ChaptersInOrder(path)
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[comment]))
    tags.save(path, v2_version=4)


def write_vorbis_comment(path: Path, comment: str) -> None:
    """A COMMENT added to the file's Vorbis comments (Ogg, FLAC)."""
    audio: Any = mutagen.File(path)
    if audio is None or not isinstance(audio.tags, VCommentDict):
        raise OSError(f"{path}: not a file that carries Vorbis comments (FLAC, Ogg)")
    audio["COMMENT"] = comment
    audio.save()
