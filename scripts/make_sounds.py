"""Make the chimes in sounds/: short bell tones, faded in and out so they never click.

Run with `make sounds`. Deterministic: the same code writes the same files.
Levels sit a few LU under the speech (about -16 LUFS, as phones expect): a chime
is heard over a fan, yet never startles or masks a cue (`make bench`'s loudness
figures measure both).
"""

from __future__ import annotations

import array
import math
from pathlib import Path

from coach.audio import SAMPLE_RATE_HZ, Clip, samples_to_pcm, write_wav_atomic

PEAK_DBFS = -5.0
FADE_IN_S = 0.008
FADE_OUT_S = 0.06
# A struck bell's partials: ratios to the fundamental and their relative levels.
BELL = ((1.0, 1.0), (2.0, 0.35), (2.76, 0.25), (5.4, 0.08))


def bell(freq_hz: float, length_s: float, decay_s: float) -> list[float]:
    frames = round(length_s * SAMPLE_RATE_HZ)
    out = []
    for i in range(frames):
        t = i / SAMPLE_RATE_HZ
        tone = sum(level * math.sin(2 * math.pi * freq_hz * ratio * t) for ratio, level in BELL)
        # higher partials die away faster, as on a real bell
        out.append(tone * math.exp(-t / decay_s))
    return out


def sequence(notes: list[tuple[float, float]], length_s: float, decay_s: float) -> list[float]:
    """Bell notes (frequency, start) mixed into one clip."""
    frames = round(length_s * SAMPLE_RATE_HZ)
    mix = [0.0] * frames
    for freq_hz, start_s in notes:
        offset = round(start_s * SAMPLE_RATE_HZ)
        for i, value in enumerate(bell(freq_hz, length_s - start_s, decay_s)):
            if offset + i < frames:
                mix[offset + i] += value
    return mix


def finish(signal: list[float], peak_dbfs: float = PEAK_DBFS) -> Clip:
    """Fade both ends (no click) and scale to the target peak."""
    n = len(signal)
    fade_in = round(FADE_IN_S * SAMPLE_RATE_HZ)
    fade_out = round(FADE_OUT_S * SAMPLE_RATE_HZ)
    for i in range(fade_in):
        signal[i] *= i / fade_in
    for i in range(fade_out):
        signal[n - 1 - i] *= i / fade_out
    peak = max(abs(v) for v in signal)
    scale = 32767 * 10 ** (peak_dbfs / 20) / peak
    return Clip(samples_to_pcm(array.array("h", (round(v * scale) for v in signal))))


def tick() -> list[float]:
    """A short, dry knock, like a wood block: counts beats and the last seconds."""
    frames = round(0.07 * SAMPLE_RATE_HZ)
    return [
        math.sin(2 * math.pi * 1600 * i / SAMPLE_RATE_HZ) * math.exp(-i / SAMPLE_RATE_HZ / 0.012)
        for i in range(frames)
    ]


SOUNDS = {
    # one short, low bell: the session opens (heard at once, while the voice gets ready)
    "open": lambda: sequence([(392.0, 0.0)], 0.35, 0.1),
    # a single soft bell: switch sides
    "switch": lambda: sequence([(659.3, 0.0)], 1.2, 0.35),
    # two rising notes: begin the hold
    "start": lambda: sequence([(523.3, 0.0), (784.0, 0.12)], 0.8, 0.22),
    # three rising notes, longer ring: the session is over
    "finish": lambda: sequence([(523.3, 0.0), (659.3, 0.18), (784.0, 0.36)], 1.8, 0.5),
    # two falling low notes: rest between rounds
    "rest": lambda: sequence([(440.0, 0.0), (329.6, 0.15)], 0.9, 0.25),
}
QUIET = {"tick": (tick, -11.0)}
"""Sounds made softer than the chimes: heard often, they must never tire."""


def main() -> None:
    folder = Path(__file__).resolve().parent.parent / "sounds"
    folder.mkdir(exist_ok=True)
    made = {name: (make, PEAK_DBFS) for name, make in SOUNDS.items()} | QUIET
    for name, (make, peak) in made.items():
        clip = finish(make(), peak)
        write_wav_atomic(folder / f"{name}.wav", clip)
        print(f"{name}.wav: {clip.duration_s:.2f}s, peak {clip.peak_dbfs():.1f} dBFS")


if __name__ == "__main__":
    main()
