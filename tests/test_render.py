"""Rendering real sessions: every bundled routine plans with real speech, honestly described."""

from __future__ import annotations

import re

import pytest

from coach.render import build_session, load_sounds
from coach.resources import bundled_routines
from coach.routine import load_routine
from coach.speech import SpeechCache, SpeechSettings


@pytest.mark.parametrize("name", sorted(bundled_routines()))
def test_description_states_the_real_length(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each routine's description says how long it takes; that must be what it takes."""
    routine = load_routine(name)
    speech = SpeechCache(tmp_path_factory.getbasetemp() / "render-speech", SpeechSettings())
    timeline = build_session(routine, speech, load_sounds()).timeline
    stated = re.search(r"takes about (\d+) minutes", routine.description)
    assert stated, "the description should say how long the session takes"
    assert abs(int(stated.group(1)) - timeline.total_s / 60) <= 1
    minutes = re.search(r"takes about (\d+) minutes", " ".join(timeline.texts()))
    assert minutes
    assert int(minutes.group(1)) == round(timeline.total_s / 60)


def test_clips_come_from_the_cache_and_sounds() -> None:
    sounds = load_sounds()
    assert {s.value for s in sounds} == {"start", "switch", "finish"}
    for clip in sounds.values():
        assert clip.sample_rate_hz == 22_050
        assert 0.5 < clip.duration_s < 2.5
