"""Real speech: pyttsx3 on eSpeak NG, the disk cache, and the driver's pitfalls under stress."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from coach.errors import SpeechError
from coach.speech import Pyttsx3Engine, SpeechCache, SpeechSettings


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


def test_renders_real_speech(engine: Pyttsx3Engine, capfd: pytest.CaptureFixture[str]) -> None:
    clip = engine.render("Roll slowly up and down.", SpeechSettings())
    assert clip.sample_rate_hz == 22_050
    assert 0.8 < clip.duration_s < 4.0
    assert clip.peak_dbfs() > -12  # audible speech, not silence
    assert capfd.readouterr().out == ""  # the driver's "Audio saved to" print is swallowed


def test_rate_changes_length(engine: Pyttsx3Engine) -> None:
    slow = engine.render("Keep breathing slowly.", SpeechSettings(rate_wpm=100))
    fast = engine.render("Keep breathing slowly.", SpeechSettings(rate_wpm=300))
    assert slow.duration_s > 1.8 * fast.duration_s


def test_stress_every_cue_renders_at_its_own_setting(engine: Pyttsx3Engine) -> None:
    """300 renders, rate and voice changing every few cues: none keeps the previous setting.

    pyttsx3 2.99 left about half of such renders at the old setting. Each render's
    length is compared with a reference rendered alone at its setting; a rate or
    voice that did not take changes the length far beyond eSpeak's own jitter.
    """
    texts = ["Roll slowly up and down the length of your thigh.", "Switch sides.", "Halfway."]
    settings = [
        SpeechSettings(voice=voice, rate_wpm=rate)
        for rate in (120, 230)
        for voice in ("gmw/en", "gmw/en-us", "roa/fr")
    ]
    reference = {(s, t): engine.render(t, s).frames for s in settings for t in texts}
    # the settings must be told apart by length, or the test could not fail
    for text in texts:
        lengths = sorted(reference[(s, text)] for s in settings)
        assert len(set(lengths)) == len(settings)
    rng = random.Random(7)
    wrong = []
    for i in range(300):
        setting = settings[(i // 3) % len(settings)]
        text = rng.choice(texts)
        frames = engine.render(text, setting).frames
        if abs(frames - reference[(setting, text)]) > 0.02 * reference[(setting, text)]:
            wrong.append((i, setting, text, frames, reference[(setting, text)]))
    assert wrong == []


def test_unknown_voice_is_a_clear_error(engine: Pyttsx3Engine) -> None:
    with pytest.raises(SpeechError, match='unknown voice "klingon"; `coach voices` lists'):
        engine.render("Hello.", SpeechSettings(voice="klingon"))


def test_empty_text_is_refused_not_looped(engine: Pyttsx3Engine) -> None:
    with pytest.raises(SpeechError, match="empty text"):
        engine.render("   ", SpeechSettings())


def test_rate_out_of_range() -> None:
    with pytest.raises(SpeechError, match="rate 20 words a minute is out of range"):
        SpeechSettings(rate_wpm=20)


def test_cache_second_run_renders_nothing(tmp_path: Path, engine: Pyttsx3Engine) -> None:
    texts = ["One.", "Two, three.", "Switch to the right side."]
    first = SpeechCache(tmp_path, SpeechSettings(rate_wpm=150), lambda: engine)
    clips = [first.clip(t) for t in texts]
    assert first.rendered == 3
    second = SpeechCache(tmp_path, SpeechSettings(rate_wpm=150), lambda: engine)
    assert [second.clip(t) for t in texts] == clips
    assert second.rendered == 0
    # a different rate is a different key
    other = SpeechCache(tmp_path, SpeechSettings(rate_wpm=200), lambda: engine)
    other.clip("One.")
    assert other.rendered == 1


def test_damaged_cache_entry_is_rendered_again(tmp_path: Path, engine: Pyttsx3Engine) -> None:
    cache = SpeechCache(tmp_path, SpeechSettings(), lambda: engine)
    clip = cache.clip("Breathe.")
    cache.path_for("Breathe.").write_bytes(b"RIFF broken")
    again = SpeechCache(tmp_path, SpeechSettings(), lambda: engine)
    assert again.clip("Breathe.").frames == pytest.approx(clip.frames, rel=0.02)
    assert again.rendered == 1


def test_voices_are_listed(engine: Pyttsx3Engine) -> None:
    ids = {v.id for v in engine.voices()}
    assert {"gmw/en", "gmw/en-us"} <= ids
