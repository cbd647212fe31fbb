"""Chapters: one for each side of each exercise where the routine has it, named as the display
names it, covering the whole session."""

from __future__ import annotations

from coach.export.chapters import chapters
from coach.plan.planner import plan_session
from coach.routine.reader import load_routine
from coach.testing import fake_speech_s
from coach.timeline.events import Pacing, Sound
from tests.conftest import WriteRoutine

COMES_BACK = """\
title: Twice
sections:
  - name: S
    exercises:
      - name: Calves
        hold: 20s
      - name: Calves
        hold: 20s
      - name: Quads
        hold: 20s
      - name: Calves
        sides: both
        hold: 20s
"""


def test_an_exercise_the_routine_comes_back_to_has_a_chapter_each_time(
    write_routine: WriteRoutine, sound_s: dict[Sound, float]
) -> None:
    timeline = plan_session(
        load_routine(write_routine(COMES_BACK)), Pacing(1.0), fake_speech_s, sound_s
    )
    marks = chapters(timeline)
    assert [m.title for m in marks] == [
        "Introduction",
        "Calves",
        "Calves",
        "Quads",
        "Calves, left side",
        "Calves, right side",
    ]
    starts = [segment.start_s for segment in timeline.segments]
    assert [m.start_s for m in marks[1:4]] == starts[:3]
    assert [m.end_s for m in marks[:-1]] == [m.start_s for m in marks[1:]]
    assert marks[-1].end_s == timeline.total_s
