"""Rendering real sessions: every bundled routine plans with real speech, honestly described."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from coach.errors import SessionTooLongError
from coach.language.table import phrases_for
from coach.plan.fitting import fit_length
from coach.plan.planner import plan_session
from coach.render.build import build_session, estimated_speech_s, load_sounds, texts_to_speak
from coach.resources import bundled_routines
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.routine.walk import written_s
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.speech.engine import Engine
from coach.timeline.events import Pacing, Sound, SpeechLength, Timeline
from tests.conftest import WriteRoutine


@pytest.mark.parametrize("name", sorted(bundled_routines()))
def test_description_states_the_real_length(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each routine's description says how long it takes; that must be what it takes."""
    routine = load_routine(name)
    speech = SpeechCache(tmp_path_factory.getbasetemp() / "render-speech", SpeechSettings())
    timeline = build_session(routine, speech, load_sounds()).timeline
    stated = re.search(STATED[routine.language], routine.description)
    assert stated, "the description should say how long the session takes"
    assert abs(int(stated.group(1)) - timeline.total_s / 60) <= 1
    # what the introduction says is the length, to the minute (it is said before it is known
    # to the second: planned first with the sentence of a draft's length)
    minutes = timeline.total_s / 60
    said = {
        phrases_for(routine.language).session_length(m) for m in (int(minutes), math.ceil(minutes))
    }
    assert said & set(timeline.texts())


STATED = {"en": r"takes about (\d+) minutes", "de": r"etwa (\d+) Minuten"}
"""How each bundled routine's description says its length, by language."""


def test_clips_come_from_the_cache_and_sounds() -> None:
    sounds = load_sounds()
    assert {s.value for s in sounds} == {"open", "start", "switch", "finish", "rest", "tick"}
    for sound, clip in sounds.items():
        assert clip.sample_rate_hz == 22_050
        if sound is Sound.TICK:
            assert 0.03 < clip.duration_s < 0.15  # a beat's tick stays out of the way
        elif sound is Sound.OPEN:
            assert 0.2 < clip.duration_s < 0.4  # rung out before the title, 0.6 s in
        else:
            assert 0.5 < clip.duration_s < 2.5
    # a beat's tick stays under the chimes that mark the session's moments
    tick = sounds[Sound.TICK].peak_dbfs()
    assert all(tick < clip.peak_dbfs() - 3 for s, clip in sounds.items() if s is not Sound.TICK)


@pytest.mark.parametrize("name", sorted(bundled_routines()))
@pytest.mark.parametrize(
    ("pace", "length_s", "rate"),
    [(1.0, None, 160), (0.25, None, 160), (3.0, None, 160), (1.0, 600.0, 160), (1.0, None, 260)],
)
def test_estimated_plan_asks_for_every_text_the_real_one_says(
    name: str,
    pace: float,
    length_s: float | None,
    rate: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The texts collected on estimated lengths are those rendered in parallel; the real
    plan must find them all ready, or it renders the rest one by one."""
    routine = load_routine(name)
    speech = SpeechCache(
        tmp_path_factory.getbasetemp() / f"render-speech-{rate}", SpeechSettings(rate_wpm=rate)
    )
    sound_s = {sound: clip.duration_s for sound, clip in load_sounds().items()}

    def plan(speech_s: SpeechLength) -> Timeline:
        if length_s is not None:
            return fit_length(routine, length_s, speech_s, sound_s)
        return plan_session(routine, Pacing(pace), speech_s, sound_s)

    asked = set(texts_to_speak(plan, rate))
    real = build_session(routine, speech, load_sounds(), pace=pace, length_s=length_s).timeline
    assert set(real.texts()) <= asked
    assert {d.text for d in real.dropped} <= asked


def test_estimate_is_near_real_speech(tmp_path_factory: pytest.TempPathFactory) -> None:
    speech = SpeechCache(tmp_path_factory.getbasetemp() / "render-speech", SpeechSettings())
    timeline = build_session(load_routine("smr-legs"), speech, load_sounds()).timeline
    for text in timeline.texts():
        ratio = speech.length_s(text) / estimated_speech_s(text, 160)
        assert 0.5 < ratio < 2, text


def test_a_session_over_the_ceiling_by_its_transitions_is_refused_before_any_speech(
    write_routine: WriteRoutine, tmp_path: Path
) -> None:
    """3,000 holds of 7 s (5h50m as written) pass the written-length check; the 2 s to settle
    after each lead-in take the planned session past 6h, with no speech at all."""
    body = "".join(
        f"      - name: Roll {i}\n        hold: 7s\n        transition: 0s\n" for i in range(3000)
    )
    routine = load_routine(
        str(write_routine("title: Long\nsections:\n  - name: S\n    exercises:\n" + body))
    )

    def no_engine() -> Engine:
        raise AssertionError("speech was rendered for a session that is refused")

    folder = tmp_path / "speech"
    speech = SpeechCache(folder, SpeechSettings(), engine_factory=no_engine)
    with pytest.raises(SessionTooLongError, match="the longest session coach plays is 6h") as err:
        build_session(routine, speech, load_sounds())
    assert not folder.exists() or not any(folder.iterdir())
    # counted without speech, the length it names is a lower bound, and it says so
    assert "would take at least " in str(err.value)
    assert err.value.total_s > 6 * 3600 > written_s(routine)


@pytest.mark.parametrize(("live", "plans"), [(False, 3), (True, 4)])
def test_a_session_is_drafted_once_and_planned_once(
    live: bool, plans: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stated minutes and one estimate, then the real plan (and, live, the slowest pace's
    texts): the draft play
    makes to start on the title is the one the build renders from, not made again."""
    import coach.render.build as build

    calls: list[float] = []

    def counted(routine: Routine, pacing: Pacing, *args: Any, **kwargs: Any) -> Timeline:
        calls.append(pacing.pace)
        return plan_session(routine, pacing, *args, **kwargs)

    monkeypatch.setattr(build, "plan_session", counted)
    routine = load_routine("smr-legs")
    speech = SpeechCache(tmp_path, SpeechSettings())
    draft = build.draft_session(routine, speech, load_sounds(), pace=2.0, live=live)
    assert draft.timeline is not None
    session = build_session(routine, speech, load_sounds(), pace=2.0, live=live, draft=draft)
    assert len(calls) == plans
    assert calls[0] == calls[-1] == 2.0
    assert set(draft.texts) >= set(session.timeline.texts())
    # with no draft given, the build makes its own: the same session
    again = build_session(routine, speech, load_sounds(), pace=2.0, live=live)
    assert len(calls) == 2 * plans
    assert again.timeline == session.timeline
