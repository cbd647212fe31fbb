"""The closed session: every clip a sink may play, fixed at render time and checked."""

from __future__ import annotations

import dataclasses

import pytest

from coach.audio import Clip
from coach.errors import CoachError
from coach.language.table import TABLE
from coach.plan.planner import plan_session
from coach.render.build import load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Sound, Timeline
from tests.conftest import SHORT, fake_speech_s

LIVE = TABLE["en"].live()
PAUSED = TABLE["en"].paused


def silence(seconds: float, rate: int = 22_050) -> Clip:
    return Clip(bytes(2 * round(seconds * rate)), rate)


Parts = tuple[Timeline, dict[str, Clip], dict[Sound, Clip]]


@pytest.fixture
def parts() -> Parts:
    sounds = load_sounds()
    timeline = plan_session(
        load_routine(SHORT),
        Pacing(2.0),
        fake_speech_s,
        {s: c.duration_s for s, c in sounds.items()},
    )
    speech = {t: silence(fake_speech_s(t)) for t in (*timeline.texts(), *LIVE)}
    return timeline, speech, sounds


def test_a_session_holds_a_clip_for_every_event_and_live_phrase(parts: Parts) -> None:
    timeline, speech, sounds = parts
    session = Session(timeline, speech, sounds)
    for event in timeline.events:
        assert session.clip(event).frames > 0
    assert session.phrase(PAUSED) == speech[PAUSED]


@pytest.mark.parametrize("missing", [PAUSED, "Roll slowly."])
def test_a_session_missing_a_clip_is_refused(parts: Parts, missing: str) -> None:
    timeline, speech, sounds = parts
    del speech[missing]
    with pytest.raises(CoachError, match=f"no clip for '{missing}'"):
        Session(timeline, speech, sounds)


def test_a_clip_at_another_sample_rate_is_refused(parts: Parts) -> None:
    timeline, speech, sounds = parts
    speech["Roll slowly."] = silence(1.0, rate=44_100)
    with pytest.raises(CoachError, match="is at 44100 Hz, not the session's 22050"):
        Session(timeline, speech, sounds)


def test_a_session_cannot_be_changed(parts: Parts) -> None:
    timeline, speech, sounds = parts
    session = Session(timeline, speech, sounds)
    speech[PAUSED] = silence(9.0)  # the caller's dict is not the session's
    assert session.phrase(PAUSED).duration_s != 9.0
    with pytest.raises(TypeError):
        session.speech[PAUSED] = silence(9.0)  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        session.timeline = timeline  # type: ignore[misc]
