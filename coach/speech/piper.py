"""The neural engine: Piper-format voices (``.onnx`` + ``.onnx.json``) run by ONNX Runtime.

Optional (``pip install 'floorcoach[neural]'``). A Piper voice is a VITS model that
turns phoneme ids into audio, and a config that says how: its sample rate, its
eSpeak NG voice, its phoneme → id map and its inference scales. The text is
turned into phonemes by the eSpeak NG coach already renders with (what the
voices were trained on), each sentence into ids as Piper does (``^``, then each
phoneme followed by the pad ``_``, then ``$``), and ONNX Runtime runs the model.

Voices are the user's own (``piper_voices``: where they are found, how they are
read, and the digest of their content that keys the cache).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coach import DISTRIBUTION
from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.errors import SpeechError, UsageError, VoiceError
from coach.settings import Key, flag
from coach.speech.engine import DEFAULT_RATE_WPM, Engine, EngineKind, SpeechSettings, Voice
from coach.speech.piper_voices import (
    BOS,
    EOS,
    PAD,
    PiperVoice,
    config_path,
    find_voice,
    found_voices,
    got_licence,
    no_voice,
    voice_for,
    voice_key,
    voices_folder,
)

NAME = "piper"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(r"([,;:.!?]+)")


class NeuralMissingError(UsageError):
    """The neural extra (ONNX Runtime) is not installed."""

    def __init__(self) -> None:
        super().__init__(
            f"neural voices need the neural extra: pip install '{DISTRIBUTION}[neural]' "
            "(into coach's own environment, e.g. .venv/bin/pip install -e '.[neural]')"
        )


GRAPH = "graph as stored"
"""How the model's graph is run: as stored, without ONNX Runtime's optimisations. They
cost 0.14-0.27 s of each load (0.21-0.34 s against 0.07 s for a medium voice) and saved
nothing of the synthesis (RTF 0.08 either way): `python -m bench voices` measures both.
Part of the cache's key, as the audio may differ in its last bits."""


def runtime_identity() -> str:
    """ONNX Runtime's version (without importing it: the warm start stays cheap)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"onnxruntime {version('onnxruntime')}, {GRAPH}"
    except PackageNotFoundError:
        return "onnxruntime missing"


class PiperEngine:
    """Piper voices through ONNX Runtime: each voice's model is loaded once, when first used."""

    def __init__(self) -> None:
        # ONNX Runtime is imported when a voice is first loaded: a warm start never pays for
        # it, and listing voices or playing cached speech works without the extra
        self._sessions: dict[Path, tuple[PiperVoice, Any]] = {}
        self._named: dict[str, tuple[PiperVoice, Any]] = {}
        """Each voice as settings name it: found (a folder searched) once, not once a cue."""
        self._lock = threading.Lock()

    def voices(self) -> tuple[Voice, ...]:
        return tuple(_listed(v) for v in found_voices())

    def voice(self, voice: str) -> Voice:
        """The voice ``voice`` names (an id or a path), as ``coach voices`` lists it.

        Raises:
            VoiceError: there is none, or it is damaged.
        """
        return _listed(find_voice(voice))

    def _session(self, voice: str) -> tuple[PiperVoice, Any]:
        if voice in self._named:
            return self._named[voice]
        found = find_voice(voice)
        key = found.model.resolve()
        if key not in self._sessions:
            # ONNX Runtime's own telemetry (1.29 on) writes a device id into the user's cache
            # and uploads events as it is imported; coach is offline and private. Its
            # documented opt-out must be set before the import, and it lasts the process.
            os.environ["ORT_DISABLE_TELEMETRY"] = "1"
            try:
                import onnxruntime
            except ImportError as err:
                raise NeuralMissingError() from err
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1  # the workers are the parallelism: one per core
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
            try:
                session = onnxruntime.InferenceSession(
                    str(found.model), options, providers=["CPUExecutionProvider"]
                )
            except Exception as err:  # onnxruntime's own exception types, not exported
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                if isinstance(err, MemoryError) or "bad_alloc" in first:
                    raise SpeechError(f"{found.model}: out of memory loading the voice") from err
                raise VoiceError(
                    f"{found.model}: the voice's model cannot be loaded ({first[:160]}); "
                    "download the voice again"
                ) from err
            names = {i.name for i in session.get_inputs()}
            if not {"input", "input_lengths", "scales"} <= names:
                raise VoiceError(
                    f"{found.model}: is not a Piper voice (its model takes {sorted(names)}); "
                    "give a Piper voice's .onnx"
                )
            self._sessions[key] = (found, session)
        self._named[voice] = self._sessions[key]
        return self._named[voice]

    def phoneme_ids(self, voice: PiperVoice, text: str) -> list[list[int]]:
        """``text`` as Piper's ids, one list per sentence (symbols the voice lacks are left out).

        As Piper phonemizes: eSpeak NG's IPA for each clause, its punctuation kept
        after it (a comma, then a space), decomposed (NFD: "ç" is "c" and a cedilla).

        Raises:
            VoiceError: the voice's config names an eSpeak NG voice there is not.
        """
        return [ids for said in _sentences(voice, text) if (ids := self._ids(voice, said))]

    def _ids(self, voice: PiperVoice, phonemes: str) -> list[int]:
        known, pad = voice.phoneme_ids, voice.phoneme_ids[PAD]
        ids = [known[BOS]]
        for symbol in unicodedata.normalize("NFD", phonemes):
            if symbol in known:
                ids += [known[symbol], pad]
        ids.append(known[EOS])
        return ids if len(ids) > 2 else []

    def render(self, text: str, settings: SpeechSettings) -> Clip:
        """``text`` in the voice, at ``settings.rate_wpm`` (as the voice's length scale).

        Raises:
            VoiceError: no such voice, or it cannot be loaded.
            SpeechError: the model failed, or said nothing.
        """
        if settings.voice is None:
            raise no_voice()
        import numpy as np

        with self._lock:
            voice, session = self._session(settings.voice)
            length = voice.length_scale * DEFAULT_RATE_WPM / settings.rate_wpm
            pieces = []
            for ids in self.phoneme_ids(voice, text):
                inputs = {
                    "input": np.array([ids], dtype=np.int64),
                    "input_lengths": np.array([len(ids)], dtype=np.int64),
                    "scales": np.array([voice.noise_scale, length, voice.noise_w], np.float32),
                }
                if voice.speakers > 1:
                    inputs["sid"] = np.array([0], dtype=np.int64)
                try:
                    audio = session.run(None, inputs)[0]
                except MemoryError as err:
                    raise SpeechError(f"{voice.model}: out of memory speaking {text!r}") from err
                except Exception as err:  # a model that loads but cannot run: damaged
                    raise VoiceError(
                        f"{voice.model}: the voice failed on {text!r} ({str(err)[:160]}); "
                        "download the voice again"
                    ) from err
                pieces.append(np.asarray(audio, dtype=np.float32).reshape(-1))
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
        if not len(samples) or not np.any(samples):
            raise SpeechError(f'the voice {voice.id} produced no audio for "{text}"')
        if voice.sample_rate_hz != SAMPLE_RATE_HZ:
            import soxr

            samples = soxr.resample(samples, voice.sample_rate_hz, SAMPLE_RATE_HZ, quality="HQ")
        pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
        return Clip(pcm.tobytes(), SAMPLE_RATE_HZ)


