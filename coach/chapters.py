"""Sink companions of export: chapter marks for podcast players, and a WebVTT transcript."""

from __future__ import annotations

from dataclasses import dataclass

from coach.plan import EventKind, Timeline
from coach.schedule import clock, place


@dataclass(frozen=True, slots=True)
class Chapter:
    title: str
    start_s: float
    end_s: float


def chapters(timeline: Timeline) -> list[Chapter]:
    """One chapter per exercise side, named as the display names it, covering the whole session.

    A side's chapter starts where its instructions start: the lead-in for the
    first side, the switch chime for the next.
    """
    starts: list[tuple[str, float]] = []
    segments = iter(timeline.segments)
    segment = next(segments, None)
    previous: tuple[str, str | None] | None = None
    for hold in timeline.holds:
        key = (hold.exercise, hold.side.value if hold.side else None)
        if key == previous:
            continue
        begins = hold.start_s
        if previous is None or previous[0] != hold.exercise:
            while segment is not None and segment.end_s <= hold.start_s:
                segment = next(segments, None)
            if segment is not None:
                begins = segment.start_s
        starts.append((place(hold.exercise, None, hold.side), begins))
        previous = key
    if not starts or starts[0][1] > 0:
        starts.insert(0, ("Introduction", 0.0))
    ends = [start for _, start in starts[1:]] + [timeline.total_s]
    return [Chapter(title, start, end) for (title, start), end in zip(starts, ends, strict=True)]


def vtt_time(seconds: float) -> str:
    whole_ms = round(seconds * 1000)
    hours, rest = divmod(whole_ms, 3_600_000)
    return f"{hours:02d}:{clock(rest / 1000)}"


def format_vtt(timeline: Timeline) -> str:
    """A WebVTT transcript: every spoken cue at its time, for reading along."""
    lines = ["WEBVTT", f"NOTE {timeline.title}", ""]
    for event in timeline.events:
        if event.kind is EventKind.SAY:
            lines += [f"{vtt_time(event.at_s)} --> {vtt_time(event.end_s)}", event.text, ""]
    return "\n".join(lines)
