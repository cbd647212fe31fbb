"""Loading routines: durations, every bundled file, and every kind of bad input."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from coach.durations import format_duration, parse_duration
from coach.errors import RoutineError
from coach.resources import bundled_routines, schema_path
from coach.routine.model import Side
from coach.routine.reader import load_routine
from tests.conftest import WriteRoutine

HEADER = "title: T\nsections:\n  - name: S\n    exercises:\n"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("2m", 120.0),
        ("1m30s", 90.0),
        ("1m 30s", 90.0),
        ("1.5m", 90.0),
        ("45", 45.0),
        ("2min", 120.0),
        ("1 minute", 60.0),
        ("2 minutes 30 seconds", 150.0),
        ("45 sec", 45.0),
        ("1h", 3600.0),
        (75, 75.0),
        (0.5, 0.5),
        ("ninety", None),
        ("", None),
        ("-5s", None),
        ("5x", None),
        (True, None),
        ("inf", None),
        ("Infinity", None),
        ("1e309", None),
        ("nan", None),
        (float("inf"), None),
        (float("nan"), None),
        ("1e308h", None),
    ],
)
def test_parse_duration(text: str | float, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(90, "1m30s"), (120, "2m"), (45, "45s"), (0, "0s"), (3600, "1h"), (5410, "1h30m10s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("name", sorted(bundled_routines()))
def test_bundled_routines_load(name: str) -> None:
    routine = load_routine(name)
    assert routine.name == name
    assert routine.exercises
    for exercise in routine.exercises:
        assert exercise.steps
        assert all(step.hold_s > 0 and step.setup for step in exercise.steps)


def test_full_includes_legs_then_back() -> None:
    full = load_routine("smr-full")
    legs, back = load_routine("smr-legs"), load_routine("smr-back")
    assert full.sections == legs.sections + back.sections


def test_article_durations_are_kept() -> None:
    legs = {e.name: e for e in load_routine("smr-legs").exercises}
    hips = legs["Hips and glutes"]
    assert hips.sides == (Side.LEFT, Side.RIGHT)
    assert [s.hold_s for s in hips.steps] == [120.0]
    quads = legs["Quads, knee and IT band"]
    assert [(s.name, s.hold_s) for s in quads.steps] == [
        ("Quads", 60.0),
        ("Knee", 60.0),
        ("IT band", 60.0),
    ]
    lats = {e.name: e for e in load_routine("smr-back").exercises}["Lats"]
    assert [s.hold_s for s in lats.steps] == [120.0]


def test_every_article_move_is_covered() -> None:
    names = " ".join(
        f"{e.name} {s.name}".lower()
        for r in ("smr-legs", "smr-back")
        for e in load_routine(r).exercises
        for s in e.steps
    )
    for move in (
        "glutes",
        "quads",
        "knee",
        "it band",
        "hamstrings",
        "behind the knee",
        "calves",
        "lats",
        "teres minor",
        "rhomboids",
        "upper traps",
        "middle and lower traps",
    ):
        assert move in names, move


def test_cues_are_plain_english() -> None:
    """The article's machine paraphrase must not leak into what is spoken."""
    texts = []
    for name in bundled_routines():
        routine = load_routine(name)
        for exercise in routine.exercises:
            texts += [exercise.setup, exercise.switch]
            for step in exercise.steps:
                texts += [step.setup, *(c.say for c in step.cues)]
    spoken = " ".join(texts).lower()
    for garble in ("sphere", "butts", "launch", "round underneath", "warm place", "anterior delt"):
        assert garble not in spoken, garble


def test_schema_accepts_every_bundled_routine() -> None:
    schema = json.loads(schema_path().read_text())
    for path in bundled_routines().values():
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