def _sentences(voice: PiperVoice, text: str) -> list[str]:
    """Each sentence of ``text`` as the phonemes Piper would give its voice."""
    from coach.speech.espeak import phonemes

    sentences = []
    for sentence in _SENTENCE.split(text.strip()):
        spoken = ""
        for part in _CLAUSE.split(sentence):
            if _CLAUSE.fullmatch(part):
                spoken = spoken.rstrip() + part + " "
            elif part.strip():
                try:
                    spoken += " ".join(phonemes(part, voice.espeak_voice)) + " "
                except VoiceError as err:
                    raise VoiceError(
                        f"{config_path(voice.model)}: asks for eSpeak NG's voice "
                        f"{voice.espeak_voice!r}, which this eSpeak NG does not have; "
                        "download the voice again, or install espeak-ng"
                    ) from err
        sentences.append(spoken.strip())
    return sentences


def _listed(voice: PiperVoice) -> Voice:
    licence = got_licence(voice)
    data = f"data: {licence}, " if licence else ""
    return Voice(voice.id, f"{voice.language}, Piper, {data}{voice.model}", (voice.language,))


def credit(voice: str | None) -> str:
    """The voice that speaks an exported file, and its data's licence and credit where
    `coach voices get` recorded them (a voice of the user's own: its id only)."""
    if voice is None:
        return ""
    try:
        found = find_voice(voice)
    except VoiceError:
        return ""
    licence = got_licence(found)
    data = f"; data: {licence}" if licence else ""
    return f"Spoken by the Piper voice {found.id}{data}"


def prefer(language: str, options: Mapping[str, Any]) -> str | None:
    """The user's voice for ``language`` that their settings prefer: with ``neural`` unset,
    one that ``coach voices get`` got (so the voice you get is the voice you hear), when
    the neural extra is there to speak it; ``true``, any of theirs; ``false``, none."""
    neural = options.get("neural")
    if neural is False:
        return None
    if neural:
        return voice_for(language)
    from importlib.util import find_spec

    if find_spec("onnxruntime") is None:
        return None
    return voice_for(language, got_only=True)


def voices_url(value: Any) -> str:
    """An http(s) URL, as the voices-url setting must be."""
    from urllib.parse import urlsplit

    url = str(value).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL (a Piper voice repository)")
    return url


def start() -> Engine:
    return PiperEngine()


ENGINE = EngineKind(
    NAME,
    start=start,
    identity=runtime_identity,
    parallel=True,
    default_voice=voice_for,
    voice_key=voice_key,
    one_language=True,
    get_voices=lambda: (
        f"put a voice's X.onnx and X.onnx.json in {voices_folder()}, or name one with "
        "--voice piper:PATH (the README's Neural voices says where to get one)"
    ),
    settings=(
        Key(
            "neural",
            "Speak with your Piper voice for the routine's language: unset, one that "
            "`coach voices get` got; true, any of yours; false, never "
            f"(needs {DISTRIBUTION}[neural]).",
            flag,
            None,
            unset="the voices you got",
        ),
        Key(
            "voices-url",
            "Where `coach voices get` fetches voices: a Piper voice repository "
            "(its voices.json at the root), a mirror of it, or a folder served over HTTP.",
            voices_url,
            None,
            unset="Piper's own",
        ),
    ),
    prefer=prefer,
    credit=credit,
)
