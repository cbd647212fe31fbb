"""Start-up: ``coach --help`` beside ``python -c "import click"``, alternated, median of 15."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 15


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    coach = [str(Path(sys.executable).with_name("coach")), "--help"]
    click_only = [sys.executable, "-c", "import click"]
    pairs = [(seconds(coach), seconds(click_only)) for _ in range(RUNS)]
    help_s = statistics.median(p[0] for p in pairs)
    click_s = statistics.median(p[1] for p in pairs)
    print(f"coach --help {help_s * 1000:.0f} ms, python -c 'import click' {click_s * 1000:.0f} ms")
    print(f"coach --help / import click: {help_s / click_s:.2f}x (median of {RUNS} pairs)")


if __name__ == "__main__":
    main()
