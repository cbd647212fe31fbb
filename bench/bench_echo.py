"""A command said over coach's own cue: heard with speexdsp's echo canceller, or not at all.

What #28's "heard while coach speaks" would build on, measured before it is built. The
microphone hears coach's cues through a room (a direct path 12 ms away, then a 0.3 s
reverberant tail; deterministic), 30 ms later than the reference says (a buffer the
session does not know of), and each command word, said by five eSpeak NG voices, over
the middle of a cue. One continuous signal, as a session is: 15 s of cues first (the
canceller converges on them), then a cue with a command over it, 40 times. It is fed
to coach's ``Recogniser`` as heard (today's path, where the gate also drops it), and
through speexdsp's canceller given the exact signal the speakers played (what
``coach.play.stream`` holds, sample by sample), with its residual-echo suppressor.

"SER" is how loud the command is against coach's voice at the microphone. "Wrong or
twice": a command slot where another word (or one more) was heard. "Coach's own echo":
a command heard where none was said (the 15 s of cues alone, or a cue before its
command): coach obeying itself, which the live gate must keep dropping.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from typing import Any

import numpy as np
import soxr

from coach.control.recogniser import SAMPLE_RATE_HZ, WORDS, Recogniser
from coach.speech.engine import SpeechSettings
from coach.speech.espeak import start

FRAME = 160  # 10 ms, speexdsp's usual frame
FILTER_S = 0.256
"""The canceller's filter: the room's tail plus what the reference's timing may be off by."""
UNKNOWN_DELAY_S = 0.03
VOICES = ("gmw/en-us", "gmw/en", "gmw/en-gb-scotland", "gmw/en-029", "gmw/en-gb-x-rp")
CUES = (
    "Place the ball under your right calf and roll slowly from the knee down to the ankle.",
    "Cross your left leg over the right to add pressure, and breathe out as you hold.",
    "Switch sides. Move the ball under your left glute and let your weight sink into it.",
)
GAP_S = 1.6
_ECHO_SET_SAMPLING_RATE = 24
_PREPROCESS_SET_DENOISE = 0
_PREPROCESS_SET_ECHO_STATE = 24


def speexdsp() -> Any | None:
    name = ctypes.util.find_library("speexdsp")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    lib.speex_preprocess_state_init.restype = ctypes.c_void_p
    lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
    return lib


