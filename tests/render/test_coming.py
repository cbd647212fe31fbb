"""The rest of a live session rendered in the order it is said, while it plays (real eSpeak NG)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coach.audio import Clip
from coach.errors import CoachError
from coach.language.table import TABLE
from coach.render.build import (
    build_session,
    draft_session,
    load_sounds,
    opening_text,
    stated_minutes,
)
from coach.render.coming import ComingSpeech, plan_partly, roomy, start_partly
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import Sound
from tests.render.test_later import workers_of_this_process

EN = TABLE["en"]


def all_taken(coming: ComingSpeech, within_s: float = 120.0) -> list[Session]:
    sessions: list[Session] = []
    deadline = time.monotonic() + within_s
    while not sessions or not sessions[-1].settled:
        if (newer := coming.take()) is not None:
            sessions.append(newer)
        assert time.monotonic() < deadline, "the session never came whole"
        time.sleep(0.005)
    return sessions


def test_a_session_started_on_its_title_comes_whole_as_export_plans_it(tmp_path: Path) -> None:
    routine = load_routine("smr-legs")
    speech = SpeechCache(tmp_path / "speech", SpeechSettings())
    sounds = load_sounds()
    draft = draft_session(routine, speech, sounds, live=True)
    assert draft.order[0] == opening_text(routine)
    speech.clip(draft.order[0])  # the title, as play renders it first
    start = start_partly(
        routine,
        speech,
        sounds,
        pace=1.0,
        minutes=draft.minutes,
        order=draft.order,
        extra=EN.live(),
        until=lambda: True,  # nothing more here: the rest comes from the workers
    )
    chime, title = start.timeline.events[:2]
    assert chime.sound is Sound.OPEN
    assert title.text == draft.order[0]
    assert title.end_s < start.settled_s < start.timeline.total_s
    assert set(EN.live()) <= set(start.speech)
    started: list[str] = []
    coming = ComingSpeech(speech, start, 1.0, draft.minutes, lambda: started.append("later"))
    coming.start()
    try:
        sessions = all_taken(coming)
        deadline = time.monotonic() + 30
        while coming.pending:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        coming.close()
    assert started == ["later"]  # what a change may say renders next
    whole = sessions[-1]
    # the whole session is the one export plans, with the same clips
    exported = build_session(routine, SpeechCache(tmp_path / "speech", SpeechSettings()), sounds)
    assert whole.timeline == exported.timeline
    assert coming.latest is whole
    # each one settled further, and what it settled is the whole session's
    settled = [start.settled_s, *(s.settled_s for s in sessions)]
    assert settled == sorted(settled)
    assert len(set(settled)) == len(settled)
    for session in (start, *sessions[:-1]):
        before = [e for e in session.timeline.events if e.at_s < session.settled_s]
        assert before == [e for e in whole.timeline.events if e.at_s < session.settled_s]
        assert {e.text for e in before if e.text} <= set(session.speech)


def test_closing_stops_the_rest_and_kills_its_workers(tmp_path: Path) -> None:
    routine = load_routine("smr-full")
    speech = SpeechCache(tmp_path, SpeechSettings())
    draft = draft_session(routine, speech, load_sounds(), live=True)
    start = start_partly(
        routine,
        speech,
        load_sounds(),
        pace=1.0,
        minutes=draft.minutes,
        order=draft.order[:1],
        extra=EN.live(),
    )
    called: list[str] = []
    coming = ComingSpeech(speech, start, 1.0, draft.minutes, lambda: called.append("later"))
    coming.start()
    deadline = time.monotonic() + 30
    while not workers_of_this_process():
        assert time.monotonic() < deadline, "no worker ever started"
        time.sleep(0.01)
    coming.close()
    assert not coming.thread.is_alive()
    assert workers_of_this_process() == []
    assert called == []  # a session that ended renders nothing more


def silent(seconds: float) -> Clip:
    return Clip(bytes(2 * round(seconds * 22050)))


def test_speech_that_cannot_be_rendered_is_handed_to_the_player(tmp_path: Path) -> None:
    routine = load_routine("smr-knees")
    sounds = load_sounds()
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    timeline, settled_s, _ = plan_partly(routine, 1.0, 7, {}, sound_s, 160)
    phrases = {text: silent(1.0) for text in EN.live()}
    start = Session(timeline, phrases, sounds, routine, (), settled_s)
    broken = SpeechCache(tmp_path, SpeechSettings(voice="gmw/no-such-voice"))
    coming = ComingSpeech(broken, start, 1.0, 7).start()
    deadline = time.monotonic() + 60
    while coming.pending:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    coming.close()
    with pytest.raises(CoachError, match="no-such-voice"):
        coming.take()


def test_a_session_with_little_room_for_its_words_is_prepared_whole_first(
    tmp_path: Path,
) -> None:
    """Real speech half as long again as estimated could make it refuse mid-way: it is not
    started on its first clips (play prepares it whole, and refuses before any sound)."""
    tight = tmp_path / "tight.yaml"
    tight.write_text(
        "title: Tight\nsections:\n  - name: S\n    exercises:\n"
        "      - name: Calves\n        setup: Ball under your calf.\n        steps:\n"
        "          - {name: Low, hold: 20s}\n"
        "          - {name: High, setup: Now move the ball up to just below the back of your "
        "knee and rest there., hold: 9s}\n"
    )
    sounds = load_sounds()
    routine = load_routine(tight)
    minutes = stated_minutes(routine, {s: c.duration_s for s, c in sounds.items()}, 1.0, 160)
    assert minutes is not None  # it plans on estimates
    assert not roomy(routine, 1.0, minutes, sounds, 160)
    assert roomy(load_routine("smr-legs"), 1.0, 18, sounds, 160)
