"""Loudness of an export, as ITU-R BS.1770 measures it (pyloudnorm), beside the naive way.

smr-legs with eSpeak NG, written to WAV, Ogg Vorbis and Opus and decoded back. coach
levels each spoken clip (RMS over its voiced parts, peaks limited under -3 dBFS) and
makes its chimes a few LU under the voice; the naive way is what coach did before:
each clip at -20 dBFS RMS with its gain capped by its own peak, chimes at -14 dBFS peak.
Phones and podcast players expect about -16 LUFS with true peaks under -1 dBTP.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.export.writer import export_session
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.testing import file_loudness, loudness

ROUTINE = "smr-legs"


def naive_level(clip: Clip) -> Clip:
    """Before: -20 dBFS RMS over the voiced 20 ms frames, the gain capped by the peak."""
    from coach.audio import active_rms_dbfs

    values = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
    level = active_rms_dbfs(clip)
    if level == -math.inf or not values.any():
        return clip
    gain = min(10 ** ((-20.0 - level) / 20), 32768 * 10 ** (-2.0 / 20) / np.abs(values).max())
    return Clip(np.round(values * gain).astype("<i2").tobytes(), clip.sample_rate_hz)


def scaled(clip: Clip, db: float) -> Clip:
    values = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) * 10 ** (db / 20)
    return Clip(np.round(values).astype("<i2").tobytes(), clip.sample_rate_hz)


def naive_session(session: Session, speech: SpeechCache) -> Session:
    raw = {text: speech.engine.render(text, speech.settings) for text in session.speech}
    sounds = {s: scaled(c, -9.0) for s, c in session.sounds.items()}  # the old -14 dBFS peaks
    return Session(session.timeline, {t: naive_level(c) for t, c in raw.items()}, sounds)


def chimes_under(session: Session, speech_lufs: float) -> float:
    """How far the loudest chime sits under the session's speech, in LU."""
    louds = [
        loudness(np.frombuffer(c.pcm, dtype="<i2") / 32768, SAMPLE_RATE_HZ)[0]
        for s, c in session.sounds.items()
        if s.value != "tick"
    ]
    return speech_lufs - max(louds)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        speech = SpeechCache(Path(folder) / "cache", SpeechSettings())
        session = build_session(load_routine(ROUTINE), speech, load_sounds())
        ways = {"coach": session, "naive": naive_session(session, speech)}
        print(f"{ROUTINE}, {session.timeline.total_s / 60:.1f} min; target -16 LUFS, <= -1 dBTP")
        for name, made in ways.items():
            for ending in ("wav", "ogg", "opus"):
                target = Path(folder) / f"{name}.{ending}"
                export_session(made, target, force=True)
                lufs, peak = file_loudness(target)
                line = f"  {name:<6} {ending:<5} {lufs:6.1f} LUFS  true peak {peak:5.1f} dBTP"
                if ending == "wav":
                    line += f"  chimes {chimes_under(made, lufs):4.1f} LU under the speech"
                print(line)
