"""`coach history` on a 100 MB history: streamed and read from the end, against reading it whole.

The naive way is what coach did before: read the whole file, split it and parse
every line, then print. Each figure is the median of several runs of a real
process, alternated so that a noisy machine weighs on both sides alike; memory
is each process's own peak (``ru_maxrss`` from ``wait4``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HISTORY_BYTES = 100_000_000
RUNS = 3

NAIVE = """
import sys
from pathlib import Path
from coach.history import _parse
entries = [e for e in map(_parse, Path(sys.argv[1]).read_bytes().split(b"\\n")) if e]
for entry in entries[-int(sys.argv[2]):][::-1] if sys.argv[2] != "all" else entries:
    print(entry)
"""


def _run(command: list[str], env: dict[str, str], head: int | None) -> tuple[float, float]:
    """Seconds and peak MB of one run: all of stdout to /dev/null, or as ``| head -N`` would
    read it (the first N lines, then the pipe closed)."""
    started = time.perf_counter()
    if head is None:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    else:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        for _ in range(head):
            proc.stdout.readline()
        proc.stdout.close()
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    coach = str(Path(sys.executable).with_name("coach"))
    with tempfile.TemporaryDirectory(prefix="coach-bench-history-") as folder:
        root = Path(folder)
        entry = {
            "started": "2026-11-24T06:00:00+00:00",
            "routine": "smr-legs",
            "title": "Self-myofascial release for the legs",
            "pace": 1.0,
            "total_s": 1035.141,
            "reached_s": 1035.141,
            "completed": True,
            "stopped_by": "",
            "pace_end": None,
        }
        line = (json.dumps(entry) + "\n").encode()
        path = root / "coach" / "history.jsonl"
        path.parent.mkdir()
        # in blocks: a forked child's peak counts this process's memory until it execs
        count = HISTORY_BYTES // len(line)
        with path.open("wb") as history:
            for _ in range(count // 1000):
                history.write(line * 1000)
            history.write(line * (count % 1000))
        env = {**os.environ, "XDG_DATA_HOME": str(root)}
        naive = [sys.executable, "-c", NAIVE, str(path)]
        rows = [
            ("history --last 5", [coach, "history", "--last", "5"], [*naive, "5"], None),
            ("history | head -2", [coach, "history"], [*naive, "all"], 2),
            ("history (all, to /dev/null)", [coach, "history"], [*naive, "all"], None),
        ]
        print(f"{HISTORY_BYTES / 1e6:.0f} MB history, {count:,} entries")
        for name, ours, theirs, head in rows:
            times: dict[str, list[float]] = {"coach": [], "naive": []}
            peaks: dict[str, float] = {"coach": 0.0, "naive": 0.0}
            for _ in range(RUNS):
                for side, command in (("coach", ours), ("naive", theirs)):
                    seconds, peak = _run(command, env, head)
                    times[side].append(seconds)
                    peaks[side] = max(peaks[side], peak)
            ours_s, naive_s = statistics.median(times["coach"]), statistics.median(times["naive"])
            print(
                f"  {name:<28} coach {ours_s:6.2f} s {peaks['coach']:5.0f} MB   "
                f"naive read-all {naive_s:6.2f} s {peaks['naive']:5.0f} MB   "
                f"naive/coach: time {naive_s / ours_s:5.1f}x, "
                f"memory {peaks['naive'] / peaks['coach']:5.1f}x"
            )
