"""Chapters: one for each side of each exercise where the routine has it, named as the display
names it, covering the whole session."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import soundfile

from coach.export.chapters import chapters
from coach.plan.planner import plan_session
from coach.routine.reader import load_routine
from coach.testing import fake_speech_s
from coach.timeline.events import Pacing, Sound
from tests.conftest import DATA, WriteRoutine, coach_command

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


@pytest.mark.slow
def test_export_from_an_exercise_starts_there_with_its_chapters_and_cues(tmp_path: Path) -> None:
    """Before, `export` had no --from, and `play --from lats --fallback` wrote the whole 29:21."""
    target, cues = tmp_path / "back.ogg", tmp_path / "back.vtt"
    part = ["smr-full", "--from", "lats", "--to", "upper", "--pace", "4"]
    shown = json.loads(run_coach("show", *part, "--json").stdout)
    assert next(h["exercise"] for h in shown["holds"]) == "Lats"
    assert shown["holds"][-1]["exercise"] == "Upper traps"
    made = run_coach("export", *part, "-o", str(target), "--cues", str(cues))
    assert made.returncode == 0, made.stderr
    assert soundfile.info(target).duration == pytest.approx(shown["total_s"], abs=0.01)
    titles = [value for key, value in chapter_comments(target) if key.endswith("NAME")]
    assert titles == [
        "Introduction",
        "Lats, left side",
        "Lats, right side",
        "Teres minor and rhomboids, left side",
        "Teres minor and rhomboids, right side",
        "Upper traps, left side",
        "Upper traps, right side",
    ]
    said = cues.read_text()
    assert "First: Lats, left side." in said
    assert "Hips" not in said
    assert "Middle and lower traps" not in said
    # play's --fallback, with no audio output, writes that same part
    fallback = tmp_path / "fallback.wav"
    env = {**os.environ, "ALSA_CONFIG_PATH": str(DATA / "no-alsa.conf")}
    played = run_coach("play", *part, "--fallback", str(fallback), env=env)
    assert played.returncode == 0, played.stderr
    assert soundfile.info(fallback).duration == pytest.approx(shown["total_s"], abs=0.01)


def run_coach(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args], capture_output=True, text=True, env=env, timeout=600
    )


def chapter_comments(path: Path) -> list[tuple[str, str]]:
    from mutagen.oggvorbis import OggVorbis

    tags = OggVorbis(path).tags
    assert tags is not None
    return sorted(
        (
            (key.upper(), values[0])
            for key, values in tags.items()
            if key.upper().startswith("CHAPTER")
        ),
        key=lambda item: item[0],
    )
