"""Everything coach writes is in the routine's language: chapters, display, schedule, log, check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from coach.export.chapters import chapters
from coach.language.phrases import Written
from coach.language.table import TABLE
from coach.plan.planner import plan_session
from coach.play.display import LineDisplay, status_lines
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Timeline
from coach.timeline.schedule import format_schedule
from tests.conftest import SOUND_S, fake_speech_s

ROUTINE = "smr-legs-de"
ENGLISH = TABLE["en"].written


@pytest.fixture(scope="module")
def german() -> Timeline:
    return plan_session(load_routine(ROUTINE), Pacing(1.0), fake_speech_s, SOUND_S)


def test_every_language_writes_every_word() -> None:
    for language, phrases in TABLE.items():
        words = phrases.written
        assert isinstance(words, Written)
        for name in (f.name for f in dataclasses.fields(Written)):
            text = getattr(words, name)
            assert text.strip(), (language, name)
            # the same fields as the English template, so every view can fill it in
            fields = {part.split("}")[0] for part in text.split("{")[1:]}
            english = {part.split("}")[0] for part in getattr(ENGLISH, name).split("{")[1:]}
            assert fields == english, (language, name)
        if language != "en":
            assert words != ENGLISH


def test_a_german_session_is_written_in_german(german: Timeline) -> None:
    timeline = german
    words = TABLE["de"].written
    marks = chapters(timeline)
    assert marks[0].title == "Einleitung"
    assert any("linke Seite" in mark.title for mark in marks)
    assert not any("side" in mark.title or "round" in mark.title for mark in marks)
    schedule = format_schedule(timeline)
    assert "bei Tempo 1" in schedule.splitlines()[1]
    assert " side" not in schedule
    first = timeline.holds[0]
    shown = status_lines(timeline, first.start_s + 1, paused=True, said="")
    assert shown[0].startswith(words.paused + " · ")
    assert "linke Seite" in shown[0]
    assert any(line.startswith("Als Nächstes: ") for line in shown)


def test_the_line_log_names_the_side_in_the_routines_language(german: Timeline) -> None:
    import io

    from coach.play.transport import Fired

    stream = io.StringIO()
    event = next(e for e in german.events if e.side is not None)
    LineDisplay(stream, german.phrases).fired(Fired(0, event, 1.0))
    assert "linke Seite" in stream.getvalue()


def test_check_summarises_in_the_routines_language(tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import coach_command

    checked = subprocess.run(
        [*coach_command(), "check", ROUTINE], capture_output=True, text=True, check=True
    )
    assert "Übungen" in checked.stdout
    assert "bei Tempo 1" in checked.stdout
