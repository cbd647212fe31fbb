"""The JSON Schema for routine files, generated from the grammar (``make schema`` writes it).

Run ``python -m coach.routine.schema`` to print it; a test fails when the shipped
copy differs from what this generates.
"""

from __future__ import annotations

import json
from typing import Any

from coach.durations import MAX_DURATION_S, UNITS
from coach.language.table import TABLE
from coach.routine.grammar import (
    BOTH,
    CONTROL_CHARS,
    FLAG_WORDS,
    SHAPES,
    SIDES,
    Duration,
    Flag,
    Items,
    Key,
    Language,
    Shape,
    Sides,
    Text,
    Things,
    Type,
    Whole,
)

Json = dict[str, Any]


def _below(n: int) -> str:
    """A regex for the whole numbers 0 to n - 1, written without leading zeros."""
    top = str(n - 1)
    parts = [r"\d"] if len(top) > 1 else []
    parts += [rf"[1-9]\d{{{k - 1}}}" for k in range(2, len(top))]
    for i, digit in enumerate(top):
        low = 1 if i == 0 and len(top) > 1 else 0
        if int(digit) > low:
            rest = len(top) - i - 1
            parts.append(top[:i] + f"[{low}-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    parts.append(top)
    return "(?:" + "|".join(parts) + ")"


def at_most(n: int) -> str:
    """A regex for a decimal number from 0 to ``n``: ``3599.9`` and ``3600`` but not ``3600.5``."""
    return rf"0*(?:{_below(n)}(?:\.\d+)?|{n}(?:\.0+)?)"


def duration_pattern(max_s: float = MAX_DURATION_S) -> str:
    """The text forms of a duration the reader takes, each unit's number at most ``max_s``."""
    whole = round(max_s)
    bare = rf"^\s*{at_most(whole)}\s*$"
    parts = "".join(
        rf"\s*(?:{at_most(whole // seconds)}\s*{spelling})?" for _, seconds, spelling in UNITS
    )
    return rf"{bare}|^(?=\D*\d){parts}\s*$"


def _text(spec: Text) -> Json:
    out: Json = {"type": "string", "maxLength": spec.limit}
    plain = f"[^<>{CONTROL_CHARS}]"
    if spec.spoken:
        out["pattern"] = rf"^{plain}*[^<>\s{CONTROL_CHARS}]{plain}*$"
    else:
        out["pattern"] = rf"^[^{CONTROL_CHARS}]*$"
    return out


def _type(spec: Type) -> Json:
    match spec:
        case Text():
            return _text(spec)
        case Duration(positive=positive, word=word):
            number: Json = {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S}
            text: Json = {"type": "string", "pattern": duration_pattern()}
            if positive:
                number = {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DURATION_S}
                text["not"] = {"pattern": "^[^1-9]*$"}
            forms = [number, text, *([{"const": word}] if word else [])]
            return {"anyOf": forms}
        case Whole(low=low, high=high):
            return {"type": "integer", "minimum": low, "maximum": high}
        case Flag():
            return {"anyOf": [{"type": "boolean"}, {"enum": sorted(FLAG_WORDS)}]}
        case Language():
            letters = sorted("".join(f"[{c.upper()}{c}]" for c in language) for language in TABLE)
            return {
                "type": "string",
                "pattern": rf"^(?:{'|'.join(letters)})(?:-[A-Za-z0-9]{{1,8}})*$",
            }
        case Sides():
            listed: Json = {"type": "array", "minItems": 1, "uniqueItems": True}
            listed["items"] = {"enum": list(SIDES)}
            return {"anyOf": [{"const": BOTH}, listed]}
        case Things(item=item):
            return {"anyOf": [_text(item), {"type": "array", "minItems": 1, "items": _text(item)}]}
        case Items(shapes=shapes, text=text_too):
            refs: list[Json] = [{"$ref": f"#/$defs/{name}"} for name in shapes]
            if text_too:
                refs.insert(0, _text(Text()))
            items = refs[0] if len(refs) == 1 else {"oneOf": refs}
            return {"type": "array", "minItems": 1, "items": items}
    raise AssertionError(spec)  # pragma: no cover - every type is matched above


def _key(key: Key) -> Json:
    out = _type(key.type)
    if key.help or key.default:
        default = f" (default {key.default})" if key.default else ""
        out = {"description": key.help + default, **out}
    return out


def _shape(shape: Shape) -> Json:
    out: Json = {
        "type": "object",
        "additionalProperties": False,
        "properties": {key.name: _key(key) for key in shape.keys},
    }
    if shape.required:
        out["required"] = list(shape.required)
    rules: list[Json] = []
    if shape.one_of:
        rules.append({"anyOf": [{"required": [name]} for name in shape.one_of]})
    rules += [{"not": {"required": [rule.key, rule.other]}} for rule in shape.excludes]
    if rules:
        out["allOf"] = rules
    if shape.needs:
        needs: dict[str, list[str]] = {}
        for rule in shape.needs:
            needs.setdefault(rule.key, []).append(rule.other)
        out["dependentRequired"] = needs
    return out


def routine_schema() -> Json:
    """The schema of a routine file, as JSON Schema 2020-12."""
    top = _shape(SHAPES["routine"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coach.invalid/routine.schema.json",
        "title": "coach routine",
        "description": "A routine for coach: sections of exercises, each spoken and timed. "
        "Generated from coach's grammar; `coach check FILE` checks more "
        "(line numbers, includes, cue times, the session at pace 1).",
        **top,
        "$defs": {name: _shape(shape) for name, shape in SHAPES.items() if name != "routine"},
    }


def schema_text() -> str:
    return json.dumps(routine_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
