"""The grammar is the one source: the shipped schema is what it generates, and the schema and
the reader give the same verdict on every single-field rule."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from coach.errors import RoutineError
from coach.resources import schema_path
from coach.routine.grammar import SHAPES, Duration, Flag, Language, Sides, Text, Things, Whole
from coach.routine.reader import load_routine
from coach.routine.schema import at_most, routine_schema, schema_text

TEXTS = ["Sit.", "''", "'   '", "'<b>x</b>'", "123", "[a]", "{a: 1}", "null", "yes", "'a  b'"]
TEXTS += ["x" * 400, "x" * 401, "'" + "x " * 200 + "'"]
DURATIONS = ["0", "30", "30s", "'30s'", "1m30s", "1 minute", "1h", "2h", "61m", "60m", "3600"]
DURATIONS += ["3601", "-5", "1e3", "1.0e+3", ".inf", "abc", "''", "[1]", "true", "1:30", "0s"]
DURATIONS += ["00", "0.0", "0.5h", "59m", "3599.5s", "3600.5", "until-ready", "null", "45 seconds"]
WHOLES = ["0", "1", "2", "10", "100", "101", "200", "201", "010", "017", "0x10", "1.0", "2.5"]
WHOLES += ["-1", "'3'", "true", "null", "1_0", "0b11", "0o17", "1:30", ".inf", "[1]"]
FLAGS = ["true", "false", "yes", "Yes", "YES", "no", "on", "ON", "off", "Off", "maybe", "1"]
FLAGS += ["0", "'true'", "null", "[true]"]
LANGUAGES = ["en", "EN", "de-AT", "pt-BR", "sv", "english", "'en'", "1", "e", "de-", "null"]
SIDES = ["both", "[left, right]", "[left]", "[right, left]", "[left, left]", "[]", "up", "[up]"]
SIDES += ["left", "null"]
EQUIPMENT = ["a ball", "[a ball, a wall]", "[]", "['']", "[[a]]", "''", "null"]


def values_for(spec: object) -> list[str]:
    match spec:
        case Text():
            return TEXTS
        case Duration():
            return DURATIONS
        case Whole():
            return WHOLES
        case Flag():
            return FLAGS
        case Language():
            return LANGUAGES
        case Sides():
            return SIDES
        case Things():
            return EQUIPMENT
    return []


def document(shape: str, key: str, value: str) -> str:
    """The smallest routine that is valid but for ``key: value`` in a mapping of ``shape``."""
    field = f"{key}: {value}"
    exercise = {"name": "E", "hold": "30s"}
    if shape == "exercise" and key in ("reps", "tempo", "count"):
        exercise = {"name": "E", "reps": "1", "tempo": "3s"}  # 1 rep: the hold is the tempo
    if shape == "exercise":
        if key in ("switch", "switch-time"):
            exercise["sides"] = "both"
        if key in ("rest",):
            exercise["repeat"] = "2"
        exercise[key] = value
        if key == "hold":
            exercise.pop("hold")
            exercise["hold"] = value
    body = "\n".join(f"        {k}: {v}" for k, v in exercise.items())
    step = {"name": "A", "hold": "10s"}
    if shape == "step":
        if key in ("reps", "tempo", "count"):
            step = {"name": "A", "reps": "1", "tempo": "3s"}
        if key == "rest":
            step["repeat"] = "2"
        step[key] = value
        steps = "\n".join(
            ("          - " if i == 0 else "            ") + f"{k}: {v}"
            for i, (k, v) in enumerate(step.items())
        )
        body = f"        name: E\n        steps:\n{steps}"
    if shape == "cue":
        cue = {"say": "Roll.", key: value}
        lines = "\n".join(
            ("          - " if i == 0 else "            ") + f"{k}: {v}"
            for i, (k, v) in enumerate(cue.items())
        )
        body = f"        name: E\n        hold: 1h\n        cues:\n{lines}"
    section = ""
    if shape == "section":
        section = f"    {field}\n" + ("    repeat: 2\n" if key == "rest" else "")
    top = f"{field}\n" if shape == "routine" else ""
    title = "" if shape == "routine" and key == "title" else "title: T\n"
    head = f"{title}{top}sections:\n  - name: S\n{section}    exercises:\n"
    first = body.split("\n")
    return head + "      - " + first[0].lstrip() + "\n" + "\n".join(first[1:]) + "\n"


CASES = [
    (shape.name, key.name, value)
    for shape in SHAPES.values()
    for key in shape.keys
    for value in values_for(key.type)
    if not (shape.name == "section" and key.name == "name")
    # a cue at the hold's very end is outside it: a rule between two fields (cue and hold)
    and not (shape.name == "cue" and value in ("1h", "60m", "3600"))
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_path().read_text()))


def test_the_shipped_schema_is_the_one_the_grammar_generates() -> None:
    """`make schema` writes it; this fails when the grammar changed and it was not run."""
    assert schema_path().read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(routine_schema())


@pytest.mark.parametrize(("shape", "key", "value"), CASES)
def test_schema_and_check_agree_on_each_field(
    shape: str, key: str, value: str, tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    text = document(shape, key, value)
    path = tmp_path / "r.yaml"
    path.write_text(text)
    try:
        load_routine(path)
        read = True
    except RoutineError:
        read = False
    assert validator.is_valid(yaml.safe_load(text)) is read, text


def test_the_documents_are_valid_but_for_the_field() -> None:
    """The agreement above can fail: each template is a valid routine with a good value."""
    for shape, key in {(s, k) for s, k, _ in CASES}:
        good = {"sides": "both", "equipment": "a ball", "language": "de", "count": "false"}
        value = good.get(key, "2" if key in ("repeat", "reps", "countdown", "count-in") else "Sit.")
        if key in ("hold", "tempo", "rest", "transition", "ready", "at", "switch-time"):
            value = "5s"
        text = document(shape, key, value)
        assert jsonschema.Draft202012Validator(routine_schema()).is_valid(yaml.safe_load(text)), (
            text
        )


def test_at_most_is_exact() -> None:
    import re

    for n in (1, 10, 60, 100, 3600):
        pattern = re.compile(f"^{at_most(n)}$")
        assert [i for i in range(n + 3) if pattern.match(str(i))] == list(range(n + 1))
        assert pattern.match(f"{n}.0")
        assert not pattern.match(f"{n}.5")
        assert pattern.match(f"{n - 1}.99")