def cancel(lib: Any, mic: np.ndarray, played: np.ndarray) -> np.ndarray:
    """``mic`` less the echo of ``played`` (both int16, 16 kHz, the same length)."""
    echo = lib.speex_echo_state_init(FRAME, round(FILTER_S * SAMPLE_RATE_HZ))
    rate = ctypes.c_int(SAMPLE_RATE_HZ)
    lib.speex_echo_ctl(echo, _ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
    residual = lib.speex_preprocess_state_init(FRAME, SAMPLE_RATE_HZ)
    lib.speex_preprocess_ctl(residual, _PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(echo))
    off = ctypes.c_int(0)  # coach's recogniser suppresses noise itself
    lib.speex_preprocess_ctl(residual, _PREPROCESS_SET_DENOISE, ctypes.byref(off))
    out = np.zeros_like(mic)
    frame = np.zeros(FRAME, np.int16)
    try:
        for at in range(0, len(mic) - FRAME + 1, FRAME):
            heard = np.ascontiguousarray(mic[at : at + FRAME])
            reference = np.ascontiguousarray(played[at : at + FRAME])
            lib.speex_echo_cancellation(
                echo, heard.ctypes.data, reference.ctypes.data, frame.ctypes.data
            )
            lib.speex_preprocess_run(residual, frame.ctypes.data)
            out[at : at + FRAME] = frame
    finally:
        lib.speex_preprocess_state_destroy(residual)
        lib.speex_echo_state_destroy(echo)
    return out


def to_16k(clip: Any) -> np.ndarray:
    samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
    return np.asarray(soxr.resample(samples, clip.sample_rate_hz, SAMPLE_RATE_HZ), np.float64)


def room(rng: np.random.Generator) -> np.ndarray:
    """A small room's impulse response: the direct path at 12 ms, a 0.3 s RT60 tail."""
    n = round(0.35 * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    response = rng.normal(0, 1, n) * np.exp(-6.9 * t / 0.3) * 0.15
    direct = round(0.012 * SAMPLE_RATE_HZ)
    response[:direct] = 0.0
    response[direct] = 1.0
    return response


def session(
    cues: list[np.ndarray], words: dict[tuple[str, str], np.ndarray], ser_db: float, seed: int
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, float, float]]]:
    """What the speakers played, what the microphone heard, and each command's slot."""
    rng = np.random.default_rng(seed)
    played: list[np.ndarray] = []
    said: list[np.ndarray] = []
    slots: list[tuple[str, float, float]] = []
    length = 0
    for cue in cues * 3:  # 15 s of coach alone first
        played.append(np.concatenate([cue, np.zeros(round(0.9 * SAMPLE_RATE_HZ))]))
        said.append(np.zeros(len(played[-1])))
        length += len(played[-1])
    response = room(rng)
    gain = float(np.sqrt(np.sum(response**2)))  # the echo's level against the cue's
    for n, ((_voice, word), speech) in enumerate(words.items()):
        cue = cues[n % len(cues)]
        part = np.concatenate([cue, np.zeros(round(GAP_S * SAMPLE_RATE_HZ))])
        command = np.zeros(len(part))
        at = round(rng.uniform(0.3, 0.7) * len(cue))
        voiced = speech[np.abs(speech) > 100]
        level = np.sqrt(np.mean(cue**2)) * gain * 10 ** (ser_db / 20) / np.sqrt(np.mean(voiced**2))
        command[at : at + len(speech)] = speech * level
        played.append(part)
        said.append(command)
        slots.append((word, (length + at) / SAMPLE_RATE_HZ, (length + len(part)) / SAMPLE_RATE_HZ))
        length += len(part)
    out = np.concatenate(played)
    echo = np.convolve(out, response)[: len(out)]
    late = round(UNKNOWN_DELAY_S * SAMPLE_RATE_HZ)
    echo = np.concatenate([np.zeros(late), echo[: len(echo) - late]])
    floor = rng.normal(0, 20, len(out))
    mic = np.clip(np.concatenate(said) + echo + floor, -32768, 32767).astype(np.int16)
    return out.astype(np.int16), mic, slots


def recognise(mic: np.ndarray) -> list[tuple[str, float]]:
    recogniser = Recogniser()
    heard = []
    for at in range(0, len(mic), 320):
        for h in recogniser.feed(mic[at : at + 320].tobytes()):
            heard.append((h.word, (at + 320) / SAMPLE_RATE_HZ))
    return heard


def main() -> None:
    lib = speexdsp()
    if lib is None:
        print("libspeexdsp is not installed (./setup.sh installs it): nothing measured")
        return
    engine = start()
    cues = [to_16k(engine.render(text, SpeechSettings())) for text in CUES]
    words = {
        (voice, word): to_16k(engine.render(word, SpeechSettings(voice=voice)))
        for voice in VOICES
        for word in WORDS
    }
    print(
        "| command over a cue | SER | right | wrong or twice | coach's own echo taken for one "
        "| canceller CPU (one core) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for ser_db in (0.0, -6.0):
        played, mic, slots = session(cues, words, ser_db, seed=3)
        cpu = time.process_time()
        cancelled = cancel(lib, mic, played)
        cost = (time.process_time() - cpu) / (len(mic) / SAMPLE_RATE_HZ)
        for name, signal, share in (("as heard", mic, "—"), ("speexdsp", cancelled, f"{cost:.1%}")):
            heard = recognise(signal)
            right = sum(
                [w for w, t in heard if begin < t <= end] == [word] for word, begin, end in slots
            )
            own = sum(not any(begin < t <= end for _, begin, end in slots) for _, t in heard)
            print(
                f"| {name} | {ser_db:+.0f} dB | {right}/{len(slots)} "
                f"| {len(heard) - right - own} | {own} | {share} |"
            )
