"""Everything coach itself says, one table per language: the planner and player say no other.

A routine's own words (setup, cues, names) are the author's, in the routine's
language; these are the sentences around them. Each language is written as a
coach speaking it would say them: numbers agree in plural (Polish has three
forms), adjectives agree with their nouns ("linke Seite", "lado izquierdo"),
and a name the author wrote follows a colon where an article or a case ending
would otherwise have to agree with a word coach cannot know the gender of.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from coach.language.side import Side


def join_with(word: str) -> Callable[[Sequence[str]], str]:
    def join(items: Sequence[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {word} " + items[-1]

    return join


@dataclass(frozen=True, slots=True)
class Written:
    """What coach writes in one language: the display, the schedule, chapters, check's summary.

    Templates take named fields (``{what}``, ``{n}``, ``{length}``…), filled by the views.
    """

    introduction: str
    round: str
    rest_next: str
    get_ready: str
    switching: str
    """A change of sides under way: ``Switch sides: {what}``."""
    finishing: str
    next: str
    paused: str
    waiting: str
    header: str
    rest_mark: str
    until_ready: str
    left_out: str
    announcement: str
    cue: str
    summary: str
    at_pace_one: str
    keys: str
    """The keys a terminal display lists."""
    pace: str


@dataclass(frozen=True, slots=True)
class Phrases:
    """The sentences coach says in one language, as templates and small rules."""

    language: str
    """The primary BCP 47 subtag: ``en``, ``de``…"""
    name: str
    """The language's own name for itself."""
    voice: str | None
    """The eSpeak NG voice that speaks it by default (None: the engine's default)."""
    minutes: Callable[[int], str]
    """``This session takes about N minutes.``, with the plural the number takes."""
    join: Callable[[Sequence[str]], str]
    """``a, b and c``."""
    equipment_: str
    first_: str
    next_up_: str
    sides: dict[Side, str]
    """How a side is named after an exercise: ``left side``."""
    switch_: dict[Side, str]
    """The whole sentence that moves to a side: ``Switch to the left side.``"""
    start_with_: str
    now_: str
    halfway: str
    ten_seconds_left: str
    ending: str
    paused: str
    """``Paused.``: said when nothing in this session can resume it by name (a file)."""
    paused_how_: str
    """``Paused. To go on, {how}.``"""
    resuming: str
    round_: str
    """``Round {n} of {total}.``"""
    rest: str
    go: str
    ready_how_: str
    """``When you are ready, {how}.``: said now and then while coach waits for the person."""
    ways: dict[str, str]
    """How each way of going on is said (``space``: ``press space``), by the name a command
    source gives it (``SourceKind.way``); a way not here is not named."""
    either: Callable[[Sequence[str]], str]
    """``a, b or c``."""
    numbers: tuple[str, ...]
    """One to twenty, as counted aloud; higher numbers are said as digits."""
    faster: str
    slower: str
    longer: str
    """Confirms the `h` key: this hold lasts thirty seconds more."""
    minutes_left: Callable[[int], str]
    """``About N minutes left.``, after a change of pace."""
    written: Written
    """What coach writes in this language (the spoken phrases above, it says)."""

    def place(self, exercise: str | None, step: str | None, side: Side | None) -> str:
        """Where a person is, as written: ``Quads, knee and IT band: Knee, left side``."""
        if exercise is None:
            return ""
        text = exercise + (f": {step}" if step else "")
        return text + (f", {self.sides[side]}" if side else "")

    def title(self, title: str) -> str:
        return f"{title}."

    def session_length(self, minutes: int) -> str:
        return self.minutes(minutes)

    def equipment(self, items: Sequence[str]) -> str:
        return self.equipment_.format(items=self.join(items))

    def announce(self, exercise: str, side: Side | None) -> str:
        return exercise if side is None else f"{exercise}, {self.sides[side]}"

    def first(self, exercise: str, side: Side | None) -> str:
        return self.first_.format(what=self.announce(exercise, side))

    def next_up(self, exercise: str, side: Side | None) -> str:
        return self.next_up_.format(what=self.announce(exercise, side))

    def switch(self, side: Side) -> str:
        return self.switch_[side]

    def start_with(self, step: str) -> str:
        return self.start_with_.format(step=step)

    def now(self, step: str) -> str:
        return self.now_.format(step=step)

    def round(self, number: int, rounds: int) -> str:
        return self.round_.format(n=number, total=rounds)

    def count(self, number: int) -> str:
        """A rep counted aloud: ``One.``"""
        word = self.numbers[number - 1] if 1 <= number <= len(self.numbers) else str(number)
        return f"{word}."

    def how(self, ways: Sequence[str]) -> str:
        """How to go on in this session: ``press space or say resume`` (empty: no way)."""
        said = dict.fromkeys(self.ways[way] for way in ways if way in self.ways)
        return self.either(list(said))

    def paused_for(self, ways: Sequence[str]) -> str:
        """What pausing says, naming the ways this session can go on."""
        how = self.how(ways)
        return self.paused_how_.format(how=how) if how else self.paused

    def ready_for(self, ways: Sequence[str]) -> str:
        """The reminder at a hold until ready; empty where no way can be named."""
        how = self.how(ways)
        return self.ready_how_.format(how=how) if how else ""

    def live(self, ways: Sequence[str] = ()) -> tuple[str, ...]:
        """What the live player may say when a command (or the wait for one) calls for it,
        in a session that goes on by ``ways``."""
        ready = self.ready_for(ways)
        return (self.paused_for(ways), self.resuming, *((ready,) if ready else ()))

    @property
    def changes(self) -> tuple[str, ...]:
        """What the live player says when the pace or a hold changes (the time left aside)."""
        return (self.faster, self.slower, self.longer)

    def fixed(self) -> tuple[str, ...]:
        """Every sentence that takes no argument, for checks and tests."""
        return (
            self.halfway,
            self.ten_seconds_left,
            self.ending,
            self.paused,
            self.resuming,
            self.rest,
            self.go,
            *self.switch_.values(),
        )


def plural(one: str, other: str) -> Callable[[int], str]:
    """Languages whose nouns have one form for 1 and one for every other number."""
    return lambda n: one if n == 1 else other.format(n=n)


LEFT, RIGHT = Side.LEFT, Side.RIGHT
