"""coach.testing: every built-in kind keeps the contract a plugin's author checks theirs with,
and the contract checks fail on a kind that breaks it."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import mutagen
import pytest

from coach.audio import Clip
from coach.control.sources import SOURCES, SourceContext
from coach.export.formats import FORMATS
from coach.speech.engine import ENGINES, EngineKind, SpeechSettings
from coach.testing import (
    RAW,
    ToneEngine,
    check_engine,
    check_format,
    check_settings,
    check_source,
    tone_session,
)


@pytest.mark.parametrize("name", ["espeak", "tones"])
def test_an_engine_keeps_the_contract(name: str) -> None:
    kind = (
        ENGINES.load("espeak")
        if name == "espeak"
        else dataclasses.replace(
            ENGINES.load("espeak"), name="tones", start=ToneEngine, identity=lambda: "tones-1"
        )
    )
    check_engine(kind)


@pytest.mark.parametrize("name", sorted(SOURCES.built_in))
def test_each_built_in_source_keeps_the_contract(name: str) -> None:
    timeline = tone_session().timeline
    # no terminal, no session bus, no microphone asked for: each opens as None or as itself
    check_source(SOURCES.load(name), SourceContext(io.StringIO(), {}, timeline))


@pytest.mark.parametrize("name", sorted(FORMATS.built_in))
def test_each_built_in_format_keeps_the_contract(name: str, tmp_path: Path) -> None:
    path = check_format(FORMATS.load(name), tmp_path)
    if name != "wav":  # WAV carries no tags; every other built-in format names the session
        tags = mutagen.File(path).tags
        assert tags is not None
        assert len(tags.keys()) > 0


def test_the_raw_format_keeps_the_contract(tmp_path: Path) -> None:
    check_format(RAW, tmp_path)


class SilentEngine(ToneEngine):
    def render(self, text: str, settings: SpeechSettings) -> Clip:
        return Clip(bytes(2 * 22_050))


class ForgivingEngine(ToneEngine):
    def render(self, text: str, settings: SpeechSettings) -> Clip:
        return super().render(text, dataclasses.replace(settings, voice=None))


@pytest.mark.parametrize(
    ("engine", "broken"),
    [(SilentEngine, "it is heard"), (ForgivingEngine, "unknown voice must raise VoiceError")],
)
def test_the_engine_contract_fails_an_engine_that_breaks_it(
    engine: type[ToneEngine], broken: str
) -> None:
    kind = EngineKind("bad", start=engine, identity=lambda: "bad-1")
    with pytest.raises(AssertionError, match=broken):
        check_engine(kind)


def test_the_format_contract_fails_a_format_that_takes_any_rate(tmp_path: Path) -> None:
    loose = dataclasses.replace(RAW, sample_rates_hz=(7, 22_050))
    with pytest.raises(AssertionError, match="must be refused"):
        check_format(loose, tmp_path)


def test_the_settings_contract_fails_a_default_its_parser_refuses() -> None:
    from coach.settings import Key, flag

    with pytest.raises(AssertionError, match="its default is refused"):
        check_settings((Key("loud", "Louder.", flag, "very"),))