@pytest.mark.parametrize(
    "document",
    [
        {"title": "T"},
        {"title": "T", "sections": [], "colour": "red"},
        {"title": "T", "sections": [{"name": "S", "exercises": [{"name": "E", "setup": "x"}]}]},
        {
            "title": "T",
            "sections": [
                {"name": "S", "exercises": [{"name": "E", "setup": "x", "hold": "ninety"}]}
            ],
        },
        {
            "title": "T",
            "sections": [{"name": "S", "exercises": [{"name": "Cal\x00ves", "hold": "20s"}]}],
        },
        {
            "title": "T\x1b[31m",
            "sections": [{"name": "S", "exercises": [{"name": "E", "hold": "20s"}]}],
        },
    ],
)
def test_schema_rejects_what_the_loader_rejects(
    document: dict[str, object], tmp_path: Path
) -> None:
    schema = json.loads(schema_path().read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(RoutineError):
        load_routine(path)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: ninety\n",
            [
                '7: exercise "Pigeon": \'hold\' must be a duration like 90s, 2m or 1m30s, got "ninety"'
            ],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: 1m\n        sides: [left, up]\n",
            ["8: exercise \"Pigeon\": unknown side 'up'; use 'both', or a list like [left, right]"],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hodl: 1m\n",
            [
                "7: exercise \"Pigeon\": unknown key 'hodl'; did you mean 'hold'?",
                "5: exercise \"Pigeon\": 'hold' is missing; add it",
            ],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: 30s\n        cues:\n"
            "          - at: 40s\n            say: Late.\n",
            ["9: exercise \"Pigeon\": cue 'at' 40s is not inside the 30s hold; make it earlier"],
        ),
        (
            "      - name: Pigeon\n        setup: <speak>Sit.</speak>\n        hold: 30s\n",
            [
                "6: exercise \"Pigeon\": 'setup' contains < or >; markup (SSML) is not spoken, "
                "remove it"
            ],
        ),
        (
            "      - name: Pigeon\n        setup: ''\n        hold: 30s\n",
            ["6: exercise \"Pigeon\": 'setup' is empty; write what to say"],
        ),
        (
            '      - name: Pigeon\n        setup: "Sit.\\0 Lie."\n        hold: 30s\n',
            ["6: exercise \"Pigeon\": 'setup' contains a control character (U+0000); remove it"],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: inf\n        cues:\n"
            "          - at: 1e309\n            say: Late.\n",
            [
                '7: exercise "Pigeon": \'hold\' must be a duration like 90s, 2m or 1m30s, got "inf"',
                "9: exercise \"Pigeon\": cue 'at' must be a duration like 90s, 2m or 1m30s, "
                'got "1e309"',
            ],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: 1.0e+12\n",
            [
                "7: exercise \"Pigeon\": 'hold' is 277777777h46m40s; the longest a duration "
                "may be is 1h: split it into steps"
            ],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: 30s\n        transition: 2h\n",
            [
                "8: exercise \"Pigeon\": 'transition' is 2h; the longest a duration may be "
                "is 1h: split it into steps"
            ],
        ),
        (
            "      - name: Pigeon\n        setup: Sit.\n        hold: 30s\n        steps:\n"
            "          - name: A\n            setup: a\n            hold: 10s\n",
            [
                "7: exercise \"Pigeon\": 'hold' goes inside each step when there are 'steps'; move it"
            ],
        ),
    ],
)
def test_bad_exercise_is_reported_at_its_line(
    body: str, expected: list[str], write_routine: WriteRoutine
) -> None:
    path = write_routine(HEADER + body)
    assert problems_of(path) == expected


def test_every_problem_is_reported_at_once(write_routine: WriteRoutine) -> None:
    path = write_routine(
        "title: T\ncolour: red\nsections:\n  - name: S\n    exercises:\n"
        "      - name: A\n        setup: x\n        hold: soon\n"
        "      - name: B\n        setup: y\n        hold: 1m\n        sides: maybe\n"
    )
    lines = [p.split(":")[0] for p in problems_of(path)]
    assert lines == ["2", "8", "12"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("title: [unclosed\n", "invalid YAML"),
        ("", "the file is empty"),
        ("- just\n- a list\n", "routine must be a mapping"),
        ("title: !!python/object/apply:os.system ['echo pwned']\nsections: []\n", "tag"),
        ("a: &x [1]\nb: *x\n", "YAML alias *x is not supported"),
    ],
)
def test_unsafe_or_broken_yaml(text: str, fragment: str, write_routine: WriteRoutine) -> None:
    path = write_routine(text)
    assert any(fragment in p for p in problems_of(path))


