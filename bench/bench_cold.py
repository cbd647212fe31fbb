"""Cold render: distinct cues a second, beside eSpeak NG's own rate and pyttsx3's, in one run.

- coach: ``SpeechCache.render_all`` into an empty cache, as ``play`` and
  ``export`` do (worker processes over every core, each text from a fresh
  libespeak-ng, levelled and written to the cache).
- eSpeak NG's own rate: one process calling libespeak-ng in a loop with one
  instance (state carried between utterances, nothing levelled or written).
- pyttsx3: ``save_to_file`` and ``runAndWait`` per cue, the temporary WAV read
  back (the way coach rendered before).

It also renders the same texts in worker processes and in this one, in a
different order, and counts how many clips came out byte-identical.
"""

from __future__ import annotations

import ctypes
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coach.audio import Clip, read_wav
from coach.errors import CoachError
from coach.quiet import silenced
from coach.speech.cache import SpeechCache
from coach.speech.engine import SpeechSettings
from coach.speech.espeak import (
    _library,
    _prepare_pyttsx3,
    apply_settings,
    initialise_library,
    speak_into,
)

CUES = 200
PROSE = (
    "roll slowly along the outside of your thigh breathe out and let the ball sink into "
    "the muscle keep your hips square switch sides hold still relax your shoulders"
)
WORDS = PROSE.split(" ")


def cues(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct cue-like texts of 3 to 14 words."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))).capitalize() + f" {n}."
        for n in range(count)
    ]


def coach_rate(texts: list[str], folder: Path) -> float:
    cache = SpeechCache(folder, SpeechSettings())
    started = time.perf_counter()
    cache.render_all(texts)
    return len(texts) / (time.perf_counter() - started)


def espeak_rate(texts: list[str]) -> float:
    """libespeak-ng's own speed: one instance for every text, one process, audio in memory."""
    library, data = _library()
    lib = ctypes.CDLL(str(library))
    _chunks, _callback = initialise_library(lib, data.encode() if data else None)
    apply_settings(lib, SpeechSettings())
    started = time.perf_counter()
    for text in texts:
        speak_into(lib, text)
    return len(texts) / (time.perf_counter() - started)


def pyttsx3_engine() -> Any:
    """A pyttsx3 engine at coach's default rate, as a simple script would start one."""
    _prepare_pyttsx3()
    import pyttsx3

    engine = pyttsx3.init()
    engine.setProperty("rate", 160)
    return engine


def pyttsx3_say(engine: Any, text: str, target: Path) -> Clip:
    """``text`` through pyttsx3's ``save_to_file`` and ``runAndWait``, the file read back."""
    with silenced(1):  # the driver prints "Audio saved to ..." on stdout
        engine.save_to_file(text, str(target))
        engine.runAndWait()
    while True:  # runAndWait can return before the file is whole
        try:
            return read_wav(target)
        except (CoachError, OSError):
            time.sleep(0.002)


def pyttsx3_rate(texts: list[str], folder: Path) -> float:
    engine = pyttsx3_engine()
    started = time.perf_counter()
    for n, text in enumerate(texts):
        pyttsx3_say(engine, text, folder / f"{n}.wav")
    return len(texts) / (time.perf_counter() - started)


def identical(texts: list[str], root: Path) -> tuple[int, int]:
    """How many of ``texts`` render to the same samples in workers and in this process."""
    workers = SpeechCache(root / "workers", SpeechSettings())
    workers.render_all(texts, workers=2)
    here = SpeechCache(root / "here", SpeechSettings())
    here.render_all(list(reversed(texts)), workers=1)
    same = sum(workers.clip(t).pcm == here.clip(t).pcm for t in texts)
    return same, len(texts)


def in_child(which: str) -> float:
    """A baseline's rate, measured in a process of its own: both drive the process's one
    libespeak-ng, and pyttsx3 can hang after another use of it (reported as nan)."""
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_cold", which],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    except subprocess.TimeoutExpired:
        return float("nan")
    return float(out.split()[-1])


def child(which: str) -> None:
    if which == "espeak":
        print(espeak_rate(cues(CUES, seed=8)))
    else:
        with tempfile.TemporaryDirectory() as folder:
            print(pyttsx3_rate(cues(CUES // 4, seed=9), Path(folder)))


def main() -> None:
    texts = cues(CUES)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        coach = coach_rate(texts, root / "cache")
        own = in_child("espeak")
        old = in_child("pyttsx3")
        same, total = identical(cues(40, seed=10), root)
    print(f"cold render, {CUES} distinct cues (cues a second, higher is better)")
    print(f"{'coach (workers, fresh library per cue)':<44}{coach:>8.0f}")
    print(f"{'eSpeak NG alone, one process':<44}{own:>8.0f}   coach/eSpeak NG {coach / own:.2f}x")
    print(f"{'pyttsx3, one cue per runAndWait':<44}{old:>8.0f}   coach/pyttsx3 {coach / old:.2f}x")
    print(f"worker and in-process clips identical: {same}/{total}")


if __name__ == "__main__":
    if len(sys.argv) == 2:
        child(sys.argv[1])
    else:
        main()
