"""Routines people already have, as coach routines: Just Another Workout Timer's JSON
and audio-program-generator's phrase files.

Each format is read as its own app writes and reads it (their code, not a guess):

- **Just Another Workout Timer** (JAWT) exports a backup, ``{"workouts": [workout…]}``,
  and keeps each workout as ``{"title", "sets", "version", "position"}``; a set is
  ``{"repetitions", "exercises"}``, an exercise ``{"name", "duration"}`` in whole
  seconds. It writes the JSON's UTF-16 code units as bytes (Dart's ``codeUnits``), so
  a file that is not UTF-8 is read as Latin-1, as JAWT itself then reads it. A set
  becomes a section (``repeat`` for its repetitions), an exercise a timed hold; JAWT
  beeps the last 3 seconds of each exercise, and the routine ticks them.
- **audio-program-generator** (apg) reads ``phrase; seconds`` a line: the phrase is
  spoken, then ``seconds`` of silence; ``*`` instead of a phrase is silence alone.
  The program becomes one hold whose cues are said at the times apg would reach them,
  timed for speech at ``PHRASE_WPM`` (slower than coach's default, so they never
  crowd each other); a program over ``PART_S`` is cut into parts at phrase boundaries.

What cannot map is said item by item (``Imported.notes``), never dropped silently.
A file that is not one of these is a ``RoutineError`` naming the file and the line.
Nothing here writes a file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from coach.durations import format_duration
from coach.errors import Problem, RoutineError
from coach.files import UnreadableError, read_small_file
from coach.routine.grammar import CONTROL_CHARS, MAX_ROUNDS, MAX_TEXT_CHARS

MAX_IMPORT_BYTES = 4_000_000
"""A JAWT backup of every workout a person has is a few kB; apg's programs smaller still."""
MAX_HOLD_S = 3600.0
"""A hold's ceiling in coach's grammar."""
PHRASE_WPM = 130
"""apg phrases are placed as if said at this rate: slower than coach's 160, so a phrase
said at the default rate or a little slower still ends before the next begins."""
PHRASE_GAP_S = 0.5
"""A breath after each phrase before apg's silence starts counting (and eSpeak NG's own
pause at a phrase's end, which a words-a-minute rate leaves out)."""
PART_S = 3000.0
"""A long apg program is cut into holds of at most this (50 minutes)."""

JAWT = "Just Another Workout Timer"
APG = "audio-program-generator"
FORMATS = {"jawt": JAWT, "apg": APG}
"""The formats coach imports, by the name ``--format`` takes."""


@dataclass(frozen=True, slots=True)
class Imported:
    """One routine made from an imported file."""

    name: str
    """A routine name from its title (``my-workout``)."""
    text: str
    """The routine file, as YAML with a comment saying where it came from."""
    notes: tuple[str, ...]
    """What could not map as it was, item by item."""


def import_file(path: Path, form: str | None = None) -> list[Imported]:
    """The routines in ``path``: one per JAWT workout, or one for an apg program.

    ``form`` is a key of ``FORMATS``; None: told by the file's content.

    Raises:
        RoutineError: the file cannot be read, or is not in the format (one line, where).
    """
    try:
        data = read_small_file(path, MAX_IMPORT_BYTES, "a workout or phrase file")
    except UnreadableError as err:
        raise _problem(path, 0, str(err)) from err
    text = _decode(data)
    if form is None:
        form = "jawt" if text.lstrip().startswith(("{", "[")) else "apg"
    if form == "jawt":
        return _jawt(path, text)
    return [_apg(path, text)]


def _problem(path: Path, line: int, message: str) -> RoutineError:
    return RoutineError([Problem(str(path), line, message)])


