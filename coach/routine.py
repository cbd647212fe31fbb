"""The routine: what a person wrote, as frozen dataclasses (``coach.loader`` reads the files)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from coach.phrases import DEFAULT_LANGUAGE


class Side(Enum):
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Cue:
    """Something said during a hold: at ``at_s`` into it, or spread evenly when None."""

    say: str
    at_s: float | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One timed hold of an exercise (an exercise without steps has exactly one)."""

    name: str
    setup: str
    hold_s: float
    cues: tuple[Cue, ...]


@dataclass(frozen=True, slots=True)
class Exercise:
    name: str
    setup: str
    sides: tuple[Side, ...]
    steps: tuple[Step, ...]
    transition_s: float
    switch: str = ""
    """Said after the switch chime; empty means "Switch to the <side> side"."""

    @property
    def has_steps(self) -> bool:
        return len(self.steps) > 1 or self.steps[0].name != self.name


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    exercises: tuple[Exercise, ...]


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
