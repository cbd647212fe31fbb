"""A routine over the 6 h ceiling: how soon ``coach show`` refuses it, cold cache.

2,000 exercises, each with its own words, planned past 6 h. Before, every cue
was rendered first (70 s), then the session was refused; now the length is
checked before any speech. Beside ``coach show smr-legs`` on a warm cache, the
same command on a routine that plans. Median of 5 alternated runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
EXERCISES = 2000


def seconds(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    coach = str(Path(sys.executable).with_name("coach"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        routine = root / "over.yaml"
        routine.write_text(
            "title: Over the ceiling\nsections:\n  - name: All\n    exercises:\n"
            + "".join(
                f"      - {{name: Spot {n}, setup: Find spot number {n}., hold: 11s}}\n"
                for n in range(EXERCISES)
            )
        )
        warm = {**os.environ, "XDG_CACHE_HOME": str(root / "warm")}
        subprocess.run([coach, "show", "smr-legs"], env=warm, capture_output=True, check=True)
        over: list[float] = []
        plans: list[float] = []
        for n in range(RUNS):
            cold = {**os.environ, "XDG_CACHE_HOME": str(root / f"cold-{n}")}
            refused_s, status = seconds([coach, "show", str(routine)], cold)
            if status != 2:
                raise SystemExit(f"expected exit 2 for the over-long routine, got {status}")
            over.append(refused_s)
            plans.append(seconds([coach, "show", "smr-legs"], warm)[0])
    refused, planned = statistics.median(over), statistics.median(plans)
    print(f"coach show, {EXERCISES} exercises over 6h, cold: refused in {refused * 1000:.0f} ms")
    print(f"coach show smr-legs, warm:                   {planned * 1000:.0f} ms")
    print(f"refusal / a warm show: {refused / planned:.2f}x (before: 70 s of rendering first)")


if __name__ == "__main__":
    main()