@pytest.mark.parametrize("depth", [40, 2_000, 100_000])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused_at_once(
    depth: int, opening: str, closing: str, write_routine: WriteRoutine
) -> None:
    """Past about 1,000 levels libyaml (PyYAML >= 6.0.4) stops the scan itself, before the
    pre-scan sees an event: whoever stops it, the verdict is one problem on line 1.

    """
    path = write_routine("title: " + opening * depth + closing * depth + "\n")
    started = time.monotonic()
    problems = problems_of(path)
    assert time.monotonic() - started < 5  # a hang is what this guards against
    assert len(problems) == 1
    assert problems[0].startswith("1: ")
    if depth < 1_000:  # coach's own pre-scan stops it, in coach's own words
        assert problems == [
            "1: lists and mappings nest deeper than 32 levels; a routine needs a handful: "
            "check the brackets and indentation"
        ]


def test_deep_block_nesting_is_refused(write_routine: WriteRoutine) -> None:
    nested = "".join("  " * i + "- x:\n" for i in range(60))
    path = write_routine("title: T\nsections:\n" + nested)
    assert any("nest deeper than 32 levels" in p for p in problems_of(path))


def test_transition_zero_means_no_transition(write_routine: WriteRoutine) -> None:
    path = write_routine(
        "title: T\ntransition: 0\nsections:\n  - name: S\n    exercises:\n"
        "      - name: A\n        setup: x\n        hold: 30s\n"
        "      - name: B\n        setup: y\n        hold: 30s\n        transition: 0s\n"
    )
    assert [e.transition_s for e in load_routine(path).exercises] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: os.mkfifo(p), "is not a regular file (a device, FIFO or socket)"),
        (lambda p: p.mkdir(), "is a folder; give a routine file (.yaml)"),
        (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
        (lambda p: p.symlink_to("/dev/urandom"), "is not a regular file"),
    ],
)
def test_files_that_are_not_files_are_refused_without_reading(
    tmp_path: Path, make: object, message: str
) -> None:
    path = tmp_path / "routine.yaml"
    make(path)  # type: ignore[operator]
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert str(caught.value) == f"{path}: {message}" or message in str(caught.value)


def test_an_include_of_a_special_file_is_refused_where_it_is_included(
    write_routine: WriteRoutine,
) -> None:
    path = write_routine("title: T\nsections:\n  - include: /dev/zero\n")
    assert problems_of(path) == [
        "3: 'include: /dev/zero': is not a regular file (a device, FIFO or socket); "
        "give a routine file (.yaml)"
    ]


def test_billion_laughs_is_refused_quickly(write_routine: WriteRoutine) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    path = write_routine("\n".join(lines) + "\n")
    assert any("alias" in p for p in problems_of(path))


def test_missing_file_and_unknown_name() -> None:
    with pytest.raises(RoutineError, match="no such file"):
        load_routine("nowhere/missing.yaml")
    with pytest.raises(RoutineError, match='did you mean "smr-legs"'):
        load_routine("smr-lgs")


def test_include_resolves_beside_the_file_and_refuses_loops(write_routine: WriteRoutine) -> None:
    write = write_routine
    write(HEADER + "      - name: A\n        setup: x\n        hold: 1m\n", name="part.yaml")
    whole = write("title: W\nsections:\n  - include: part\n  - include: smr-back\n", "w.yaml")
    routine = load_routine(whole)
    assert [s.name for s in routine.sections] == ["S", "Back"]
    loop = write("title: L\nsections:\n  - include: loop\n", name="loop.yaml")
    assert any("loop" in p for p in problems_of(loop))


def test_problems_inside_an_included_file_name_that_file(write_routine: WriteRoutine) -> None:
    write_routine(HEADER + "      - name: A\n        setup: x\n        hold: soon\n", "part.yaml")
    whole = write_routine("title: W\nsections:\n  - include: part\n", "w.yaml")
    with pytest.raises(RoutineError) as caught:
        load_routine(whole)
    assert caught.value.problems[0].path.endswith("part.yaml")
    assert caught.value.problems[0].line == 7
