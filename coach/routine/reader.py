"""Load: a routine file (YAML) read by the grammar into a ``Routine``, every problem at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from coach.durations import MAX_DURATION_S, format_duration
from coach.errors import RoutineError
from coach.language.table import DEFAULT_LANGUAGE, primary
from coach.routine.grammar import (
    BOTH,
    DEFAULT_READY_S,
    DEFAULT_SWITCH_S,
    DEFAULT_TRANSITION_S,
    HOLD_KEYS,
    MAX_INCLUDE_DEPTH,
    SHAPES,
    SIDES,
    UNTIL_READY,
    Duration,
    Shape,
    Text,
    Things,
    Whole,
)
from coach.routine.model import ONCE, Cue, Exercise, Repeat, Routine, Section, Side, Step
from coach.routine.nodes import Checker, Fields, named
from coach.routine.shelf import Shelf, find_routine
from coach.routine.source import SourceError, read_yaml

# --- where routines come from ---------------------------------------------------------


def load_routine(
    ref: str | Path, shelf: Shelf | None = None, *, language: str = DEFAULT_LANGUAGE
) -> Routine:
    """Load a routine by bundled name or path, following its includes.

    ``language`` is what a routine that does not say is in (the config's ``language``).

    Raises:
        RoutineError: with every problem found, each as ``file:line: what, how to fix``.
    """
    shelf = shelf or Shelf()
    path = ref if isinstance(ref, Path) else find_routine(ref, shelf)
    return _Reader(path, language, shelf).load(chain=())


# --- the reader ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Defaults:
    """What a routine sets for all its exercises, unless one says otherwise."""

    transition_s: float
    countdown: int
    ready_s: float
    count_in: int = 0
    switch_s: float = DEFAULT_SWITCH_S


_ROUTINE, _SECTION, _INCLUDE = SHAPES["routine"], SHAPES["section"], SHAPES["include"]
_EXERCISE, _STEP, _CUE = SHAPES["exercise"], SHAPES["step"], SHAPES["cue"]


class _Reader:
    """Reads one file's node tree by the grammar; an include is read by a reader of its own."""

    def __init__(self, path: Path, language: str, shelf: Shelf) -> None:
        self.path = path
        self.shelf = shelf
        self.default_language = language
        self.check = Checker(str(path))
        self.included: list[Path] = []

    def load(self, chain: tuple[Path, ...]) -> Routine:
        root = self._read()
        routine = self._routine(root, chain) if root is not None else None
        if self.check.problems or routine is None:
            raise RoutineError(self.check.problems)
        return routine

    def _read(self) -> yaml.Node | None:
        try:
            return read_yaml(self.path)
        except SourceError as err:
            for problem in err.problems:
                self.check.problem(problem.line, problem.message)
            return None

    # -- single fields, each by its type in the grammar --

    def text(self, fields: Fields, key: str, what: str, shape: Shape) -> str:
        if key not in fields:
            return ""
        spec = shape.key(key).type
        assert isinstance(spec, Text)
        return self.check.text(fields[key][1], f"{what}: '{key}'", spec)

    def duration(self, fields: Fields, key: str, what: str, shape: Shape) -> float | None:
        if key not in fields:
            return None
        spec = shape.key(key).type
        assert isinstance(spec, Duration)
        return self.check.duration(fields[key][1], f"{what}: '{key}'", spec)

    def whole(self, fields: Fields, key: str, what: str, shape: Shape) -> int | None:
        if key not in fields:
            return None
        spec = shape.key(key).type
        assert isinstance(spec, Whole)
        return self.check.whole(fields[key][1], f"{what}: '{key}'", spec)

    # -- the routine --

    def _routine(self, root: yaml.Node, chain: tuple[Path, ...]) -> Routine | None:
        fields = self.check.mapping(root, "routine", _ROUTINE)
        if fields is None:
            return None
        title = self.text(fields, "title", "routine", _ROUTINE)
        description = self.text(fields, "description", "routine", _ROUTINE)
        equipment = self._equipment(fields)
        language = self.default_language
        if "language" in fields:
            language = self.check.language(fields["language"][1], "'language'") or DEFAULT_LANGUAGE
        transition_s = self.duration(fields, "transition", "routine", _ROUTINE)
        countdown = self.whole(fields, "countdown", "routine", _ROUTINE)
        ready_s = self.duration(fields, "ready", "routine", _ROUTINE)
        switch_s = self.duration(fields, "switch-time", "routine", _ROUTINE)
        count_in = self.whole(fields, "count-in", "routine", _ROUTINE)
        defaults = _Defaults(
            DEFAULT_TRANSITION_S if transition_s is None else transition_s,
            countdown or 0,
            ready_s or DEFAULT_READY_S,
            count_in or 0,
            DEFAULT_SWITCH_S if switch_s is None else switch_s,
        )
        sections: list[Section] = []
        if "sections" in fields:
            for node in self.check.sequence(fields["sections"][1], "routine: 'sections'"):
                sections.extend(self._section(node, chain, defaults, language))
        return Routine(
            name=self.path.stem,
            title=title,
            description=description,
            equipment=equipment,
            sections=tuple(sections),
            language=language,
            files=(self.path, *self.included),
        )

    def _equipment(self, fields: Fields) -> tuple[str, ...]:
        if "equipment" not in fields:
            return ()
        node = fields["equipment"][1]
        spec = _ROUTINE.key("equipment").type
        assert isinstance(spec, Things)
        if isinstance(node, yaml.ScalarNode):
            return (self.check.text(node, "routine: 'equipment'", spec.item),)
        items = self.check.sequence(node, "routine: 'equipment'")
        return tuple(self.check.text(n, "routine: 'equipment' item", spec.item) for n in items)

    def _section(
        self, node: yaml.Node, chain: tuple[Path, ...], defaults: _Defaults, language: str
    ) -> Iterator[Section]:
        is_include = isinstance(node, yaml.MappingNode) and any(
            getattr(key, "value", None) == "include" for key, _ in node.value
        )
        if is_include:
            assert isinstance(node, yaml.MappingNode)
            if len(node.value) > 1:
                self.check.problem(node, "a section with 'include' takes no other keys; move them")
                node = yaml.MappingNode(
                    node.tag, [p for p in node.value if p[0].value == "include"]
                )
            fields = self.check.mapping(node, "section", _INCLUDE)
            if fields is not None and "include" in fields:
                # (an included routine keeps its own countdown and ready time)
                yield from self._include(fields["include"][1], chain, language)
            return
        fields = self.check.mapping(node, named("section", node), _SECTION)
        if fields is None:
            return
        name = self.text(fields, "name", "section", _SECTION)
        if "exercises" not in fields:
            return
        what = f'section "{name}"'
        exercises = tuple(
            exercise
            for item in self.check.sequence(fields["exercises"][1], f"{what}: 'exercises'")
            if (exercise := self._exercise(item, defaults)) is not None
        )
        yield Section(name=name, exercises=exercises, repeat=self._repeat(fields, what, _SECTION))

    def _include(
        self, node: yaml.Node, chain: tuple[Path, ...], language: str
    ) -> Iterator[Section]:
        ref = self.check.scalar(node)
        if not ref or node.tag != "tag:yaml.org,2002:str":
            self.check.problem(node, "'include' must name a routine, like smr-legs")
            return
        try:
            target = find_routine(ref, self.shelf, relative_to=self.path.parent)
        except RoutineError as err:
            self.check.problem(node, f"'include': {err.problems[0].message}")
            return
        resolved = (*chain, self.path.resolve())
        if target.resolve() in resolved:
            self.check.problem(node, f"'include: {ref}' includes itself in a loop; remove it")
            return
        if len(resolved) >= MAX_INCLUDE_DEPTH:
            self.check.problem(node, f"includes nest deeper than {MAX_INCLUDE_DEPTH}; flatten them")
            return
        try:
            included = _Reader(target, self.default_language, self.shelf).load(chain=resolved)
        except RoutineError as err:
            for problem in err.problems:
                if problem.line:
                    self.check.problems.append(problem)
                else:  # about the file as a whole: said where it is included
                    self.check.problem(node, f"'include: {ref}': {problem.message}")
            return
        if primary(included.language) != primary(language):
            self.check.problem(
                node,
                f"'include: {ref}' is in {included.language}, this routine in {language}; "
                "include routines of the same language",
            )
            return
        self.included.extend(included.files)
        yield from included.sections

    def _exercise(self, node: yaml.Node, defaults: _Defaults) -> Exercise | None:
        fields = self.check.mapping(node, named("exercise", node), _EXERCISE)
        if fields is None:
            return None
        name = self.text(fields, "name", "exercise", _EXERCISE)
        what = f'exercise "{name}"'
        setup = self.text(fields, "setup", what, _EXERCISE)
        switch = self.text(fields, "switch", what, _EXERCISE)
        sides = self._sides(fields, what)
        if switch and len(sides) == 1:
            self.check.problem(fields["switch"][0], f"{what}: 'switch' needs two sides; remove it")
        transition_s = self.duration(fields, "transition", what, _EXERCISE)
        switch_s = self.duration(fields, "switch-time", what, _EXERCISE)
        if switch_s is not None and len(sides) == 1:
            self.check.problem(
                fields["switch-time"][0], f"{what}: 'switch-time' needs two sides; remove it"
            )
        countdown = self.whole(fields, "countdown", what, _EXERCISE)
        count_in = self.whole(fields, "count-in", what, _EXERCISE)
        repeat = self._repeat(fields, what, _EXERCISE)
        if "steps" in fields:
            steps = tuple(
                step
                for item in self.check.sequence(fields["steps"][1], f"{what}: 'steps'")
                if (step := self._step(item, what, defaults)) is not None
            )
        elif any(key in fields for key in HOLD_KEYS):
            step = self._hold(fields, name, setup, what, defaults, _EXERCISE)
            steps = (step,) if step else ()
        else:
            steps = ()
        if not steps:
            return None
        return Exercise(
            name=name,
            setup=setup,
            sides=sides,
            steps=steps,
            transition_s=defaults.transition_s if transition_s is None else transition_s,
            switch=switch,
            repeat=repeat,
            switch_s=defaults.switch_s if switch_s is None else switch_s,
            countdown=defaults.countdown if countdown is None else countdown,
            count_in=defaults.count_in if count_in is None else count_in,
        )

    def _sides(self, fields: Fields, what: str) -> tuple[Side, ...]:
        if "sides" not in fields:
            return ()
        node = fields["sides"][1]
        hint = f"use '{BOTH}', or a list like [{', '.join(SIDES)}]"
        if isinstance(node, yaml.ScalarNode):
            if node.value == BOTH:
                return (Side.LEFT, Side.RIGHT)
            self.check.problem(node, f"{what}: 'sides' must be '{BOTH}' or a list of sides; {hint}")
            return ()
        sides: list[Side] = []
        for item in self.check.sequence(node, f"{what}: 'sides'"):
            value = self.check.scalar(item)
            if value not in SIDES:
                self.check.problem(item, f"{what}: unknown side {value!r}; {hint}")
            elif Side(value) in sides:
                self.check.problem(item, f"{what}: side {value!r} is listed twice; {hint}")
            else:
                sides.append(Side(value))
        return tuple(sides)

    def _step(self, node: yaml.Node, exercise_what: str, defaults: _Defaults) -> Step | None:
        fields = self.check.mapping(node, f"{exercise_what}: {named('step', node)}", _STEP)
        if fields is None:
            return None
        name = self.text(fields, "name", f"{exercise_what}: step", _STEP)
        what = f'{exercise_what}: step "{name}"'
        setup = self.text(fields, "setup", what, _STEP)
        if not any(key in fields for key in HOLD_KEYS):
            return None
        step = self._hold(fields, name, setup, what, defaults, _STEP)
        repeat = self._repeat(fields, what, _STEP)
        return None if step is None else dataclasses.replace(step, repeat=repeat)

    def _hold(
        self,
        fields: Fields,
        name: str,
        setup: str,
        what: str,
        defaults: _Defaults,
        shape: Shape,
    ) -> Step | None:
        """A timed hold, counted reps, or a hold until the person is ready."""
        if "reps" in fields:
            return self._reps(fields, name, setup, what, shape)
        if "hold" not in fields:
            return None
        until_ready = self.check.scalar(fields["hold"][1]) == UNTIL_READY
        hold_s = defaults.ready_s if until_ready else self.duration(fields, "hold", what, shape)
        cues: list[Cue] = []
        if "cues" in fields:
            for item in self.check.sequence(fields["cues"][1], f"{what}: 'cues'"):
                cue = self._cue(item, what, hold_s)
                if cue is not None:
                    cues.append(cue)
        if hold_s is None:
            return None
        return Step(
            name=name, setup=setup, hold_s=hold_s, cues=tuple(cues), until_ready=until_ready
        )

    def _reps(self, fields: Fields, name: str, setup: str, what: str, shape: Shape) -> Step | None:
        reps = self.whole(fields, "reps", what, shape)
        tempo_s = self.duration(fields, "tempo", what, shape)
        count: bool | None = True
        if "count" in fields:
            count = self.check.flag(
                fields["count"][1], f"{what}: 'count'", meaning="true says the numbers, false ticks"
            )
        if reps is None or tempo_s is None or count is None:
            return None
        if reps * tempo_s > MAX_DURATION_S:
            self.check.problem(
                fields["reps"][1],
                f"{what}: {reps} reps of {format_duration(tempo_s)} last "
                f"{format_duration(reps * tempo_s)}; the longest a hold may be is "
                f"{format_duration(MAX_DURATION_S)}: split it into steps",
            )
            return None
        return Step(
            name=name,
            setup=setup,
            hold_s=reps * tempo_s,
            cues=(),
            reps=reps,
            tempo_s=tempo_s,
            count=count,
        )

    def _repeat(self, fields: Fields, what: str, shape: Shape) -> Repeat:
        rounds = self.whole(fields, "repeat", what, shape) or 1
        rest_s = self.duration(fields, "rest", what, shape) or 0.0
        return Repeat(rounds, rest_s) if rounds > 1 or rest_s else ONCE

    def _cue(self, node: yaml.Node, what: str, hold_s: float | None) -> Cue | None:
        if isinstance(node, yaml.ScalarNode):
            return Cue(say=self.check.text(node, f"{what}: cue"))
        fields = self.check.mapping(node, f"{what}: cue", _CUE)
        if fields is None or "say" not in fields:
            return None
        say = self.check.text(fields["say"][1], f"{what}: cue: 'say'")
        at_s = None
        if "at" in fields:
            at_node = fields["at"][1]
            at_s = self.check.duration(at_node, f"{what}: cue 'at'", Duration(positive=False))
            if at_s is not None and hold_s is not None and at_s >= hold_s:
                self.check.problem(
                    at_node,
                    f"{what}: cue 'at' {format_duration(at_s)} is not inside the "
                    f"{format_duration(hold_s)} hold; make it earlier",
                )
        return Cue(say=say, at_s=at_s)
