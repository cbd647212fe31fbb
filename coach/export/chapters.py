"""Sink companions of export: chapter marks for podcast players, and a WebVTT transcript."""

from __future__ import annotations

from dataclasses import dataclass

from coach.timeline.events import EventKind, Timeline
from coach.timeline.schedule import clock


@dataclass(frozen=True, slots=True)
class Chapter:
    title: str
    start_s: float
    end_s: float


def chapters(timeline: Timeline) -> list[Chapter]:
    """One chapter per exercise side (and round), named as the display names it, covering all.

    A chapter starts where its instructions start: the lead-in for an exercise's
    first side, and where the hold before ended for the next (the switch chime,
    or the rest before a new round).
    """
    starts: list[tuple[str, float]] = []
    segments = iter(enumerate(timeline.segments))
    number, segment = next(segments, (-1, None))
    previous: tuple[int, str | None, int | None] | None = None
    previous_end = 0.0
    for hold in timeline.holds:
        while segment is not None and segment.end_s <= hold.start_s:
            number, segment = next(segments, (-1, None))
        # by the exercise's place, not its name: a routine may come back to an exercise
        key = (number, hold.side.value if hold.side else None, hold.round)
        if key != previous:
            begins = previous_end
            if previous is None or previous[0] != number:
                begins = segment.start_s if segment is not None else hold.start_s
            title = timeline.phrases.place(hold.exercise, None, hold.side)
            if hold.round is not None:
                title += ", " + timeline.phrases.written.round.format(n=hold.round)
            starts.append((title, begins))
            previous = key
        previous_end = hold.end_s
    if not starts or starts[0][1] > 0:
        starts.insert(0, (timeline.phrases.written.introduction, 0.0))
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
