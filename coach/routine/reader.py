"""Load: read a routine file (YAML) into a ``Routine``, reporting every problem at once."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from coach.durations import format_duration, parse_duration
from coach.errors import Problem, RoutineError
from coach.language.phrases import DEFAULT_LANGUAGE, TABLE, is_supported, primary
from coach.resources import routine_names
from coach.routine.model import ONCE, Cue, Exercise, Repeat, Routine, Section, Side, Step
from coach.routine.source import SourceError, read_yaml

MAX_TEXT_CHARS = 400
MAX_DESCRIPTION_CHARS = 2000
MAX_INCLUDE_DEPTH = 8
MAX_DURATION_S = 3600.0
"""The longest any one duration in a routine may be (a hold, a transition, a cue's time)."""
DEFAULT_TRANSITION_S = 15.0


# --- where routines come from ---------------------------------------------------------


def find_routine(ref: str, *, relative_to: Path | None = None) -> Path:
    """Turn a routine's name or a path into a file path.

    A name is looked up beside the including file (for ``include``), then in the
    user's routines folder, then among the bundled routines.

    Raises:
        RoutineError: nothing by that name or path.
    """
    as_path = Path(ref)
    if relative_to is not None and not as_path.is_absolute():
        beside = relative_to / as_path
        for candidate in (beside, beside.with_suffix(".yaml")):
            if candidate.is_file():
                return candidate
    # a name with a path's shape, or anything there but a folder, is a path: the reader judges it
    if (
        as_path.suffix in (".yaml", ".yml")
        or "/" in ref
        or (as_path.exists() and not as_path.is_dir())
    ):
        if as_path.exists() or as_path.is_symlink():
            return as_path
        raise RoutineError([Problem(ref, 0, "no such file; give a routine file or a bundled name")])
    known = routine_names()
    if ref in known:
        return known[ref]
    close = difflib.get_close_matches(ref, list(known), n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    names = ", ".join(sorted(known)) or "none"
    raise RoutineError(
        [
            Problem(
                ref,
                0,
                f"no such routine; {hint}routines: {names} "
                "(`coach list` shows them; or give a file path)",
            )
        ]
    )


_default_language = DEFAULT_LANGUAGE


def set_default_language(tag: str) -> None:
    """The language of a routine that does not say (the config's ``language``)."""
    global _default_language
    _default_language = tag


def load_routine(ref: str | Path) -> Routine:
    """Load a routine by bundled name or path, following its includes.

    Raises:
        RoutineError: with every problem found, each as ``file:line: what, how to fix``.
    """
    path = ref if isinstance(ref, Path) else find_routine(ref)
    return _Loader().load(path, chain=())


# --- the loader -------------------------------------------------------------------------

_MARKUP = re.compile(r"[<>]")
_STD_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}

TOP_KEYS = (
    "title",
    "description",
    "language",
    "equipment",
    "transition",
    "countdown",
    "ready",
    "sections",
)
SECTION_KEYS = ("name", "exercises", "include", "repeat", "rest")
HOLD_KEYS = ("hold", "reps", "tempo", "count", "cues")
EXERCISE_KEYS = (
    "name",
    "setup",
    "sides",
    *HOLD_KEYS,
    "steps",
    "transition",
    "switch",
    "repeat",
    "rest",
    "countdown",
)
STEP_KEYS = ("name", "setup", *HOLD_KEYS, "repeat", "rest")
MAX_ROUNDS = 100
MAX_REPS = 200
MAX_COUNTDOWN = 10
DEFAULT_READY_S = 10.0
UNTIL_READY = "until-ready"
CUE_KEYS = ("say", "at")


@dataclass(frozen=True, slots=True)
class _Defaults:
    """What a routine sets for all its exercises, unless one says otherwise."""

    transition_s: float
    countdown: int
    ready_s: float


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _named(kind: str, node: yaml.Node) -> str:
    """``exercise "Pigeon"`` when the mapping has a usable name, else just ``exercise``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "name" and isinstance(value, yaml.ScalarNode) and value.value:
                return f'{kind} "{value.value}"'
    return kind


class _Loader:
    """Validates a composed YAML node tree, collecting problems instead of stopping at one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.path = ""
        self.included: list[Path] = []

    def problem(self, node: yaml.Node | int, message: str) -> None:
        line = node if isinstance(node, int) else _line(node)
        self.problems.append(Problem(self.path, line, message))

    # -- files --

    def load(self, path: Path, chain: tuple[Path, ...]) -> Routine:
        self.path = str(path)
        root = self._read(path)
        routine = self._routine(root, path, chain) if root is not None else None
        if self.problems or routine is None:
            raise RoutineError(self.problems)
        return routine

    def _read(self, path: Path) -> yaml.Node | None:
        try:
            return read_yaml(path)
        except SourceError as err:
            for problem in err.problems:
                self.problem(problem.line, problem.message)
            return None

    # -- generic node checks --

    def _check_tags(self, node: yaml.Node) -> bool:
        if node.tag not in _STD_TAGS:
            self.problem(node, f"YAML tag {node.tag} is not allowed; remove it")
            return False
        return True

    def mapping(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not self._check_tags(node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of keys like {', '.join(allowed)}")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in out:
                self.problem(key_node, f"{what}: '{key}' is given twice; keep one")
            elif key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
                self.problem(key_node, f"{what}: unknown key '{key}'; {hint}")
            elif self._check_tags(value_node):
                out[key] = (key_node, value_node)
        return out

    def scalar(self, node: yaml.Node) -> str | None:
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        return None

    def text(
        self,
        fields: dict[str, tuple[yaml.Node, yaml.Node]],
        key: str,
        what: str,
        *,
        required: bool,
        limit: int = MAX_TEXT_CHARS,
    ) -> str:
        if key not in fields:
            return ""
        return self.text_node(fields[key][1], f"{what}: '{key}'", required=required, limit=limit)

    def text_node(
        self, node: yaml.Node, what: str, *, required: bool, limit: int = MAX_TEXT_CHARS
    ) -> str:
        raw = self.scalar(node)
        if raw is None or node.tag != "tag:yaml.org,2002:str":
            self.problem(node, f"{what} must be text")
            return ""
        value = " ".join(raw.split())
        if not value and required:
            self.problem(node, f"{what} is empty; write what to say")
        elif len(value) > limit:
            self.problem(node, f"{what} is {len(value)} characters; keep it under {limit}")
        elif _MARKUP.search(value):
            self.problem(node, f"{what} contains < or >; markup (SSML) is not spoken, remove it")
        return value

    def duration(self, node: yaml.Node, what: str, *, positive: bool) -> float | None:
        raw = self.scalar(node)
        value: float | None = None
        if raw is not None and node.tag in (
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:str",
        ):
            value = parse_duration(raw)
        if value is None or (positive and value <= 0):
            shown = raw if raw is not None else "a list or mapping"
            self.problem(node, f'{what} must be a duration like 90s, 2m or 1m30s, got "{shown}"')
            return None
        if value > MAX_DURATION_S:
            self.problem(
                node,
                f"{what} is {format_duration(value)}; the longest a duration may be is "
                f"{format_duration(MAX_DURATION_S)}: split it into steps",
            )
            return None
        return value

    def required(
        self, fields: dict[str, tuple[yaml.Node, yaml.Node]], key: str, node: yaml.Node, what: str
    ) -> bool:
        if key in fields:
            return True
        self.problem(node, f"{what}: '{key}' is missing; add it")
        return False

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what} must be a list (lines starting with '- ')")
            return []
        if not node.value:
            self.problem(node, f"{what} is empty; add at least one")
        return [n for n in node.value if self._check_tags(n)]

    # -- the routine --

    def _routine(self, root: yaml.Node, path: Path, chain: tuple[Path, ...]) -> Routine | None:
        fields = self.mapping(root, "routine", TOP_KEYS)
        if fields is None:
            return None
        self.required(fields, "title", root, "routine")
        self.required(fields, "sections", root, "routine")
        title = self.text(fields, "title", "routine", required=True)
        description = self.text(
            fields, "description", "routine", required=False, limit=MAX_DESCRIPTION_CHARS
        )
        equipment = self._equipment(fields)
        language = self._language(fields)
        transition_s = DEFAULT_TRANSITION_S
        if "transition" in fields:
            given = self.duration(fields["transition"][1], "'transition'", positive=False)
            transition_s = DEFAULT_TRANSITION_S if given is None else given
        countdown = self._countdown(fields, "routine", 0)
        ready_s = DEFAULT_READY_S
        if "ready" in fields:
            ready_s = self.duration(fields["ready"][1], "'ready'", positive=True) or ready_s
        defaults = _Defaults(transition_s, countdown, ready_s)
        sections: list[Section] = []
        if "sections" in fields:
            for node in self.sequence(fields["sections"][1], "'sections'"):
                sections.extend(self._section(node, path, chain, defaults, language))
        return Routine(
            name=path.stem,
            title=title,
            description=description,
            equipment=equipment,
            sections=tuple(sections),
            language=language,
            files=(path, *self.included),
        )

    def _language(self, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> str:
        if "language" not in fields:
            return _default_language
        node = fields["language"][1]
        tag = self.scalar(node)
        if tag is None or node.tag != "tag:yaml.org,2002:str" or not is_supported(tag):
            shown = tag if tag is not None else "a list or mapping"
            self.problem(
                node,
                f"'language' {shown!r} is not one coach speaks; use one of "
                f"{', '.join(sorted(TABLE))} (a region may follow, like pt-BR)",
            )
            return DEFAULT_LANGUAGE
        return tag

    def _equipment(self, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> tuple[str, ...]:
        if "equipment" not in fields:
            return ()
        node = fields["equipment"][1]
        if isinstance(node, yaml.ScalarNode):
            return (self.text_node(node, "'equipment'", required=True),)
        items = self.sequence(node, "'equipment'")
        return tuple(self.text_node(n, "'equipment' item", required=True) for n in items)

    def _section(
        self,
        node: yaml.Node,
        path: Path,
        chain: tuple[Path, ...],
        defaults: _Defaults,
        language: str,
    ) -> Iterator[Section]:
        fields = self.mapping(node, _named("section", node), SECTION_KEYS)
        if fields is None:
            return
        if "include" in fields:
            if len(fields) > 1:
                self.problem(node, "a section with 'include' takes no other keys; move them")
            # (an included routine keeps its own countdown and ready time)
            yield from self._include(fields["include"][1], path, chain, language)
            return
        self.required(fields, "name", node, "section")
        name = self.text(fields, "name", "section", required=True)
        if not self.required(fields, "exercises", node, f'section "{name}"'):
            return
        exercises = tuple(
            exercise
            for item in self.sequence(fields["exercises"][1], f"section \"{name}\": 'exercises'")
            if (exercise := self._exercise(item, defaults)) is not None
        )
        repeat = self._repeat(fields, f'section "{name}"')
        yield Section(name=name, exercises=exercises, repeat=repeat)

    def _include(
        self, node: yaml.Node, path: Path, chain: tuple[Path, ...], language: str
    ) -> Iterator[Section]:
        ref = self.scalar(node)
        if not ref:
            self.problem(node, "'include' must name a routine, like smr-legs")
            return
        try:
            target = find_routine(ref, relative_to=path.parent)
        except RoutineError as err:
            self.problem(node, f"'include': {err.problems[0].message}")
            return
        resolved = (*chain, path.resolve())
        if target.resolve() in resolved:
            self.problem(node, f"'include: {ref}' includes itself in a loop; remove it")
            return
        if len(resolved) >= MAX_INCLUDE_DEPTH:
            self.problem(node, f"includes nest deeper than {MAX_INCLUDE_DEPTH}; flatten them")
            return
        inner = _Loader()
        try:
            included = inner.load(target, chain=resolved)
        except RoutineError as err:
            for problem in err.problems:
                if problem.line:
                    self.problems.append(problem)
                else:  # about the file as a whole: said where it is included
                    self.problem(node, f"'include: {ref}': {problem.message}")
            return
        if primary(included.language) != primary(language):
            self.problem(
                node,
                f"'include: {ref}' is in {included.language}, this routine in {language}; "
                "include routines of the same language",
            )
            return
        self.included.extend(included.files)
        yield from included.sections

    def _exercise(self, node: yaml.Node, defaults: _Defaults) -> Exercise | None:
        fields = self.mapping(node, _named("exercise", node), EXERCISE_KEYS)
        if fields is None:
            return None
        self.required(fields, "name", node, "exercise")
        name = self.text(fields, "name", "exercise", required=True)
        what = f'exercise "{name}"'
        setup = self.text(fields, "setup", what, required=True)
        switch = self.text(fields, "switch", what, required=True)
        sides = self._sides(fields, what)
        if switch and len(sides) < 2:
            self.problem(fields["switch"][0], f"{what}: 'switch' needs two sides; remove it")
        transition_s = defaults.transition_s
        if "transition" in fields:
            given = self.duration(fields["transition"][1], f"{what}: 'transition'", positive=False)
            transition_s = transition_s if given is None else given
        countdown = self._countdown(fields, what, defaults.countdown)
        repeat = self._repeat(fields, what)
        if "steps" in fields:
            for key in HOLD_KEYS:
                if key in fields:
                    self.problem(
                        fields[key][0],
                        f"{what}: '{key}' goes inside each step when there are 'steps'; move it",
                    )
            steps = tuple(
                step
                for item in self.sequence(fields["steps"][1], f"{what}: 'steps'")
                if (step := self._step(item, what, defaults)) is not None
            )
        else:
            if not setup:
                self.required(fields, "setup", node, what)
            step = self._hold(fields, node, name, setup, what, defaults)
            steps = (step,) if step else ()
        if not steps:
            return None
        return Exercise(
            name=name,
            setup=setup,
            sides=sides,
            steps=steps,
            transition_s=transition_s,
            switch=switch,
            repeat=repeat,
            countdown=countdown,
        )

    def _sides(self, fields: dict[str, tuple[yaml.Node, yaml.Node]], what: str) -> tuple[Side, ...]:
        if "sides" not in fields:
            return ()
        node = fields["sides"][1]
        hint = "use 'both', or a list like [left, right]"
        if isinstance(node, yaml.ScalarNode):
            if node.value == "both":
                return (Side.LEFT, Side.RIGHT)
            self.problem(node, f"{what}: 'sides' must be 'both' or a list of sides; {hint}")
            return ()
        sides: list[Side] = []
        for item in self.sequence(node, f"{what}: 'sides'"):
            value = self.scalar(item)
            if value not in ("left", "right"):
                self.problem(item, f"{what}: unknown side {value!r}; {hint}")
            elif Side(value) in sides:
                self.problem(item, f"{what}: side {value!r} is listed twice; {hint}")
            else:
                sides.append(Side(value))
        return tuple(sides)

    def _step(self, node: yaml.Node, exercise_what: str, defaults: _Defaults) -> Step | None:
        fields = self.mapping(node, f"{exercise_what}: {_named('step', node)}", STEP_KEYS)
        if fields is None:
            return None
        self.required(fields, "name", node, f"{exercise_what}: step")
        name = self.text(fields, "name", f"{exercise_what}: step", required=True)
        what = f'{exercise_what}: step "{name}"'
        self.required(fields, "setup", node, what)
        setup = self.text(fields, "setup", what, required=True)
        step = self._hold(fields, node, name, setup, what, defaults)
        repeat = self._repeat(fields, what)
        return None if step is None else dataclasses.replace(step, repeat=repeat)

    def _hold(
        self,
        fields: dict[str, tuple[yaml.Node, yaml.Node]],
        node: yaml.Node,
        name: str,
        setup: str,
        what: str,
        defaults: _Defaults,
    ) -> Step | None:
        """A timed hold, counted reps, or a hold until the person is ready."""
        if "reps" in fields:
            return self._reps(fields, name, setup, what)
        for key in ("tempo", "count"):
            if key in fields:
                self.problem(
                    fields[key][0], f"{what}: '{key}' goes with 'reps'; add reps or remove it"
                )
        if not self.required(fields, "hold", node, what):
            return None
        hold_node = fields["hold"][1]
        until_ready = self.scalar(hold_node) == UNTIL_READY
        if until_ready:
            hold_s: float | None = defaults.ready_s
        else:
            hold_s = self.duration(hold_node, f"{what}: 'hold'", positive=True)
        cues: list[Cue] = []
        if "cues" in fields:
            for item in self.sequence(fields["cues"][1], f"{what}: 'cues'"):
                cue = self._cue(item, what, hold_s)
                if cue is not None:
                    cues.append(cue)
        if hold_s is None:
            return None
        return Step(
            name=name, setup=setup, hold_s=hold_s, cues=tuple(cues), until_ready=until_ready
        )

    def _reps(
        self, fields: dict[str, tuple[yaml.Node, yaml.Node]], name: str, setup: str, what: str
    ) -> Step | None:
        if "hold" in fields:
            self.problem(fields["hold"][0], f"{what}: give 'hold' or 'reps', not both")
        if "cues" in fields:
            self.problem(
                fields["cues"][0], f"{what}: 'cues' cannot go with 'reps': the counts fill the hold"
            )
        reps = self.integer(fields["reps"][1], f"{what}: 'reps'", 1, MAX_REPS)
        tempo_s = None
        if "tempo" not in fields:
            self.problem(
                fields["reps"][0], f"{what}: 'reps' needs a 'tempo', the time of one rep, like 4s"
            )
        else:
            tempo_s = self.duration(fields["tempo"][1], f"{what}: 'tempo'", positive=True)
        count = True
        if "count" in fields:
            node = fields["count"][1]
            if node.tag != "tag:yaml.org,2002:bool":
                self.problem(
                    node, f"{what}: 'count' must be true (say the numbers) or false (tick)"
                )
            else:
                count = self.scalar(node) in ("true", "True", "TRUE", "yes", "on")
        if reps is None or tempo_s is None:
            return None
        if reps * tempo_s > MAX_DURATION_S:
            self.problem(
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

    def _repeat(self, fields: dict[str, tuple[yaml.Node, yaml.Node]], what: str) -> Repeat:
        rounds = 1
        if "repeat" in fields:
            rounds = self.integer(fields["repeat"][1], f"{what}: 'repeat'", 1, MAX_ROUNDS) or 1
        rest_s = 0.0
        if "rest" in fields:
            if "repeat" not in fields:
                self.problem(
                    fields["rest"][0], f"{what}: 'rest' goes between rounds; add 'repeat: N'"
                )
            rest_s = self.duration(fields["rest"][1], f"{what}: 'rest'", positive=False) or 0.0
        return Repeat(rounds, rest_s) if rounds > 1 or rest_s else ONCE

    def _countdown(
        self, fields: dict[str, tuple[yaml.Node, yaml.Node]], what: str, default: int
    ) -> int:
        if "countdown" not in fields:
            return default
        given = self.integer(fields["countdown"][1], f"{what}: 'countdown'", 0, MAX_COUNTDOWN)
        return default if given is None else given

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None:
        """A whole number from ``low`` to ``high``, or None (with a problem)."""
        raw = self.scalar(node)
        if raw is None or node.tag != "tag:yaml.org,2002:int":
            self.problem(node, f"{what} must be a whole number from {low} to {high}, got {raw!r}")
            return None
        try:
            value = int(raw.replace("_", ""), 0)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            self.problem(node, f"{what} must be a whole number from {low} to {high}, got {raw}")
            return None
        return value

    def _cue(self, node: yaml.Node, what: str, hold_s: float | None) -> Cue | None:
        if isinstance(node, yaml.ScalarNode):
            return Cue(say=self.text_node(node, f"{what}: cue", required=True))
        fields = self.mapping(node, f"{what}: cue", CUE_KEYS)
        if fields is None:
            return None
        if not self.required(fields, "say", node, f"{what}: cue"):
            return None
        say = self.text(fields, "say", f"{what}: cue", required=True)
        at_s = None
        if "at" in fields:
            at_node = fields["at"][1]
            at_s = self.duration(at_node, f"{what}: cue 'at'", positive=False)
            if at_s is not None and hold_s is not None and at_s >= hold_s:
                self.problem(
                    at_node,
                    f"{what}: cue 'at' {format_duration(at_s)} is not inside the "
                    f"{format_duration(hold_s)} hold; make it earlier",
                )
        return Cue(say=say, at_s=at_s)
