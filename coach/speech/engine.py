"""The speech-engine seam: what an engine does, and the registry that names the engines.

An engine turns one text into one clip, from one thread. The cache, the worker
processes and ``coach voices`` work for any engine through this seam: a new one
is a module that defines ``ENGINE = EngineKind(...)`` plus one line, in
``BUILT_IN`` below or as a ``coach.engines`` entry point of another package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from coach.audio import Clip
from coach.errors import SpeechError, VoiceError
from coach.registry import Registry
from coach.settings import Key

DEFAULT_ENGINE = "espeak"
DEFAULT_RATE_WPM = 160
MIN_RATE_WPM = 80
MAX_RATE_WPM = 400

BUILT_IN = {
    "espeak": "coach.speech.espeak",
    "piper": "coach.speech.piper",  # needs the neural extra (ONNX Runtime) to start
}
"""The engines coach ships: name → the module that defines its ``ENGINE``."""


@dataclass(frozen=True, slots=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpeechSettings:
    voice: str | None = None
    rate_wpm: int = DEFAULT_RATE_WPM
    engine: str = DEFAULT_ENGINE

    def __post_init__(self) -> None:
        if not MIN_RATE_WPM <= self.rate_wpm <= MAX_RATE_WPM:
            raise SpeechError(
                f"rate {self.rate_wpm} words a minute is out of range; "
                f"use {MIN_RATE_WPM} to {MAX_RATE_WPM} (default {DEFAULT_RATE_WPM})"
            )


class Engine(Protocol):
    """A running engine: used from the one thread that started it."""

    def voices(self) -> tuple[Voice, ...]: ...

    def render(self, text: str, settings: SpeechSettings) -> Clip:
        """``text`` spoken at ``settings`` as a 22,050 Hz mono clip.

        Raises:
            VoiceError: the settings name a voice this engine does not have.
            SpeechError: the engine failed.
        """
        ...


@dataclass(frozen=True, slots=True)
class EngineKind:
    """An engine as the registry knows it, before it is started (starting may be slow)."""

    name: str
    start: Callable[[], Engine]
    identity: Callable[[], str]
    """What its audio depends on besides text, voice and rate (a version, a library),
    cheap to ask: it keys the cache, so a warm start never starts the engine."""
    parallel: bool = False
    """Worker processes may render for it, each with an engine of its own."""
    default_voice: Callable[[str], str | None] = lambda language: None
    """The voice that speaks a language tag by default (None: the engine's own default)."""
    voice_key: Callable[[str | None], str] = lambda voice: voice or "default"
    """What a voice's audio depends on, for the cache: its name, or its file's content."""
    one_language: bool = False
    """A voice speaks its own language only: a routine in another is refused, not warned of."""
    get_voices: Callable[[], str] = lambda: ""
    """How to get voices, said when the user has none (empty: the engine has its own)."""
    settings: tuple[Key, ...] = ()
    """What it can be told: config settings (and options, where a key names its commands)."""
    credit: Callable[[str | None], str] = lambda voice: ""
    """What an exported file's comment says of a voice: which it is, and the licence of its
    data with the credit it needs (empty: nothing to say, as for eSpeak NG's own)."""
    prefer: Callable[[str, Mapping[str, Any]], str | None] = lambda language, options: None
    """A voice of its own that the user's settings (its ``settings`` in force, by name) prefer
    for a language over the default engine's; None: none."""


ENGINES: Registry[EngineKind] = Registry(
    "speech engine", EngineKind, BUILT_IN, "coach.engines", attr="ENGINE"
)


engine_names = ENGINES.names
"""Every engine's name: the built-in ones, then those of installed packages."""
engine_kind = ENGINES.load
"""The engine of this name (UsageError: none has it; CoachError: it cannot load)."""


def split_voice(voice: str | None, engine: str) -> tuple[str | None, str]:
    """``--voice piper:PATH`` → (``PATH``, ``piper``): a voice may name its engine.

    Raises:
        UsageError: it names an engine that is not the one asked for.
    """
    if voice is None:
        return None, engine
    prefix, colon, rest = voice.partition(":")
    if not colon or (prefix not in ENGINES.built_in and prefix not in engine_names()):
        return voice, engine
    return rest, prefix


def voice_named(engine: Engine, voice: str) -> Voice:
    """The engine's voice with this id or name.

    Raises:
        VoiceError: there is none.
    """
    for known in engine.voices():
        if voice in (known.id, known.name):
            return known
    raise VoiceError(f'unknown voice "{voice}"; `coach voices` lists the voices you have')
