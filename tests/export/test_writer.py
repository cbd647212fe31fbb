"""File export: a real session rendered, decoded back and measured against its timeline."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from coach.audio import Clip
from coach.errors import OutputError
from coach.export.writer import export_session, sample_offset
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import EventKind, Sound
from tests.conftest import SHORT


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    speech = SpeechCache(tmp_path_factory.mktemp("speech"), SpeechSettings())
    return build_session(load_routine(SHORT), speech, load_sounds(), pace=2.0)


def decode(path: Path) -> Clip:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22_050)
        return Clip(wav.readframes(wav.getnframes()), wav.getframerate())


def test_export_matches_the_timeline_sample_for_sample(session: Session, tmp_path: Path) -> None:
    target = tmp_path / "session.wav"
    result = export_session(session, target)
    audio = decode(target)
    timeline = session.timeline
    assert audio.frames == result.frames == sample_offset(timeline.total_s)
    pcm = audio.pcm
    cursor = 0
    switch_seen = 0
    for event in timeline.events:
        start = sample_offset(event.at_s)
        # between clips: digital silence
        assert pcm[cursor * 2 : start * 2] == bytes((start - cursor) * 2)
        clip = session.clip(event)
        segment = pcm[start * 2 : (start + clip.frames) * 2]
        assert segment == clip.pcm, event
        if event.kind is EventKind.SAY:
            assert Clip(segment).peak_dbfs() > -15, event.text  # speech where planned
        if event.sound is Sound.SWITCH:
            switch_seen += 1
            changes = [w for w in timeline.switches if w.start_s == event.at_s]
            assert changes
            assert any(h.start_s == changes[0].end_s for h in timeline.holds)
        cursor = start + clip.frames
    assert switch_seen == 2
    assert pcm[cursor * 2 :] == bytes(len(pcm) - cursor * 2)


def test_levels_chimes_just_under_speech(session: Session) -> None:
    sounds = load_sounds()
    speech = [session.clip(e) for e in session.timeline.events if e.kind is EventKind.SAY]
    loudest_chime = max(c.peak_dbfs() for c in sounds.values())
    assert loudest_chime <= -4
    speech_rms = sorted(c.rms_dbfs() for c in speech)
    median_speech = speech_rms[len(speech_rms) // 2]
    # under the voice, but not by so much that a switch is missed over a fan
    assert median_speech - 10 < max(c.rms_dbfs() for c in sounds.values()) < median_speech
    for clip in sounds.values():
        samples = clip.samples()
        # faded in and out: no click at either end
        assert abs(samples[0]) < 50
        assert abs(samples[-1]) < 50


def test_refuses_to_overwrite(session: Session, tmp_path: Path) -> None:
    target = tmp_path / "keep.wav"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists; use --force to replace it"):
        export_session(session, target)
    assert target.read_bytes() == b"precious"
    export_session(session, target, force=True)
    assert decode(target).frames == sample_offset(session.timeline.total_s)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("session.mp4", "cannot write '.mp4' files; use .wav"),
        ("missing/session.wav", "no such folder; create it first"),
    ],
)
def test_bad_targets(session: Session, tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(OutputError, match=message):
        export_session(session, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
