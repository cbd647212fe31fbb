"""The routine: what a person wrote, as frozen dataclasses (``routine.reader`` reads the files)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach.language.side import Side
from coach.language.table import DEFAULT_LANGUAGE
from coach.routine.grammar import DEFAULT_SWITCH_S

__all__ = ["ONCE", "Cue", "Exercise", "Repeat", "Routine", "Section", "Side", "Step"]


@dataclass(frozen=True, slots=True)
class Cue:
    """Something said during a hold: at ``at_s`` into it, or spread evenly when None."""

    say: str
    at_s: float | None = None


@dataclass(frozen=True, slots=True)
class Repeat:
    """Rounds of something (a step, an exercise, a section), with a rest between them."""

    rounds: int = 1
    rest_s: float = 0.0

    @property
    def repeated(self) -> bool:
        return self.rounds > 1


ONCE = Repeat()


@dataclass(frozen=True, slots=True)
class Step:
    """One hold of an exercise (an exercise without steps has exactly one).

    Timed (``hold_s``), counted (``reps`` beats of ``tempo_s``), or until the
    person is ready (``until_ready``: ``hold_s`` is then how long it lasts in a file).
    """

    name: str
    setup: str
    hold_s: float
    cues: tuple[Cue, ...]
    reps: int = 0
    """0: a timed hold; otherwise how many reps are counted, one a beat."""
    tempo_s: float = 0.0
    """Seconds a rep (a beat), before pace."""
    count: bool = True
    """Counted aloud ("One", "Two"…); False: a soft tick on each beat."""
    until_ready: bool = False
    repeat: Repeat = ONCE

    @property
    def written_s(self) -> float:
        """How long the hold lasts at pace 1 (the counting, for reps)."""
        return self.reps * self.tempo_s if self.reps else self.hold_s


@dataclass(frozen=True, slots=True)
class Exercise:
    name: str
    setup: str
    sides: tuple[Side, ...]
    steps: tuple[Step, ...]
    transition_s: float
    switch: str = ""
    """Said after the switch chime; empty means "Switch to the <side> side"."""
    repeat: Repeat = ONCE
    switch_s: float = DEFAULT_SWITCH_S
    """From the switch chime to the next side's hold (before pace): time to change sides."""
    countdown: int = 0
    """Soft ticks in the last seconds of each timed hold (0: none)."""
    count_in: int = 0
    """Counts said into a hold after its lead-in or a change of sides, one a second (0: none)."""

    @property
    def has_steps(self) -> bool:
        return len(self.steps) > 1 or self.steps[0].name != self.name


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    exercises: tuple[Exercise, ...]
    repeat: Repeat = ONCE


@dataclass(frozen=True, slots=True)
class Routine:
    name: str
    title: str
    description: str
    equipment: tuple[str, ...]
    sections: tuple[Section, ...]
    language: str = DEFAULT_LANGUAGE
    """A BCP 47 tag (``de``, ``pt-BR``) with a phrases table; coach speaks in it."""
    files: tuple[Path, ...] = ()
    """The file it was read from, then every file it includes (to tell when it changed)."""

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        return tuple(e for s in self.sections for e in s.exercises)
