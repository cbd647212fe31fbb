"""The routine grammar, declared once: every key, its type, bounds, default and help.

The reader checks a routine by these declarations, and the shipped JSON Schema is
generated from them (``coach.routine.schema``), so the two cannot disagree on a
single field. Rules that tie keys together (``rest`` needs ``repeat``) are data
here too; what no schema can say (includes, cue times, the session at pace 1) the
reader alone checks, and the README lists it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT_CHARS = 400
CONTROL_CHARS = r"\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
"""Control characters, as a regex class's body: no text may hold one (white space ones fold
into a space). A NUL would split a tag's value in two; none is ever spoken."""
MAX_DESCRIPTION_CHARS = 2000
MAX_INCLUDE_DEPTH = 8
MAX_ROUNDS = 100
MAX_REPS = 200
MAX_COUNTDOWN = 10
MAX_COUNT_IN = 5
DEFAULT_TRANSITION_S = 15.0
DEFAULT_READY_S = 10.0
DEFAULT_SWITCH_S = 10.0
"""From the switch chime to the next side's hold: the chime, the switch instruction (the
longest bundled one takes about 6 s) and a few seconds to move the ball and settle."""
UNTIL_READY = "until-ready"
BOTH = "both"
SIDES = ("left", "right")
FLAG_WORDS = {
    word: value
    for value, words in ((True, ("true", "yes", "on")), (False, ("false", "no", "off")))
    for base in words
    for word in (base, base.capitalize(), base.upper())
}
"""What YAML 1.1 reads as true or false (a YAML 1.2 editor sees text: both are allowed)."""


@dataclass(frozen=True, slots=True)
class Text:
    """Words: spoken ones are never empty and carry no markup."""

    limit: int = MAX_TEXT_CHARS
    spoken: bool = True


@dataclass(frozen=True, slots=True)
class Duration:
    """Seconds, or text like ``90s``; ``positive``: more than 0; ``word``: allowed instead."""

    positive: bool
    word: str = ""


@dataclass(frozen=True, slots=True)
class Whole:
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Flag:
    pass


@dataclass(frozen=True, slots=True)
class Language:
    pass


@dataclass(frozen=True, slots=True)
class Sides:
    pass


@dataclass(frozen=True, slots=True)
class Things:
    """One text, or a list of them (``equipment``)."""

    item: Text


@dataclass(frozen=True, slots=True)
class Items:
    """A list of mappings of the shapes named, one of them may also be plain text (a cue)."""

    shapes: tuple[str, ...]
    text: bool = False


Type = Text | Duration | Whole | Flag | Language | Sides | Things | Items


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: Type
    help: str = ""
    default: str = ""
    """As a person would write it (``15s``), for the schema and the docs."""


@dataclass(frozen=True, slots=True)
class Needs:
    """``key`` is given only with ``other``; ``fix`` says so to the person."""

    key: str
    other: str
    fix: str


@dataclass(frozen=True, slots=True)
class Excludes:
    """``key`` and ``other`` never go together."""

    key: str
    other: str
    fix: str


