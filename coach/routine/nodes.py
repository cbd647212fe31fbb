"""Load, the generic half: YAML nodes checked against the grammar's types, every problem kept."""

from __future__ import annotations

import difflib
import math
import re

import yaml

from coach.durations import MAX_DURATION_S, format_duration, parse_duration
from coach.errors import Problem
from coach.language.table import TABLE, is_supported
from coach.routine.grammar import (
    CONTROL_CHARS,
    FLAG_WORDS,
    SPOKEN,
    Duration,
    Shape,
    Text,
    Whole,
)

_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(f"[{CONTROL_CHARS}]")
_STD_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"

Fields = dict[str, tuple[yaml.Node, yaml.Node]]
"""A mapping's keys, each with its key node and value node (for line numbers)."""


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def named(kind: str, node: yaml.Node) -> str:
    """``exercise "Pigeon"`` when the mapping has a usable name, else just ``exercise``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "name" and isinstance(value, yaml.ScalarNode) and value.value:
                return f'{kind} "{value.value}"'
    return kind


def whole_number(raw: str) -> int | None:
    """A YAML integer as a person means it: ``010`` is ten (as YAML 1.2 reads it), ``0x1f`` hex."""
    text = raw.replace("_", "").strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    try:
        if text[:2].lower() in ("0x", "0o", "0b"):
            return sign * int(text, 0)
        return sign * int(text, 10)
    except ValueError:
        return None


def yaml_number(raw: str, tag: str) -> float | int | None:
    """The number a YAML int or float scalar means (``1.0e+12``, ``.inf``, ``1:30``)."""
    if tag == _INT:
        whole = whole_number(raw)
        if whole is not None:
            return whole
    try:
        value = yaml.safe_load(raw)  # YAML's own reading: sexagesimal 1:30, .inf, 1.0e+12
    except yaml.YAMLError:
        return None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


class Checker:
    """Checks nodes of one file against the grammar, collecting problems instead of stopping."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node | int, message: str) -> None:
        line = node if isinstance(node, int) else line_of(node)
        self.problems.append(Problem(self.path, line, message))

    def tags_ok(self, node: yaml.Node) -> bool:
        if node.tag not in _STD_TAGS:
            self.problem(node, f"YAML tag {node.tag} is not allowed; remove it")
            return False
        return True

    def mapping(self, node: yaml.Node, what: str, shape: Shape) -> Fields | None:
        """The keys of a mapping of this shape, with its rules checked (which keys go together)."""
        allowed = shape.names
        if not self.tags_ok(node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of keys like {', '.join(allowed)}")
            return None
        out: Fields = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in out:
                self.problem(key_node, f"{what}: '{key}' is given twice; keep one")
            elif key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
                self.problem(key_node, f"{what}: unknown key '{key}'; {hint}")
            elif self.tags_ok(value_node):
                out[key] = (key_node, value_node)
        for key in shape.required:
            if key not in out:
                self.problem(node, f"{what}: '{key}' is missing; add it")
        if shape.one_of and not any(key in out for key in shape.one_of):
            self.problem(node, f"{what}: '{shape.one_of[0]}' is missing; add it")
        for rule in shape.excludes:
            if rule.key in out and rule.other in out:
                self.problem(out[rule.key][0], f"{what}: {rule.fix}")
        for need in shape.needs:
            if need.key in out and need.other not in out:
                self.problem(out[need.key][0], f"{what}: {need.fix}")
        return out

    def scalar(self, node: yaml.Node) -> str | None:
        return str(node.value) if isinstance(node, yaml.ScalarNode) else None

    def text(self, node: yaml.Node, what: str, spec: Text = SPOKEN) -> str:
        """Words as spoken: runs of white space become one space."""
        raw = self.scalar(node)
        if raw is None or node.tag != _STR:
            self.problem(node, f"{what} must be text")
            return ""
        value = " ".join(raw.split())
        if not value and spec.spoken:
            self.problem(node, f"{what} is empty; write what to say")
        elif len(raw) > spec.limit:
            self.problem(node, f"{what} is {len(raw)} characters; keep it under {spec.limit}")
        elif spec.spoken and _MARKUP.search(value):
            self.problem(node, f"{what} contains < or >; markup (SSML) is not spoken, remove it")
        elif control := _CONTROL.search(value):
            self.problem(
                node, f"{what} contains a control character (U+{ord(control[0]):04X}); remove it"
            )
        return value

    def duration(self, node: yaml.Node, what: str, spec: Duration) -> float | None:
        raw = self.scalar(node)
        value: float | None = None
        if raw is not None and node.tag == _STR:
            value = parse_duration(raw)
        elif raw is not None and node.tag in (_INT, _FLOAT):
            number = yaml_number(raw, node.tag)
            value = None if number is None else parse_duration(number)
        if value is None:
            shown = raw if raw is not None else "a list or mapping"
            self.problem(node, f'{what} must be a duration like 90s, 2m or 1m30s, got "{shown}"')
            return None
        if spec.positive and value <= 0:
            self.problem(node, f"{what} must be more than 0, like 30s")
            return None
        if value > MAX_DURATION_S:
            self.problem(
                node,
                f"{what} is {format_duration(value)}; the longest a duration may be is "
                f"{format_duration(MAX_DURATION_S)}: split it into steps",
            )
            return None
        return value

    def whole(self, node: yaml.Node, what: str, spec: Whole) -> int | None:
        """A whole number within the spec's bounds, or None (with a problem)."""
        low, high = spec.low, spec.high
        raw = self.scalar(node)
        value: int | None = None
        if raw is not None and node.tag in (_INT, _FLOAT):
            number = yaml_number(raw, node.tag)  # 10.0 is ten, as JSON Schema reads it
            if number is not None and math.isfinite(number) and float(number).is_integer():
                value = int(number)
        if value is None:
            self.problem(node, f"{what} must be a whole number from {low} to {high}, got {raw!r}")
            return None
        if not low <= value <= high:
            self.problem(node, f"{what} must be a whole number from {low} to {high}, got {raw}")
            return None
        return value

    def flag(self, node: yaml.Node, what: str, *, meaning: str) -> bool | None:
        raw = self.scalar(node)
        if raw is None or node.tag not in (_BOOL, _STR) or raw not in FLAG_WORDS:
            self.problem(node, f"{what} must be true or false: {meaning}")
            return None
        return FLAG_WORDS[raw]

    def language(self, node: yaml.Node, what: str) -> str | None:
        tag = self.scalar(node)
        if tag is None or node.tag != _STR or not is_supported(tag):
            shown = tag if tag is not None else "a list or mapping"
            self.problem(
                node,
                f"{what} {shown!r} is not one coach speaks; use one of "
                f"{', '.join(sorted(TABLE))} (a region may follow, like pt-BR)",
            )
            return None
        return tag

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what} must be a list (lines starting with '- ')")
            return []
        if not node.value:
            self.problem(node, f"{what} is empty; add at least one")
        return [n for n in node.value if self.tags_ok(n)]
