"""Routines from other apps' files, written the way those apps write them (from their code)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from coach.durations import parse_duration
from coach.errors import RoutineError
from coach.routine.imports import MAX_HOLD_S, PART_S, import_file
from coach.routine.reader import load_routine
from coach.routine.walk import times

# --- Just Another Workout Timer ------------------------------------------------------------


def jawt_bytes(data: Any) -> bytes:
    """As JAWT's exportWorkout writes: ``jsonEncode(backup.toJson()).codeUnits`` as bytes.

    Dart's jsonEncode is compact and leaves non-ASCII text as it is; each UTF-16 code
    unit is then stored in one byte (its low 8 bits), so ``é`` is the byte 0xE9.
    """
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return bytes(ord(ch) & 0xFF for ch in text)


def jawt_exercise(name: str, duration: int, n: int) -> dict[str, Any]:
    # _$ExerciseToJson: name, id, duration (an id is a v4 uuid)
    return {"name": name, "id": f"00000000-0000-4000-8000-{n:012d}", "duration": duration}


def jawt_workout(title: str, sets: list[tuple[int, list[tuple[str, int]]]]) -> dict[str, Any]:
    # _$WorkoutToJson: title, sets, version, position; _$SetToJson: repetitions, id, exercises
    return {
        "title": title,
        "sets": [
            {
                "repetitions": repetitions,
                "id": f"set-{s}",
                "exercises": [
                    jawt_exercise(name, duration, 10 * s + e)
                    for e, (name, duration) in enumerate(exercises)
                ],
            }
            for s, (repetitions, exercises) in enumerate(sets)
        ],
        "version": 2,
        "position": 0,
    }


def holds_of(path: Path) -> list[tuple[str, float, int]]:
    """Each exercise of the routine at ``path``: its name, hold and how many times it plays."""
    routine = load_routine(path)
    return [
        (exercise.name, step.written_s, times(section, exercise, step))
        for section in routine.sections
        for exercise in section.exercises
        for step in exercise.steps
    ]


def written(tmp_path: Path, imported_text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(imported_text, encoding="utf-8")
    return path


def test_a_jawt_export_becomes_a_routine_of_the_same_workout(tmp_path: Path) -> None:
    workout = jawt_workout(
        "Abs & Légs",
        [(3, [("Plank", 40), ("Pause", 20)]), (1, [("Squats", 45), ("Wall sit", 0)])],
    )
    source = tmp_path / "Abs_Lgs.json"
    source.write_bytes(jawt_bytes({"workouts": [workout]}))
    (made,) = import_file(source)
    assert made.name == "abs-l-gs"
    routine_file = written(tmp_path, made.text)
    assert load_routine(routine_file).title == "Abs & Légs"  # Latin-1, as JAWT wrote it
    assert holds_of(routine_file) == [
        ("Plank", 40.0, 3),
        ("Pause", 20.0, 3),
        ("Squats", 45.0, 1),
    ]
    # what did not map is said, naming where it was
    assert len(made.notes) == 1
    assert "set 2, exercise 2 (Wall sit)" in made.notes[0]


def test_a_workout_as_jawt_stores_it_and_a_backup_of_several(tmp_path: Path) -> None:
    one = jawt_workout("Core", [(1, [("Plank", 30)])])
    stored = tmp_path / "Core.json"
    stored.write_text(json.dumps(one), encoding="utf-8")  # the app's own file: a bare workout
    (made,) = import_file(stored)
    assert holds_of(written(tmp_path, made.text)) == [("Plank", 30.0, 1)]
    backup = tmp_path / "Backup.json"
    legs = jawt_workout("Legs", [(2, [("Squats", 20)])])
    backup.write_bytes(jawt_bytes({"workouts": [one, one, legs]}))
    assert [m.name for m in import_file(backup)] == ["core", "core-2", "legs"]


def test_out_of_range_values_are_said_and_kept_playable(tmp_path: Path) -> None:
    source = tmp_path / "w.json"
    long_name = "Stretch " * 80
    source.write_bytes(
        jawt_bytes(
            {
                "workouts": [
                    jawt_workout(
                        "W",
                        [(0, [("Never", 10)]), (1, [(long_name, 2 * 3600), ("<b>Bold</b>", 5)])],
                    )
                ]
            }
        )
    )
    (made,) = import_file(source)
    holds = holds_of(written(tmp_path, made.text))
    assert [(h[1], h[2]) for h in holds] == [(MAX_HOLD_S, 1), (5.0, 1)]
    assert holds[1][0] == "b Bold /b"
    said = " | ".join(made.notes)
    for what in ("set 1: 0 repetitions", "1 hour", "cut to 400", "< and > removed"):
        assert what in said


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"title": "x", "sets": [', "is not Just Another Workout Timer's JSON"),
        (b'{"title": "x"}', "has no 'sets'"),
        (b'{"workouts": []}', "has no workouts"),
        (b'{"title": 3, "sets": []}', "'title' must be text"),
        (
            b'{"title": "x", "sets": [{"repetitions": 1, "exercises": '
            b'[{"name": "a", "duration": "30"}]}]}',
            "'duration' must be whole seconds",
        ),
        (
            b'{"title": "x", "sets": [{"repetitions": 1, "exercises": '
            b'[{"name": "a", "duration": NaN}]}]}',
            "NaN",
        ),
        (b'{"title": "x", "sets": [{"repetitions": 1, "exercises": []}]}', "no exercise"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        # FeeelWorkoutJson.toJson: its exercises are ids into the app's own database
        (
            b'{"feeelMetadataVersion":4,"exerciseDbImport":"2023-08-06T00:00:00.000Z",'
            b'"fullWorkout":{"workout":{"title":"x"},"workoutExercises":[]}}',
            "is a Feeel workout",
        ),
    ],
)
def test_a_file_jawt_did_not_write_is_one_problem(
    tmp_path: Path, content: bytes, says: str
) -> None:
    source = tmp_path / "w.json"
    source.write_bytes(content)
    with pytest.raises(RoutineError) as caught:
        import_file(source, "jawt")
    (problem,) = caught.value.problems
    assert problem.path == str(source)
    assert says in problem.message


# --- audio-program-generator -----------------------------------------------------------------


def test_an_apg_program_is_said_at_the_times_apg_reaches_each_phrase(tmp_path: Path) -> None:
    # as apg's README and parse_textfile read it: "phrase; seconds", "*" for silence alone
    source = tmp_path / "evening_wind-down.txt"
    source.write_text(
        "*; 3\nLie down and close your eyes; 5\nBreathe in;4\n\nnot a phrase line\n"
        "Breathe out ; 4.5\nOpen your eyes, slowly;0\n",
        encoding="utf-8",
    )
    (made,) = import_file(source)
    assert made.name == "evening-wind-down"
    routine = load_routine(written(tmp_path, made.text))
    assert routine.title == "Evening wind down"
    (step,) = routine.sections[0].exercises[0].steps
    said = [(c.say, c.at_s or 0.0) for c in step.cues]
    assert all(c.at_s is not None for c in step.cues)
    assert [s for s, _ in said] == [
        "Lie down and close your eyes",
        "Breathe in",
        "Breathe out",
        "Open your eyes, slowly",  # apg would drop the comma; coach keeps what was written
    ]
    ats = [at for _, at in said]
    assert ats[0] == 3.0  # after the opening silence
    # each phrase starts after the one before has been said and its silence has passed
    gaps = [b - a for a, b in itertools.pairwise(ats)]
    for gap, silence in zip(gaps, (5, 4, 4.5), strict=True):
        assert silence < gap < silence + 4
    assert ats[-1] < step.written_s
    assert made.notes == ("line 5: not 'phrase; seconds' (as apg reads it); left out",)


def test_a_long_apg_program_is_cut_into_holds_coach_can_play(tmp_path: Path) -> None:
    source = tmp_path / "long.txt"
    lines = [f"Phrase number {n}; 60" for n in range(100)]  # 100 minutes and more
    source.write_text("\n".join(lines), encoding="utf-8")
    (made,) = import_file(source)
    routine = load_routine(written(tmp_path, made.text))
    steps = [step for exercise in routine.exercises for step in exercise.steps]
    assert len(steps) == 3
    assert all(step.written_s <= PART_S for step in steps)
    said = [cue.say for step in steps for cue in step.cues]
    assert said == [f"Phrase number {n}" for n in range(100)]  # all of them, in order
    assert any("cut into 3 parts" in note for note in made.notes)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"*; 3\n*; 4\n"])
def test_a_file_with_nothing_to_say_is_one_problem(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "p.txt"
    source.write_bytes(content)
    with pytest.raises(RoutineError) as caught:
        import_file(source)
    (problem,) = caught.value.problems
    assert "no 'phrase; seconds' line" in problem.message


def test_durations_are_written_as_the_loader_reads_them() -> None:
    from coach.routine.imports import seconds_text

    for seconds in (1.0, 2.5, 59.9, 90.0, 3599.5, 3600.0):
        assert parse_duration(seconds_text(seconds)) == pytest.approx(seconds)