@dataclass(frozen=True, slots=True)
class Shape:
    """A mapping in a routine: its keys, the ones it must have, and the rules between them."""

    name: str
    keys: tuple[Key, ...]
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    """At least one of these keys (how an exercise is held)."""
    needs: tuple[Needs, ...] = ()
    excludes: tuple[Excludes, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    def key(self, name: str) -> Key:
        return next(key for key in self.keys if key.name == name)


SPOKEN = _TEXT = Text()
_REPEAT = Key("repeat", Whole(1, MAX_ROUNDS), "How many rounds; 'Round 2 of 3' is said at each.")
_REST = Key(
    "rest",
    Duration(positive=False),
    "Rest between rounds (with 'repeat'): a rest sound, 'Rest', and 'Go' before the next round.",
)
_COUNTDOWN = Key(
    "countdown",
    Whole(0, MAX_COUNTDOWN),
    "Soft ticks in the last seconds of each timed hold (0: none).",
    default="0",
)
_HOLD_KEYS = (
    Key(
        "hold",
        Duration(positive=True, word=UNTIL_READY),
        "How long to stay on the ball (per side), or until-ready: play waits for space.",
    ),
    Key("reps", Whole(1, MAX_REPS), "Reps counted aloud on the beat, instead of a hold."),
    Key("tempo", Duration(positive=True), "The time of one rep (scaled by pace)."),
    Key("count", Flag(), "false: a soft tick on each beat instead of the number.", default="true"),
    Key("cues", Items(("cue",), text=True), "Said during the hold: text, or say and at."),
)
_COUNT_IN = Key(
    "count-in",
    Whole(0, MAX_COUNT_IN),
    "Counted aloud into each hold after getting into position or changing sides, one a "
    "second ('Three. Two. One.', then the start chime); 0: none.",
    default="0",
)
HOLD_KEYS = tuple(key.name for key in _HOLD_KEYS)
_SETUP = Key("setup", _TEXT, "Said before it starts (without one, coach says its name).")
_ROUNDS_NEED = (Needs("rest", "repeat", "'rest' goes between rounds; add 'repeat: N'"),)
_HOLD_RULES = (
    Needs("tempo", "reps", "'tempo' goes with 'reps'; add reps or remove it"),
    Needs("count", "reps", "'count' goes with 'reps'; add reps or remove it"),
    Needs("reps", "tempo", "'reps' needs a 'tempo', the time of one rep, like 4s"),
)
_HOLD_EXCLUDES = (
    Excludes("hold", "reps", "give 'hold' or 'reps', not both"),
    Excludes("cues", "reps", "'cues' cannot go with 'reps': the counts fill the hold"),
)

SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape(
            "routine",
            (
                Key("title", _TEXT, "Spoken at the start."),
                Key(
                    "description",
                    Text(MAX_DESCRIPTION_CHARS, spoken=False),
                    "For people reading the file; not spoken.",
                ),
                Key(
                    "language",
                    Language(),
                    "The language coach speaks in, as a BCP 47 tag; a region may follow (pt-BR). "
                    "The voice follows it.",
                    default="en",
                ),
                Key("equipment", Things(_TEXT), "What to have at hand; spoken at the start."),
                Key(
                    "transition",
                    Duration(positive=False),
                    "Time to get into position before each exercise.",
                    default="15s",
                ),
                _COUNTDOWN,
                _COUNT_IN,
                Key(
                    "switch-time",
                    Duration(positive=False),
                    "Time to change sides, from the switch chime to the next side's full hold "
                    "(scaled by pace; never shorter than the switch instruction and 2s to settle).",
                    default="10s",
                ),
                Key(
                    "ready",
                    Duration(positive=True),
                    "How long 'hold: until-ready' lasts in show and export (play waits for space).",
                    default="10s",
                ),
                Key("sections", Items(("include", "section")), "The routine's parts, in order."),
            ),
            required=("title", "sections"),
        ),
        Shape(
            "include",
            (
                Key(
                    "include",
                    _TEXT,
                    "Another routine, by name or a path relative to this file (same language).",
                ),
            ),
            required=("include",),
        ),
        Shape(
            "section",
            (
                Key("name", _TEXT),
                Key("exercises", Items(("exercise",)), "The section's exercises, in order."),
                _REPEAT,
                _REST,
            ),
            required=("name", "exercises"),
            needs=_ROUNDS_NEED,
        ),
        Shape(
            "exercise",
            (
                Key("name", _TEXT, "Said when it comes up: 'Next up: …'."),
                _SETUP,
                Key(
                    "sides",
                    Sides(),
                    "Each side gets the full hold, with a chime and a spoken switch between.",
                ),
                *_HOLD_KEYS,
                Key("steps", Items(("step",)), "Holds in turn, each with its own name and setup."),
                Key("transition", Duration(positive=False), "Overrides the routine's transition."),
                Key(
                    "switch",
                    _TEXT,
                    "Said after the switch chime (default: Switch to the right side).",
                ),
                Key(
                    "switch-time", Duration(positive=False), "Overrides the routine's switch-time."
                ),
                _REPEAT,
                _REST,
                _COUNTDOWN,
                _COUNT_IN,
            ),
            required=("name",),
            one_of=("hold", "reps", "steps"),
            needs=(
                *_HOLD_RULES,
                *_ROUNDS_NEED,
                Needs("switch", "sides", "'switch' needs two sides; remove it"),
                Needs("switch-time", "sides", "'switch-time' needs two sides; remove it"),
            ),
            excludes=(
                *_HOLD_EXCLUDES,
                *(
                    Excludes(
                        key,
                        "steps",
                        f"'{key}' goes inside each step when there are 'steps'; move it",
                    )
                    for key in HOLD_KEYS
                ),
            ),
        ),
        Shape(
            "step",
            (Key("name", _TEXT, "Said as the step begins."), _SETUP, *_HOLD_KEYS, _REPEAT, _REST),
            required=("name",),
            one_of=("hold", "reps"),
            needs=(*_HOLD_RULES, *_ROUNDS_NEED),
            excludes=_HOLD_EXCLUDES,
        ),
        Shape(
            "cue",
            (
                Key("say", _TEXT, "What to say."),
                Key(
                    "at",
                    Duration(positive=False),
                    "When to say it, from the start of the hold (scaled by pace).",
                ),
            ),
            required=("say",),
        ),
    )
}
