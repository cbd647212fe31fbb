"""Loudness as phones expect: exports about -16 LUFS, true peak at most -1 dBTP, chimes heard
within a few LU of the speech; measured by pyloudnorm (ITU-R BS.1770) on decoded files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from coach.audio import SAMPLE_RATE_HZ, Clip, level_speech
from coach.render.build import load_sounds
from coach.testing import file_loudness, loudness
from tests.conftest import coach_command

TARGET_LUFS = -16.0
TOLERANCE_LU = 1.0
MAX_TRUE_PEAK_DBTP = -1.0


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """smr-legs written as a user writes it, once per format measured."""
    folder = tmp_path_factory.mktemp("loud")
    made = {}
    for ending in ("wav", "mp3", "ogg"):
        target = folder / f"legs.{ending}"
        subprocess.run(
            [*coach_command(), "export", "smr-legs", "--pace", "2", "-o", str(target)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        made[ending] = target
    return made


@pytest.mark.parametrize("ending", ["wav", "mp3", "ogg"])
def test_an_export_is_as_loud_as_phones_expect(exports: dict[str, Path], ending: str) -> None:
    """Before: -20.9 LUFS integrated."""
    lufs, true_peak = file_loudness(exports[ending])
    assert abs(lufs - TARGET_LUFS) <= TOLERANCE_LU, lufs
    assert true_peak <= MAX_TRUE_PEAK_DBTP, true_peak


def test_every_chime_is_within_a_few_lu_of_the_speech(exports: dict[str, Path]) -> None:
    """Before: the chimes sat 7.5 LU under the speech (-28 LUFS), missed over a fan."""
    speech_lufs, _ = file_loudness(exports["wav"])
    for sound, clip in load_sounds().items():
        if sound.value == "tick":
            continue  # ticks are soft on purpose: heard often, they must never tire
        samples = np.frombuffer(clip.pcm, dtype="<i2") / 32768
        # the opening chime is shorter than the meter's 0.4 s block: measured with the
        # silence that follows it
        shortest = round(0.41 * clip.sample_rate_hz)
        samples = np.pad(samples, (0, max(0, shortest - len(samples))))
        lufs, true_peak = loudness(samples, clip.sample_rate_hz)
        assert abs(lufs - speech_lufs) <= 4.0, (sound, lufs)
        assert true_peak <= MAX_TRUE_PEAK_DBTP


def test_levelling_limits_peaks_without_clipping_or_changing_quiet_speech() -> None:
    rate = SAMPLE_RATE_HZ
    t = np.arange(rate) / rate
    voice = 0.05 * np.sin(2 * np.pi * 220 * t)
    voice[rate // 2 : rate // 2 + 40] = 0.9  # one click-like peak, far above the rest
    clip = Clip((voice * 32767).astype("<i2").tobytes(), rate)
    levelled = np.frombuffer(level_speech(clip).pcm, dtype="<i2").astype(np.float64) / 32768
    assert np.abs(levelled).max() <= 10 ** (-2.0 / 20) + 1e-4  # the ceiling, not beyond
    # away from the peak the gain is one and the same: the peak was limited, the clip was
    # not turned down to make room for it
    gains = [
        np.abs(levelled[a : a + 2000]).max() / np.abs(voice[a : a + 2000]).max()
        for a in (0, 4000, 8000, 15000, 19000)
    ]
    assert max(gains) - min(gains) < 0.01 * max(gains)
    assert min(gains) > 1.5  # quiet speech was brought up to the speech level
