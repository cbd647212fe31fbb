"""What only a change of pace says, rendered while a live session plays (real eSpeak NG)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from coach.errors import SpeechError
from coach.render.build import build_session, draft_session, load_sounds
from coach.render.later import LaterSpeech
from coach.render.session import ReplanError, Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.speech.engine import Engine
from coach.timeline.events import MIN_PACE
from tests.conftest import SHORT


def workers_of_this_process() -> list[int]:
    """Render workers (``coach.speech.worker``) still running as children of this process."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"coach.speech.worker" in command:
            found.append(int(entry.name))
    return found


def taken(later: LaterSpeech, within_s: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + within_s
    while (clips := later.take()) is None:
        assert later.error is None, later.error
        assert time.monotonic() < deadline, "the later speech never came"
        time.sleep(0.02)
    return dict(clips)


def test_a_cold_live_session_starts_without_other_paces_and_gets_them_while_it_plays(
    tmp_path: Path,
) -> None:
    routine = load_routine(SHORT)
    speech = SpeechCache(tmp_path, SpeechSettings())
    draft = draft_session(routine, speech, load_sounds(), live=True)
    assert draft.later
    assert not set(draft.later) & set(draft.texts)
    session = build_session(routine, speech, load_sounds(), live=True, draft=draft, defer=True)
    assert not set(draft.later) & set(session.speech)  # not waited for
    assert set(session.timeline.texts()) <= set(session.speech)
    with pytest.raises(ReplanError):
        session.replan(MIN_PACE, {})  # the slowest pace says more: not yet
    later = LaterSpeech(speech, draft.later).start()
    try:
        clips = taken(later)
    finally:
        later.close()
    assert set(clips) == set(draft.later)
    assert later.take() is None  # handed over once
    full: Session = session.with_speech(clips)  # type: ignore[arg-type]
    slowest = full.replan(MIN_PACE, {})
    assert set(slowest.texts()) <= set(full.speech)
    # a warm start holds them all at once, and plans the same session
    warm = SpeechCache(tmp_path, SpeechSettings())
    again = build_session(routine, warm, load_sounds(), live=True, defer=True)
    assert set(draft.later) <= set(again.speech)
    assert again.timeline == session.timeline
    assert again.replan(MIN_PACE, {}) == slowest


def test_closing_stops_the_rendering_and_kills_its_workers(tmp_path: Path) -> None:
    routine = load_routine("smr-full")
    speech = SpeechCache(tmp_path, SpeechSettings())
    texts = [*draft_session(routine, speech, load_sounds(), live=True).later]
    later = LaterSpeech(speech, texts).start()
    deadline = time.monotonic() + 30
    while not workers_of_this_process():
        assert time.monotonic() < deadline, "no worker was started"
        assert not later.done.is_set(), "rendered before any worker was seen"
        time.sleep(0.005)
    later.close()
    assert not later.thread.is_alive()
    assert workers_of_this_process() == []
    assert later.take() is None
    assert later.error is None


def test_a_failure_to_render_leaves_changes_unavailable_and_says_why(tmp_path: Path) -> None:
    class Broken:
        def render(self, text: str, settings: SpeechSettings) -> None:
            raise SpeechError("the engine fell over")

    def broken() -> Engine:
        return Broken()  # type: ignore[return-value]

    speech = SpeechCache(tmp_path, SpeechSettings(), engine_factory=broken)
    later = LaterSpeech(speech, ["One.", "Two."]).start()
    later.done.wait(30)
    assert later.take() is None
    assert isinstance(later.error, SpeechError)
    later.close()


def test_its_workers_run_at_a_lower_priority_than_the_session(tmp_path: Path) -> None:
    routine = load_routine("smr-full")
    speech = SpeechCache(tmp_path, SpeechSettings())
    later = LaterSpeech(speech, draft_session(routine, speech, load_sounds(), live=True).later)
    later.start()
    try:
        deadline = time.monotonic() + 30
        while not (workers := workers_of_this_process()):
            assert time.monotonic() < deadline, "no worker was started"
            time.sleep(0.005)
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert all(os.getpriority(os.PRIO_PROCESS, pid) > ours for pid in workers)
    finally:
        later.close()
