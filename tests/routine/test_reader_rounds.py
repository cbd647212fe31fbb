"""The reader on rounds, rests, counted reps, countdowns and holds until ready."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from coach.errors import RoutineError
from coach.resources import schema_path
from tests.strategies import (
    HEAD,
    load_text,
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "        hold: 30s\n        reps: 5\n        tempo: 2s\n",
            "give 'hold' or 'reps', not both",
        ),
        ("        reps: 5\n", "'reps' needs a 'tempo', the time of one rep, like 4s"),
        (
            "        hold: 30s\n        tempo: 2s\n",
            "'tempo' goes with 'reps'; add reps or remove it",
        ),
        (
            "        reps: 5\n        tempo: 2s\n        cues: [Go on.]\n",
            "'cues' cannot go with 'reps'",
        ),
        ("        reps: 5\n        tempo: 2s\n        count: maybe\n", "'count' must be true"),
        (
            "        reps: 0\n        tempo: 2s\n",
            "'reps' must be a whole number from 1 to 200, got 0",
        ),
        ("        reps: 2.5\n        tempo: 2s\n", "'reps' must be a whole number from 1 to 200"),
        ("        reps: 200\n        tempo: 20s\n", "200 reps of 20s last 1h06m40s"),
        ("        hold: 30s\n        rest: 10s\n", "'rest' goes between rounds; add 'repeat: N'"),
        (
            "        hold: 30s\n        repeat: 101\n",
            "'repeat' must be a whole number from 1 to 100",
        ),
        (
            "        hold: 30s\n        countdown: 11\n",
            "'countdown' must be a whole number from 0 to 10",
        ),
        ("        hold: until-soon\n", "'hold' must be a duration like 90s, 2m or 1m30s"),
    ],
)
def test_the_loader_says_what_is_wrong(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RoutineError) as caught:
        load_text(tmp_path, HEAD + body)
    assert message in str(caught.value)


def test_the_new_keys_load(tmp_path: Path) -> None:
    routine = load_text(
        tmp_path,
        "title: T\ncountdown: 2\nready: 20s\nsections:\n  - name: S\n    repeat: 2\n    rest: 30s\n"
        "    exercises:\n      - name: A\n        setup: x\n        reps: 8\n        tempo: 3s\n"
        "        count: false\n        repeat: 3\n        rest: 15s\n"
        "      - name: B\n        setup: y\n        countdown: 0\n        steps:\n"
        "          - name: B1\n            setup: z\n            hold: until-ready\n"
        "            repeat: 2\n",
    )
    section = routine.sections[0]
    assert (section.repeat.rounds, section.repeat.rest_s) == (2, 30.0)
    a, b = section.exercises
    assert (a.repeat.rounds, a.repeat.rest_s, a.countdown) == (3, 15.0, 2)
    assert (a.steps[0].reps, a.steps[0].tempo_s, a.steps[0].count) == (8, 3.0, False)
    assert b.countdown == 0
    assert b.steps[0].until_ready
    assert b.steps[0].hold_s == 20.0
    assert b.steps[0].repeat.rounds == 2


def test_the_schema_knows_the_new_keys() -> None:
    schema = json.loads(schema_path().read_text())
    document = yaml.safe_load(
        (Path(__file__).parent.parent.parent / "routines" / "smr-knees.yaml").read_text()
    )
    jsonschema.validate(document, schema)
    for bad in (
        {"reps": 5},  # no tempo
        {"reps": 5, "tempo": "2s", "hold": "30s"},
        {"hold": "30s", "rest": "10s"},  # rest without repeat
        {"hold": "30s", "countdown": 11},
    ):
        exercise = {"name": "A", "setup": "x", **bad}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(
                {"title": "T", "sections": [{"name": "S", "exercises": [exercise]}]}, schema
            )
