"""First sound of ``coach play smr-legs``: launch to the first bytes reaching ALSA, cold and warm.

Beside the baseline of a script that starts pyttsx3 and says one line. Each
figure is the median of alternated runs through the captured ALSA device;
cold is an empty speech cache (every run), warm is a cache a first run filled.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.alsa_capture import capture_home, sounded

ROUTINE = "smr-legs"
RUNS = 7
LIMIT_S = 60.0
BASELINE = """
from coach.speech.espeak import _prepare_pyttsx3
_prepare_pyttsx3()
import pyttsx3
engine = pyttsx3.init()
engine.say("Lie on your side with the ball under your hip.")
engine.runAndWait()
"""


def first_sound_s(command: list[str], env: dict[str, str], capture: Path) -> float:
    capture.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - started < LIMIT_S:
            if sounded(capture):  # the output stream's silence is not a sound
                return time.monotonic() - started
            if proc.poll() is not None and not capture.exists():
                break
            time.sleep(0.0005)
        return float("nan")
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    coach = [str(Path(sys.executable).with_name("coach")), "play", ROUTINE, "--quiet"]
    baseline = [sys.executable, "-c", BASELINE]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env, capture = capture_home(root)
        warm_env = {**env, "XDG_CACHE_HOME": str(root / "warm"), "XDG_DATA_HOME": str(root)}
        first_sound_s(coach, warm_env, capture)  # fills the warm cache
        rows: dict[str, list[float]] = {"cold": [], "warm": [], "baseline": []}
        for n in range(RUNS):
            cold_env = {**warm_env, "XDG_CACHE_HOME": str(root / f"cold-{n}")}
            rows["cold"].append(first_sound_s(coach, cold_env, capture))
            rows["warm"].append(first_sound_s(coach, warm_env, capture))
            rows["baseline"].append(first_sound_s(baseline, warm_env, capture))
    median = {name: statistics.median(values) * 1000 for name, values in rows.items()}
    print(f"first sound of coach play {ROUTINE}, median of {RUNS} (ms)")
    for name in ("cold", "warm"):
        print(
            f"coach, {name + ' cache':<12}{median[name]:>8.0f}   "
            f"/ pyttsx3 init + say {median[name] / median['baseline']:.2f}x"
        )
    print(f"{'pyttsx3 init + say':<19}{median['baseline']:>8.0f}")
    print("targets: cold <= 300 ms, warm <= 150 ms")


if __name__ == "__main__":
    main()
