"""eSpeak NG's variants: listed, used after a +, and an unknown one refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import coach_command


def test_a_variant_after_plus_changes_the_voice_and_an_unknown_one_is_refused() -> None:
    """eSpeak NG itself speaks an unknown variant as the plain voice and says nothing; coach
    refuses it, and each variant it lists really changes how the voice sounds."""
    from coach.errors import VoiceError
    from coach.speech.engine import SpeechSettings
    from coach.speech.espeak import EspeakEngine

    engine = EspeakEngine()
    names = [name for name, _ in engine.variants()]
    assert {"f3", "m3"} <= set(names)
    plain = engine.render("Roll slowly.", SpeechSettings(voice="gmw/en-us")).pcm
    for variant in ("f3", "m3"):
        voice = f"gmw/en-us+{variant}"
        assert engine.voice(voice).id == voice
        assert engine.voice(voice).languages == engine.voice("gmw/en-us").languages
        spoken = engine.render("Roll slowly.", SpeechSettings(voice=voice)).pcm
        assert spoken != plain
        assert engine.render("Roll slowly.", SpeechSettings(voice=voice)).pcm == spoken
    with pytest.raises(VoiceError, match=r'unknown variant "nope".*gmw/en-us\+f3'):
        engine.voice("gmw/en-us+nope")
    with pytest.raises(VoiceError, match=r"did you mean gmw/en-us\+f3"):
        engine.voice("gmw/en-us+F3")
    with pytest.raises(VoiceError, match="unknown voice"):
        engine.voice("nope+f3")


def test_coach_lists_the_variants_and_refuses_a_wrong_one_in_one_line() -> None:
    listed = subprocess.run(
        [*coach_command(), "voices", "--variants"], capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines
    assert all(line.startswith("+") for line in lines)
    assert "+f3" in listed.stdout.split()
    wrong = subprocess.run(
        [*coach_command(), "show", "smr-legs", "--voice", "gmw/en-us+nope"],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 2
    assert not wrong.stdout
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "Traceback" not in wrong.stderr
    shown = subprocess.run(
        [*coach_command(), "show", "smr-legs", "--voice", "gmw/en-us+f3"],
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr


def test_a_variant_alone_varies_the_voice_the_routine_would_have() -> None:
    """``--voice +f3``: the voice the routine is spoken in without --voice, so varied (an
    English routine's is eSpeak NG's own, a German one's gmw/de); it once said 'unknown
    voice ""'."""
    import json

    from coach.speech.espeak import OWN_VOICE, EspeakEngine

    assert EspeakEngine().voice("+f3").id == f"{OWN_VOICE}+f3"
    for routine, variant, expected in (
        ("smr-legs", "+f3", f"{OWN_VOICE}+f3"),
        (str(Path(__file__).parents[2] / "routines" / "smr-legs-de.yaml"), "+m3", "gmw/de+m3"),
        ("smr-legs", "espeak:+f3", f"{OWN_VOICE}+f3"),
    ):
        shown = subprocess.run(
            [*coach_command(), "show", routine, "--voice", variant, "--json"],
            capture_output=True,
            text=True,
        )
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["voice"] == expected
    wrong = subprocess.run(
        [*coach_command(), "show", "smr-legs", "--voice", "+nope"], capture_output=True, text=True
    )
    assert wrong.returncode == 2
    assert not wrong.stdout
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert f"{OWN_VOICE}+f3" in wrong.stderr  # what it could be instead
