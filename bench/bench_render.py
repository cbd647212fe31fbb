"""Render and export smr-full: cold cache, warm cache, and the naive way, in one run.

The naive way is what simple TTS scripts do: render every spoken event with
pyttsx3 (``save_to_file``, ``runAndWait``) as it comes (no cache, repeats
rendered again), concatenate everything with silences in memory, then write
the file. Ratios matter; absolute times drift on these machines.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from bench.bench_cold import pyttsx3_engine, pyttsx3_say
from coach.audio import SAMPLE_RATE_HZ, SAMPLE_WIDTH
from coach.export.writer import export_session, sample_offset
from coach.render.build import build_session, load_sounds
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import Timeline

ROUTINE = "smr-full"


def naive_export(timeline: Timeline, target: Path) -> None:
    """Render each event's speech afresh and build the whole file in memory."""
    engine = pyttsx3_engine()
    sounds = load_sounds()
    audio = bytearray()
    for event in timeline.events:
        start = sample_offset(event.at_s)
        audio += bytes((start - len(audio) // SAMPLE_WIDTH) * SAMPLE_WIDTH)
        if event.sound is not None:
            audio += sounds[event.sound].pcm
        else:
            audio += pyttsx3_say(engine, event.text, target.with_suffix(".cue.wav")).pcm
    audio += bytes((sample_offset(timeline.total_s) - len(audio) // SAMPLE_WIDTH) * SAMPLE_WIDTH)
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE_HZ)
        wav.writeframes(bytes(audio))


def coach_export(cache: Path, target: Path) -> float:
    session = build_session(
        load_routine(ROUTINE), SpeechCache(cache, SpeechSettings()), load_sounds()
    )
    export_session(session, target, force=True)
    return session.timeline.total_s


def child(which: str, cache: str, target: str) -> None:
    """Run one export in this (fresh) process and print seconds and peak RSS."""
    if which == "naive":
        # the naive script gets our timeline for free (from the warm cache), untimed
        timeline = build_session(
            load_routine(ROUTINE), SpeechCache(Path(cache), SpeechSettings()), load_sounds()
        ).timeline
        started = time.perf_counter()
        naive_export(timeline, Path(target))
    else:
        started = time.perf_counter()
        coach_export(Path(cache), Path(target))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.4f} {peak_mb:.1f}")


def run_child(which: str, cache: Path, target: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_render", which, str(cache), str(target)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cache, target = root / "cache", root / "out.wav"
        total_s = coach_export(root / "probe-cache", root / "probe.wav")
        cold = run_child("coach", cache, target)
        warm = run_child("coach", cache, target)
        naive = run_child("naive", cache, root / "naive.wav")
    print(f"{ROUTINE}: {total_s / 60:.1f} minutes of audio")
    rows = [("coach, cold cache", cold), ("coach, warm cache", warm), ("naive", naive)]
    print(f"{'':<20}{'seconds':>9}{'x real time':>13}{'peak RSS MB':>13}")
    for name, (seconds, rss) in rows:
        print(f"{name:<20}{seconds:>9.2f}{total_s / seconds:>13.0f}{rss:>13.1f}")
    print(f"naive / coach cold: {naive[0] / cold[0]:.2f}x time, {naive[1] / cold[1]:.2f}x memory")
    print(f"naive / coach warm: {naive[0] / warm[0]:.2f}x time, {naive[1] / warm[1]:.2f}x memory")


if __name__ == "__main__":
    if len(sys.argv) == 4:
        child(*sys.argv[1:4])
    else:
        main()
