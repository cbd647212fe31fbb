"""Live timing: onset error and drift of `coach play`, beside a naive speak-then-sleep loop.

Both play smr-legs at pace 4 through real ALSA into the captured null device (an
.asoundrc in a temporary HOME), in the same run; coach also with the machine loaded
(a busy process per core). Onset error is fired minus planned; drift is the error of
the last event. "at_sample" is the share of coach's clips found in the capture at
exactly the sample the plan puts them on (from the first). Launch to first sound is
from starting the command to the first sound (not silence) reaching ALSA.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.alsa_capture import capture_home, sounded

ROUTINE = "smr-legs"
PACE = "4"
LIMIT_S = 900.0
"""A run still going after this is stopped and counted as hung (the session is about 5 min)."""


def coach_bin() -> str:
    return str(Path(sys.executable).with_name("coach"))


def naive(log: Path) -> None:
    """What a first attempt looks like: say each cue, wait for it, sleep the gap as planned."""
    from coach.render.build import build_session, load_sounds
    from coach.routine.reader import load_routine
    from coach.speech.cache import SpeechCache, SpeechSettings
    from coach.speech.espeak import _prepare_pyttsx3

    _prepare_pyttsx3()
    import platformdirs
    import pyttsx3
    import simpleaudio

    cache = Path(platformdirs.user_cache_dir("coach")) / "speech"
    sounds = load_sounds()
    timeline = build_session(
        load_routine(ROUTINE), SpeechCache(cache, SpeechSettings()), sounds, pace=float(PACE)
    ).timeline
    engine = pyttsx3.init()
    engine.setProperty("rate", 160)
    start = time.monotonic()
    previous_end = 0.0
    with log.open("w") as out:
        for event in timeline.events:
            time.sleep(max(0.0, event.at_s - previous_end))  # relative: the planned gap
            fired = time.monotonic() - start
            out.write(json.dumps({"at_s": event.at_s, "fired_s": fired}) + "\n")
            out.flush()
            began = time.monotonic()
            if event.sound is not None:
                clip = sounds[event.sound]
                simpleaudio.play_buffer(clip.pcm, 1, 2, clip.sample_rate_hz).wait_done()
            else:
                engine.say(event.text)
                engine.runAndWait()
            # The captured null device plays instantly; a real one blocks for the clip's
            # length, so wait out the rest of it as a speaker would.
            time.sleep(max(0.0, event.duration_s - (time.monotonic() - began)))
            previous_end = event.end_s


def first_sound_s(capture: Path, started: float, proc: subprocess.Popen[bytes]) -> float:
    while proc.poll() is None:
        if sounded(capture):  # the output stream's silence is not a sound
            return time.monotonic() - started
        time.sleep(0.0005)
    return float("nan")


def measure(cmd: list[str], env: dict[str, str], capture: Path, log: Path) -> dict[str, float]:
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = first_sound_s(capture, started, proc)
    hung = 0.0
    try:
        proc.wait(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        # pyttsx3's runAndWait can hang for good (see coach/speech.py): that is a figure too
        proc.kill()
        proc.wait()
        hung = 1.0
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    at_sample = at_planned_sample(rows, capture) if "--log" in cmd else float("nan")
    errors_ms = sorted((r["fired_s"] - r["at_s"]) * 1000 for r in rows)
    return {
        "events": len(rows),
        "p50_ms": statistics.median(errors_ms),
        "p99_ms": errors_ms[min(len(errors_ms) - 1, round(0.99 * (len(errors_ms) - 1)))],
        "max_ms": max(errors_ms, key=abs),
        "last_drift_ms": (rows[-1]["fired_s"] - rows[-1]["at_s"]) * 1000,
        "first_sound_ms": first * 1000,
        "hung": hung,
        "at_sample": at_sample,
    }


def at_planned_sample(rows: list[dict[str, Any]], capture: Path) -> float:
    """The share of the session's clips that are in the capture at the sample the plan puts
    them on, counted from the first clip's."""
    import platformdirs

    from coach.render.build import load_sounds
    from coach.speech.cache import SpeechCache, SpeechSettings

    cache = SpeechCache(
        Path(platformdirs.user_cache_dir("coach")) / "speech",
        SpeechSettings(),
        lambda: None,  # type: ignore[arg-type,return-value]  # cached only: never renders
    )
    sounds = {s.value: c for s, c in load_sounds().items()}
    heard = capture.read_bytes()
    opening = pcm_of(rows[0], cache, sounds)
    first = silent_bytes(heard) - silent_bytes(opening)  # where the first clip starts
    found = 0
    for row in rows:
        pcm = pcm_of(row, cache, sounds)
        at = first + 2 * round((row["at_s"] - rows[0]["at_s"]) * 22_050)
        found += heard[at : at + len(pcm)] == pcm
    return found / len(rows)


def silent_bytes(pcm: bytes) -> int:
    """How many bytes of silent samples ``pcm`` starts with."""
    zeros = len(pcm) - len(pcm.lstrip(b"\0"))
    return zeros - zeros % 2


def pcm_of(row: dict[str, Any], cache: Any, sounds: dict[str, Any]) -> bytes:
    if row["kind"] == "say":
        return bytes(cache.clip(row["text"]).pcm)
    return bytes(sounds[row["sound"]].pcm)


def burn() -> None:
    while True:
        pass


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        # warm the speech cache, as any second run would be
        subprocess.run(
            [coach_bin(), "show", ROUTINE, "--pace", PACE], check=True, capture_output=True
        )
        # the naive baseline plays through simpleaudio, which only the bench extra installs
        naive_here = importlib.util.find_spec("simpleaudio") is not None
        for name in ("coach", "loaded", "naive") if naive_here else ("coach", "loaded"):
            run_root = root / name
            run_root.mkdir()
            env, capture = capture_home(run_root)
            log = run_root / "log.jsonl"
            if name == "naive":
                cmd = [sys.executable, "-m", "bench.bench_live", "naive", str(log)]
            else:
                cmd = [coach_bin(), "play", ROUTINE, "--pace", PACE, "--quiet", "--log", str(log)]
            busy = [
                multiprocessing.Process(target=burn, daemon=True)
                for _ in range(os.cpu_count() or 1 if name == "loaded" else 0)
            ]
            for process in busy:
                process.start()
            try:
                results[name] = measure(cmd, env, capture, log)
            finally:
                for process in busy:
                    process.terminate()
    print(
        f"{ROUTINE} at pace {PACE}, captured ALSA path, warm cache; "
        f"loaded: coach with {os.cpu_count()} busy processes"
    )
    keys = [
        "events",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "last_drift_ms",
        "first_sound_ms",
        "hung",
        "at_sample",
    ]
    print(f"{'':<8}" + "".join(f"{k:>16}" for k in keys))
    for name, row in results.items():
        print(f"{name:<8}" + "".join(f"{row[k]:>16.2f}" for k in keys))
    if "naive" in results:
        c, n = results["coach"], results["naive"]

        def ratio(key: str) -> float:
            return abs(n[key]) / max(abs(c[key]), 1e-3)

        print(
            f"naive / coach: last-event drift {ratio('last_drift_ms'):.0f}x, "
            f"p99 onset error {ratio('p99_ms'):.0f}x"
        )
    else:
        print("naive: not run (simpleaudio is in the bench extra: pip install -e '.[bench]')")
    print(
        "targets: p99 <= 2 ms (quiet and loaded), last-event drift <= 2 ms, first sound <= 300 ms"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "naive":
        naive(Path(sys.argv[2]))
    else:
        main()
