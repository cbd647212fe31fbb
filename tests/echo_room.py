"""A room that hears coach's speakers, simulated to the sample (used by tests and bench).

What the stream plays (22,050 Hz) reaches the microphone (16 kHz) through a small
room: a direct path 12 ms away, then a 0.3 s reverberant tail, ``delay_s`` after
the stream says it is heard, over a faint noise floor. ``through_listener`` feeds
coach's own ``Listener`` as a session does: the microphone's 20 ms blocks stamped
as they arrive (``jitter_s`` late at most), the stream's 10 ms blocks handed over
40 ms before they are heard, the spans coach speaks noted as they play.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import soxr

from coach.control.echo import KEEP_S, Canceller
from coach.control.listen import Listener
from coach.control.recogniser import SAMPLE_RATE_HZ, Heard, Recogniser
from coach.play.speaking import SpeakingLog

PLAYED_HZ = 22_050
T0 = 1000.0
"""The session's zero on the simulated monotonic clock."""
DELAY_S = 0.03
"""How much later than the stream says a sound is heard it reaches the room by default (a
buffer the session does not know of)."""


def room(rng: np.random.Generator) -> np.ndarray:
    """A small room's impulse response: the direct path at 12 ms, a 0.3 s RT60 tail."""
    n = round(0.35 * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    response = rng.normal(0, 1, n) * np.exp(-6.9 * t / 0.3) * 0.15
    direct = round(0.012 * SAMPLE_RATE_HZ)
    response[:direct] = 0.0
    response[direct] = 1.0
    return response


def convolve(signal: np.ndarray, response: np.ndarray) -> np.ndarray:
    """``signal`` through ``response`` (overlap-add FFT), as long as ``signal``."""
    step = 1 << 16
    size = 1 << int(np.ceil(np.log2(step + len(response))))
    spectrum = np.fft.rfft(response, size)
    out = np.zeros(len(signal) + size)
    for at in range(0, len(signal), step):
        part = np.fft.irfft(np.fft.rfft(signal[at : at + step], size) * spectrum, size)
        out[at : at + size] += part
    return out[: len(signal)]


def heard_in_room(
    played: np.ndarray, rng: np.random.Generator, delay_s: float = DELAY_S
) -> tuple[np.ndarray, float]:
    """``played`` (at ``PLAYED_HZ``) as the microphone hears it (16 kHz, float), and how loud
    its echo is against it (the room's gain). A negative ``delay_s``: heard before the
    stream says (a speaker that plays what it is given at once)."""
    response = room(rng)
    at_16k = np.asarray(soxr.resample(played.astype(np.float32), PLAYED_HZ, SAMPLE_RATE_HZ))
    echo = convolve(at_16k, response)
    late = round(delay_s * SAMPLE_RATE_HZ)
    if late >= 0:
        echo = np.concatenate([np.zeros(late), echo[: len(echo) - late]])
    else:
        echo = np.concatenate([echo[-late:], np.zeros(-late)])
    return echo + rng.normal(0, 20, len(echo)), float(np.sqrt(np.sum(response**2)))


def spans_of(played: np.ndarray) -> list[tuple[float, float]]:
    """Where the speakers sound (as the session's clips: a quiet 0.3 s inside one is kept)."""
    blocks = len(played) // 220
    loud = np.abs(played[: blocks * 220].reshape(blocks, 220)).max(axis=1) > 0
    spans: list[tuple[float, float]] = []
    for n in np.flatnonzero(loud):
        start, end = n * 220 / PLAYED_HZ, (n + 1) * 220 / PLAYED_HZ
        if spans and start - spans[-1][1] < 0.3:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def hand_over(log: SpeakingLog, played: np.ndarray, handed: int, stamp_s: float) -> int:
    """The stream's 10 ms blocks of ``played`` from frame ``handed`` on, handed to ``log`` as
    the stream hands them, 40 ms before they are heard, up to ``stamp_s`` into the session;
    the frames handed over by then."""
    while handed < len(played) and handed / PLAYED_HZ < stamp_s + 0.04:
        block = played[handed : handed + 220]
        log.played(T0 + handed / PLAYED_HZ, block.tobytes(), PLAYED_HZ)
        handed += len(block)
    return handed


def listener_for(how: type[Canceller] | None, lib: Any) -> Listener:
    """A listener with coach's canceller (``how``: ``Canceller`` or a kind of it), or none."""
    speaking = SpeakingLog()
    speaking.hears_sound = how is not None
    return Listener(Recogniser(), speaking, how(lib, speaking) if how else None)


def through_listener(
    listener: Listener, played: np.ndarray, mic: np.ndarray, jitter_s: float = 0.0
) -> list[Heard]:
    """What ``listener`` obeys of ``mic`` (times in seconds from the start), fed as a session
    feeds it; the stream's blocks and coach's spans from ``played``."""
    speaking = listener.speaking
    assert speaking is not None
    rng = np.random.default_rng(11)
    spans = spans_of(played)
    handed = 0  # stream frames handed over
    spoken = 0
    for n in range(len(mic) // 320):
        stamp = (n + 1) * 320 / SAMPLE_RATE_HZ
        handed = hand_over(speaking, played, handed, stamp)
        while spoken < len(spans) and spans[spoken][0] < stamp + 0.07:
            speaking.spoke(T0 + spans[spoken][0], T0 + spans[spoken][1])
            spoken += 1
        late = float(rng.uniform(0, jitter_s)) if jitter_s else 0.0
        listener.hear(T0 + stamp + late, mic[n * 320 : (n + 1) * 320].tobytes())
    if listener.canceller is not None:
        listener.canceller.close()
    return listener.heard


class CopyingReference:
    """What ``Reference`` held before it wrote in place: the whole of it copied on every
    block, then trimmed to the last ``KEEP_S``."""

    def __init__(self) -> None:
        self.samples = np.zeros(0, np.int16)
        self.t0 = 0.0

    def put(self, at: float, out: np.ndarray) -> None:
        index = round((at - self.t0) * SAMPLE_RATE_HZ)
        if not len(self.samples) or index < 0 or index > len(self.samples) + SAMPLE_RATE_HZ:
            self.samples, self.t0 = out, at
        else:
            gap = np.zeros(max(index - len(self.samples), 0), np.int16)
            self.samples = np.concatenate([self.samples[:index], gap, out])
        drop = len(self.samples) - round(KEEP_S * SAMPLE_RATE_HZ)
        if drop > 0:
            self.samples = self.samples[drop:]
            self.t0 += drop / SAMPLE_RATE_HZ
