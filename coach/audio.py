"""Audio values: immutable mono 16-bit clips, read from and written to WAV files."""

from __future__ import annotations

import array
import math
import sys
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.errors import CoachError
from coach.files import replacing

SAMPLE_RATE_HZ = 22_050
"""The session's sample rate: eSpeak NG's own, so speech is never resampled."""
SAMPLE_WIDTH = 2


@dataclass(frozen=True, slots=True)
class Clip:
    """Mono signed 16-bit little-endian PCM."""

    pcm: bytes
    sample_rate_hz: int = SAMPLE_RATE_HZ

    @property
    def frames(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz

    def samples(self) -> array.array[int]:
        return pcm_to_samples(self.pcm)

    def peak_dbfs(self) -> float:
        peak = max((abs(v) for v in self.samples()), default=0)
        return 20 * math.log10(peak / 32768) if peak else -math.inf

    def rms_dbfs(self) -> float:
        values = self.samples()
        if not values:
            return -math.inf
        rms = math.sqrt(sum(v * v for v in values) / len(values))
        return 20 * math.log10(rms / 32768) if rms else -math.inf


def pcm_to_samples(pcm: bytes | memoryview) -> array.array[int]:
    """16-bit little-endian PCM as numbers (numpy would cost a warm start its import)."""
    values = array.array("h")
    values.frombytes(pcm)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def samples_to_pcm(values: array.array[int]) -> bytes:
    """16-bit samples as little-endian PCM (``pcm_to_samples`` back again)."""
    if sys.byteorder == "big":
        values = array.array("h", values)
        values.byteswap()
    return values.tobytes()


def read_wav(path: Path) -> Clip:
    """A mono 16-bit WAV file as a clip.

    Raises:
        CoachError: the file is not a mono 16-bit PCM WAV, or holds fewer samples
            than its header says (cut short).
    """
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != SAMPLE_WIDTH:
                raise CoachError(f"{path}: must be mono 16-bit PCM WAV")
            frames = wav.getnframes()
            pcm = wav.readframes(frames)
            rate = wav.getframerate()
    except (wave.Error, EOFError) as err:
        raise CoachError(f"{path}: not a readable WAV file ({err})") from err
    if len(pcm) != frames * SAMPLE_WIDTH:
        # the header says how much was stored; a file cut short holds less
        raise CoachError(
            f"{path}: truncated: {len(pcm) // SAMPLE_WIDTH} of its {frames} samples are there"
        )
    return Clip(pcm, rate)


def write_wav_atomic(path: Path, clip: Clip) -> None:
    """Write a WAV so that readers see the whole file or none of it."""
    with replacing(path) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(clip.sample_rate_hz)
        wav.writeframes(clip.pcm)


SPEECH_RMS_DBFS = -12.0
"""Every spoken clip is brought to this loudness (RMS over its voiced parts), its peaks
limited: a session then measures about -16 LUFS integrated, as podcasts and phone players
expect (smr-legs with eSpeak NG: -16.3 LUFS; `make bench` measures it)."""
PEAK_CEILING_DBFS = -3.0
"""No spoken sample goes above this, so that even after lossy encoding (Vorbis and Opus add
up to about 1 dB to peaks) an exported file's true peak stays under -1 dBTP."""
_GATE_DBFS = -45.0
_FRAME_S = 0.02


def active_rms_dbfs(clip: Clip) -> float:
    """RMS over the 20 ms frames louder than a gate: the loudness of the voice, not the pauses."""
    import numpy as np  # here, not at the top: a warm start never needs it (first sound < 300 ms)

    values = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / 32768
    size = max(1, round(_FRAME_S * clip.sample_rate_hz))
    usable = len(values) - len(values) % size
    if usable == 0:
        return -math.inf
    frames = values[:usable].reshape(-1, size)
    power = (frames**2).mean(axis=1)
    voiced = power[power > 10 ** (_GATE_DBFS / 10)]
    if len(voiced) == 0:
        return -math.inf
    return float(10 * np.log10(voiced.mean()))


def level_speech(clip: Clip) -> Clip:
    """The clip at one consistent loudness, its few high peaks limited under the ceiling."""
    import numpy as np

    loudness = active_rms_dbfs(clip)
    if loudness == -math.inf:
        return clip
    values = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
    values *= 10 ** ((SPEECH_RMS_DBFS - loudness) / 20)
    values = limit(values, 32768 * 10 ** (PEAK_CEILING_DBFS / 20), clip.sample_rate_hz)
    leveled = np.clip(np.round(values), -32768, 32767).astype("<i2")
    return Clip(leveled.tobytes(), clip.sample_rate_hz)


LIMIT_WINDOW_S = 0.01
"""How smoothly the limiter turns a peak down: over this much time, before and after it."""


def limit(values: Any, ceiling: float, sample_rate_hz: int) -> Any:
    """``values`` with every sample under ``ceiling``: the gain dips smoothly around each peak
    (a look-ahead limiter: no clipping, no click), and is 1 wherever nothing is too loud.

    The gain each sample needs, taken as the least over its block and both neighbours,
    then averaged over a block's width: never more than any sample in reach needs.
    """
    import numpy as np

    magnitude = np.abs(values)
    if len(values) == 0 or magnitude.max() <= ceiling:
        return values
    block = max(1, round(LIMIT_WINDOW_S * sample_rate_hz / 2))
    needed = np.minimum(1.0, ceiling / np.maximum(magnitude, 1e-9))
    count = -(-len(needed) // block)
    padded = np.ones(count * block)
    padded[: len(needed)] = needed
    least = padded.reshape(count, block).min(axis=1)
    near = np.minimum(least, np.minimum(np.append(least[1:], 1.0), np.insert(least[:-1], 0, 1.0)))
    gain = np.repeat(near, block)
    smooth = np.convolve(gain, np.ones(block) / block, mode="same")[: len(values)]
    return values * np.minimum(smooth, needed)
