"""What a live session shows: a glanceable block on a terminal, plain lines elsewhere."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TextIO

from coach.language.phrases import Phrases
from coach.language.table import DEFAULT_LANGUAGE, phrases_for
from coach.play.transport import Fired
from coach.timeline.events import Hold, Timeline
from coach.timeline.schedule import minutes_seconds, pace_text

BAR_WIDTH = 30

# Five-row block digits: readable from the floor, a metre or two from the screen.
_FONT = {
    "0": ("███", "█ █", "█ █", "█ █", "███"),
    "1": ("  █", "  █", "  █", "  █", "  █"),
    "2": ("███", "  █", "███", "█  ", "███"),
    "3": ("███", "  █", "███", "  █", "███"),
    "4": ("█ █", "█ █", "███", "  █", "  █"),
    "5": ("███", "█  ", "███", "  █", "███"),
    "6": ("███", "█  ", "███", "█ █", "███"),
    "7": ("███", "  █", "  █", "  █", "  █"),
    "8": ("███", "█ █", "███", "█ █", "███"),
    "9": ("███", "█ █", "███", "  █", "███"),
    ":": (" ", "█", " ", "█", " "),
}


def big(text: str) -> list[str]:
    """``1:05`` in five rows of block characters."""
    return [" ".join(_FONT[ch][row] for ch in text) for row in range(5)]


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "▰" * filled + "▱" * (width - filled)


def _hold_at(holds: tuple[Hold, ...], position_s: float) -> tuple[Hold | None, Hold | None]:
    """The hold under way at ``position_s`` (if any), and the next one."""
    for i, hold in enumerate(holds):
        if hold.start_s <= position_s < hold.end_s:
            return hold, holds[i + 1] if i + 1 < len(holds) else None
        if hold.start_s > position_s:
            return None, hold
    return None, None


KEYS_WAY = "space"
"""The way the keys source names itself (``SourceKind.way``): the keys line is for it."""


def status_lines(
    timeline: Timeline,
    position_s: float,
    *,
    paused: bool,
    said: str,
    waiting: bool = False,
    ways: Sequence[str] = (KEYS_WAY,),
) -> list[str]:
    """The block a terminal shows: where you are, big time left, what is next, progress.

    ``ways`` are the session's ways to go on: the keys line and "press space" are shown
    only when the keys are one of them (a headset-driven session says "press play").
    """
    current, upcoming = _hold_at(timeline.holds, position_s)
    place, words = timeline.phrases.place, timeline.phrases.written
    resting = next((r for r in timeline.rests if r.start_s <= position_s < r.end_s), None)
    if current is not None:
        title = place(current.exercise, current.step, current.side)
        if current.round is not None:
            title += " · " + words.round.format(n=current.round)
        left = current.end_s - position_s
    elif resting is not None:
        title = words.rest_next.format(n=resting.round)
        left = resting.end_s - position_s
    elif upcoming is not None and any(w.start_s <= position_s < w.end_s for w in timeline.switches):
        title = words.switching.format(what=place(upcoming.exercise, None, upcoming.side))
        left = upcoming.start_s - position_s
    elif upcoming is not None:
        title = words.get_ready.format(what=place(upcoming.exercise, upcoming.step, upcoming.side))
        left = upcoming.start_s - position_s
    else:
        title, left = words.finishing, timeline.total_s - position_s
    if waiting:
        ready = words.waiting if KEYS_WAY in ways else timeline.phrases.ready_for(ways)
        title = f"{ready or words.waiting} · {title}"
        left = 0.0
    elif paused:
        title = f"{words.paused} · {title}"
    nxt = upcoming if current is not None else None
    next_line = words.next.format(what=place(nxt.exercise, nxt.step, nxt.side)) if nxt else ""
    done = f"{minutes_seconds(position_s)} / {minutes_seconds(timeline.total_s)}"
    return [
        title,
        "",
        *big(minutes_seconds(math.ceil(max(left, 0.0) - 1e-9))),  # a countdown rounds up
        "",
        f"“{said}”" if said else "",
        next_line,
        f"{progress_bar(position_s / timeline.total_s)}  {done}  "
        + words.pace.format(pace=pace_text(timeline.pace)),
        words.keys if KEYS_WAY in ways else "",
    ]


class TerminalDisplay:
    """Redraws a block in place on a terminal (ANSI), at most a few times a second."""

    def __init__(
        self, timeline: Timeline, stream: TextIO, ways: Sequence[str] = (KEYS_WAY,)
    ) -> None:
        self.timeline = timeline
        self.stream = stream
        self.ways = tuple(ways)
        self.said = ""
        self.drawn = 0
        self.last: list[str] = []

    def fired(self, fired: Fired) -> None:
        if fired.event.text:
            self.said = fired.event.text

    def replanned(self, timeline: Timeline) -> None:
        self.timeline = timeline

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        lines = status_lines(
            self.timeline,
            position_s,
            paused=paused,
            said=self.said,
            waiting=waiting,
            ways=self.ways,
        )
        if lines == self.last:
            return
        self.last = lines
        out = [f"\x1b[{self.drawn}F"] if self.drawn else []
        out += [f"\x1b[2K{line}\n" for line in lines]
        self.stream.write("".join(out))
        self.stream.flush()
        self.drawn = len(lines)


class LineDisplay:
    """One plain line per event, for logs and pipes: no escape codes."""

    def __init__(self, stream: TextIO, phrases: Phrases | None = None) -> None:
        self.stream = stream
        self.phrases = phrases or phrases_for(DEFAULT_LANGUAGE)

    def settled(self, timeline: Timeline) -> None:
        """Nothing to say: the same session, its plan settled further as its speech came."""

    def replanned(self, timeline: Timeline) -> None:
        self.stream.write(
            f"{'':>6}  pace {pace_text(timeline.pace)}, the session now lasts "
            f"{minutes_seconds(timeline.total_s)}\n"
        )
        self.stream.flush()

    def fired(self, fired: Fired) -> None:
        event = fired.event
        what = event.text if event.text else f"({event.sound_name} chime)"
        where = self.phrases.place(event.exercise, event.step, event.side)
        self.stream.write(f"{minutes_seconds(fired.fired_s):>6}  {where:<44} {what}\n")
        self.stream.flush()

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        pass
