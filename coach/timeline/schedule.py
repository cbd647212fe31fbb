"""Present a timeline: a readable schedule for people, and the stable JSON contract."""

from __future__ import annotations

from typing import Any

from coach.language.phrases import Phrases
from coach.language.side import Side
from coach.timeline.events import Event, EventKind, Hold, Priority, Timeline

JSON_VERSION = 1


def clock(seconds: float) -> str:
    """``75.5`` → ``01:15.500``."""
    whole_ms = round(seconds * 1000)
    minutes, ms = divmod(whole_ms, 60_000)
    return f"{minutes:02d}:{ms // 1000:02d}.{ms % 1000:03d}"


def minutes_seconds(seconds: float) -> str:
    """``75.5`` → ``1:16``."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def pace_text(pace: float) -> str:
    """A pace as people write it: ``1.5`` for a fitted 1.49695, ``1.25``, ``1``."""
    return f"{round(pace, 2):g}"


def stopped_where(timeline: Timeline, position_s: float) -> str:
    segment = timeline.segment_at(position_s)
    if segment is not None:
        inside = segment.exercise
    elif not timeline.segments or position_s < timeline.segments[0].start_s:
        inside = "the introduction"
    else:
        inside = "the ending"
    return f"{minutes_seconds(position_s)} of {minutes_seconds(timeline.total_s)} ({inside})"


def event_line(event: Event) -> str:
    what = f'say    "{event.text}"' if event.kind is EventKind.SAY else f"chime  {event.sound_name}"
    return f"{clock(event.at_s)}  {what}"


def format_schedule(timeline: Timeline) -> str:
    """The schedule as text: one line per event, holds marked, dropped cues listed."""
    phrases = timeline.phrases
    words = phrases.written
    header = words.header.format(
        length=minutes_seconds(timeline.total_s),
        pace=pace_text(timeline.pace),
        holds=len(timeline.holds),
        clips=len(timeline.events),
    )
    lines = [f"{timeline.title} ({timeline.routine})", header, ""]
    marks = sorted(
        [(h.start_s, _hold_mark(phrases, h)) for h in timeline.holds]
        + [
            (r.start_s, words.rest_mark.format(n=r.round, length=_length(r.start_s, r.end_s)))
            for r in timeline.rests
        ]
        + [
            (
                w.start_s,
                words.switching.format(what=phrases.place(w.exercise, None, w.side))
                + f" ({_length(w.start_s, w.end_s)})",
            )
            for w in timeline.switches
        ]
    )
    upcoming = iter(marks)
    mark = next(upcoming, None)
    for event in timeline.events:
        while mark is not None and mark[0] <= event.at_s:
            lines.append(f"           ── {mark[1]}")
            mark = next(upcoming, None)
        lines.append(event_line(event))
    if timeline.dropped:
        lines += ["", words.left_out.format(pace=pace_text(timeline.pace))]
        for cue in timeline.dropped:
            kind = words.announcement if cue.priority is Priority.LOW else words.cue
            side = phrases.sides[cue.side] if cue.side else "—"
            lines.append(f'  {cue.exercise}, {side}: {kind} "{cue.text}"')
    return "\n".join(lines)


def _length(start_s: float, end_s: float) -> str:
    return minutes_seconds(end_s - start_s)


def _hold_mark(phrases: Phrases, hold: Hold) -> str:
    where = phrases.place(hold.exercise, hold.step, hold.side)
    if hold.round is not None:
        where += ", " + phrases.written.round.format(n=hold.round)
    if hold.until_ready:
        length = _length(hold.start_s, hold.end_s)
        return f"{where} ({phrases.written.until_ready.format(length=length)})"
    return f"{where} ({_length(hold.start_s, hold.end_s)})"


def _side(value: Side | None) -> str | None:
    return value.value if value else None


def event_json(event: Event, **timing: float) -> dict[str, Any]:
    """An event's fields in contract order: ``at_s``, the given timing, kind, what, where."""
    item: dict[str, Any] = {"at_s": event.at_s, **timing, "kind": event.kind.value}
    if event.kind is EventKind.SAY:
        item["text"] = event.text
    else:
        item["sound"] = event.sound_name
    return item | {"exercise": event.exercise, "step": event.step, "side": _side(event.side)}


def timeline_json(timeline: Timeline) -> dict[str, Any]:
    """The documented, stable JSON form of a timeline (see README, "Timeline JSON")."""
    return {
        "version": JSON_VERSION,
        "routine": timeline.routine,
        "title": timeline.title,
        "language": timeline.language,
        "pace": timeline.pace,
        "total_s": timeline.total_s,
        "minutes": timeline.minutes,
        "holds": [
            {
                "exercise": h.exercise,
                "step": h.step,
                "side": _side(h.side),
                "start_s": h.start_s,
                "end_s": h.end_s,
                "round": h.round,
                "until_ready": h.until_ready,
                "reps": h.reps,
            }
            for h in timeline.holds
        ],
        "events": [event_json(e, duration_s=round(e.duration_s, 6)) for e in timeline.events],
        "dropped": [
            {"text": d.text, "exercise": d.exercise, "side": _side(d.side)}
            for d in timeline.dropped
        ],
        "rests": [
            {"exercise": r.exercise, "start_s": r.start_s, "end_s": r.end_s, "round": r.round}
            for r in timeline.rests
        ],
        "switches": [
            {"exercise": w.exercise, "side": _side(w.side), "start_s": w.start_s, "end_s": w.end_s}
            for w in timeline.switches
        ],
    }