def _decode(data: bytes) -> str:
    """UTF-8 (a byte-order mark dropped), else Latin-1: JAWT writes code units as bytes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --- words ------------------------------------------------------------------------------

_CONTROL = re.compile(f"[{CONTROL_CHARS}]")


def clean_text(raw: str, what: str, notes: list[str]) -> str:
    """Text a routine can hold: one line, no markup or control characters, at most
    ``MAX_TEXT_CHARS``; each change noted. Empty when nothing is left."""
    text = " ".join(_CONTROL.sub("", raw).split())
    if "<" in text or ">" in text:
        text = " ".join(text.replace("<", " ").replace(">", " ").split())
        notes.append(f"{what}: < and > removed (coach speaks no markup)")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rsplit(" ", 1)[0] or text[:MAX_TEXT_CHARS]
        notes.append(f"{what}: cut to {MAX_TEXT_CHARS} characters")
    return text


def routine_name(title: str, fallback: str) -> str:
    """A routine name (letters, digits, - and _) from a title: ``Core & Legs!`` → ``core-legs``."""
    name = re.sub(r"[^a-z0-9_]+", "-", title.lower()).strip("-_")[:60].strip("-_")
    return name or fallback


def seconds_text(seconds: float) -> str:
    """A duration as a routine writes it: ``1m30s``, or ``2.5s`` when not whole."""
    if abs(seconds - round(seconds)) < 1e-9:
        return format_duration(seconds)
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def render(header: str, routine: dict[str, Any]) -> str:
    """The routine as YAML people can edit, under a comment saying where it came from."""
    body = yaml.safe_dump(routine, sort_keys=False, allow_unicode=True, width=88)
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


# --- Just Another Workout Timer -----------------------------------------------------------


def _jawt(path: Path, text: str) -> list[Imported]:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        line = getattr(err, "lineno", 0)
        raise _problem(
            path, line, f"is not {JAWT}'s JSON ({_reason(err)}); export the workout again"
        ) from err
    if isinstance(data, dict) and "feeelMetadataVersion" in data:
        raise _problem(
            path,
            0,
            "is a Feeel workout, whose exercises are named only by their ids in Feeel's own "
            "copy of wger's exercise database; coach has no copy, so it cannot import it "
            "(write the routine with coach new)",
        )
    # an export or backup holds a list of workouts; the app stores each workout bare
    backup = isinstance(data, dict) and "workouts" in data
    workouts = data["workouts"] if backup else [data]
    if not isinstance(workouts, list) or not workouts:
        raise _problem(path, 0, f"has no workouts; give a workout exported from {JAWT}")
    made: list[Imported] = []
    names: set[str] = set()
    for index, workout in enumerate(workouts, 1):
        where = f"workout {index}" if len(workouts) > 1 else "the workout"
        imported = _jawt_workout(path, workout, where)
        name, n = imported.name, 1
        while name in names:
            n += 1
            name = f"{imported.name}-{n}"
        names.add(name)
        made.append(Imported(name, imported.text, imported.notes))
    return made


def _no_constant(value: str) -> Any:
    raise ValueError(f"{value} is not a number JSON allows")


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deep"
    if isinstance(err, json.JSONDecodeError):
        return err.msg.lower()
    return str(err)


def _field(
    path: Path, item: Any, key: str, where: str, check: Callable[[Any], bool], want: str
) -> Any:
    if not isinstance(item, dict) or key not in item:
        raise _problem(path, 0, f"{where} has no '{key}'; this is not a {JAWT} workout")
    value = item[key]
    if not check(value):
        raise _problem(path, 0, f"{where}: '{key}' must be {want}, got {json.dumps(value)[:40]}")
    return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _jawt_workout(path: Path, workout: Any, where: str) -> Imported:
    notes: list[str] = []
    title_raw = _field(path, workout, "title", where, lambda v: isinstance(v, str), "text")
    sets = _field(path, workout, "sets", where, lambda v: isinstance(v, list), "a list of sets")
    title = clean_text(title_raw, f"{where}'s title", notes) or "Workout"
    sections: list[dict[str, Any]] = []
    for s, entry in enumerate(sets, 1):
        at = f"{where}, set {s}"
        repetitions = _field(path, entry, "repetitions", at, _whole, "a whole number")
        exercises = _field(
            path, entry, "exercises", at, lambda v: isinstance(v, list), "a list of exercises"
        )
        holds = list(_jawt_exercises(path, exercises, at, notes))
        if repetitions < 1:
            notes.append(f"{at}: {repetitions} repetitions play nothing in {JAWT}; left out")
            continue
        if not holds:
            notes.append(f"{at}: no exercise to play; left out")
            continue
        section: dict[str, Any] = {"name": f"Set {s}", "exercises": holds}
        if repetitions > MAX_ROUNDS:
            notes.append(f"{at}: {repetitions} repetitions; coach plays at most {MAX_ROUNDS}")
            repetitions = MAX_ROUNDS
        if repetitions > 1:
            section["repeat"] = repetitions
        sections.append(section)
    if not sections:
        raise _problem(path, 0, f"{where} has no exercise coach can play; nothing imported")
    routine = {
        "title": title,
        "description": f"Imported from {JAWT}: {path.name}.",
        # JAWT goes from one exercise straight into the next, beeping the last 3 seconds;
        # coach says what is next in a short transition, and ticks the same 3 seconds
        "transition": "5s",
        "countdown": 3,
        "sections": sections,
    }
    header = f"Imported from {path.name} ({JAWT}) by coach import.\nCheck it with: coach check"
    return Imported(routine_name(title, "workout"), render(header, routine), tuple(notes))


def _jawt_exercises(
    path: Path, exercises: list[Any], at: str, notes: list[str]
) -> Iterator[dict[str, Any]]:
    for e, exercise in enumerate(exercises, 1):
        where = f"{at}, exercise {e}"
        raw = _field(path, exercise, "name", where, lambda v: isinstance(v, str), "text")
        duration = _field(path, exercise, "duration", where, _whole, "whole seconds")
        name = clean_text(raw, where, notes) or f"Exercise {e}"
        if duration <= 0:
            notes.append(f"{where} ({name}): {duration} seconds cannot be held; left out")
            continue
        if duration > MAX_HOLD_S:
            notes.append(
                f"{where} ({name}): {format_duration(duration)} is over coach's 1 hour hold; "
                "held for 1 hour"
            )
            duration = int(MAX_HOLD_S)
        yield {"name": name, "hold": format_duration(duration)}


# --- audio-program-generator ----------------------------------------------------------------

_APG_LINE = re.compile(r"^(?P<phrase>.*?)\s*;\s*(?P<seconds>[0-9]*\.?[0-9]+)\s*$")


@dataclass(frozen=True, slots=True)
class _Phrase:
    line: int
    text: str
    """Empty: silence (apg's ``*``)."""
    silence_s: float


def _apg_lines(path: Path, text: str, notes: list[str]) -> list[_Phrase]:
    phrases: list[_Phrase] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        match = _APG_LINE.match(raw.strip())
        if match is None:
            notes.append(f"line {number}: not 'phrase; seconds' (as apg reads it); left out")
            continue
        seconds = float(match["seconds"])
        if not math.isfinite(seconds) or seconds > MAX_HOLD_S:
            notes.append(f"line {number}: {match['seconds']} seconds is over an hour; left out")
            continue
        said = match["phrase"].strip()
        if said == "*":
            phrases.append(_Phrase(number, "", seconds))
            continue
        spoken = clean_text(said, f"line {number}", notes)
        if not spoken:
            notes.append(
                f"line {number}: no words to say; kept as {seconds_text(seconds)} of quiet"
            )
        phrases.append(_Phrase(number, spoken, seconds))
    if not any(p.text for p in phrases):
        raise _problem(
            path,
            0,
            f"has no 'phrase; seconds' line to say, as {APG} reads them; give its phrase "
            "file (or a workout exported from Just Another Workout Timer)",
        )
    return phrases


def _apg(path: Path, text: str) -> Imported:
    notes: list[str] = []
    phrases = _apg_lines(path, text, notes)
    parts: list[list[dict[str, Any]]] = [[]]
    lengths = [0.0]
    for phrase in phrases:
        spoken_s = len(phrase.text.split()) * 60 / PHRASE_WPM + PHRASE_GAP_S if phrase.text else 0.0
        step_s = spoken_s + phrase.silence_s
        if parts[-1] and lengths[-1] + step_s > PART_S:
            parts.append([])
            lengths.append(0.0)
        if phrase.text:
            parts[-1].append({"at": seconds_text(round(lengths[-1], 1)), "say": phrase.text})
        lengths[-1] += step_s
    title = " ".join(path.stem.replace("_", " ").replace("-", " ").split()).capitalize()
    title = clean_text(title, "the file's name", []) or "Program"
    exercises: list[dict[str, Any]] = []
    for n, (cues, length_s) in enumerate(zip(parts, lengths, strict=True), 1):
        if not cues:
            continue
        hold_s = max(round(length_s, 1), 1.0)
        name = title if len(parts) == 1 else f"Part {n}"
        exercises.append({"name": name, "hold": seconds_text(hold_s), "cues": cues})
    if len(parts) > 1:
        notes.append(
            f"the program lasts over {format_duration(PART_S)}; cut into {len(exercises)} parts"
        )
    routine = {
        "title": title,
        "description": f"Imported from {APG}: {path.name}.",
        "transition": "3s",
        "sections": [{"name": title, "exercises": exercises}],
    }
    header = (
        f"Imported from {path.name} ({APG}) by coach import: each phrase is a cue at the\n"
        f"time apg would say it, for speech at up to {PHRASE_WPM} words a minute.\n"
        "Check it with: coach check"
    )
    return Imported(routine_name(title, "program"), render(header, routine), tuple(notes))
