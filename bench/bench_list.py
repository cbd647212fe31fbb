"""`coach list` with 1,000 routines of your own against none, and against listing with no cache.

Each figure is the median of several runs of the real command, alternated so
that a noisy machine weighs on both sides alike. The naive way measures every
routine each time (no length cache): plan it with real speech lengths, as
`coach list` did before.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coach.resources import bundled_routines

USER_ROUTINES = 1000
RUNS = 5


def _coach() -> str:
    return str(Path(sys.executable).with_name("coach"))


def _time_list(env: dict[str, str], before: object = None) -> float:
    if callable(before):
        before()
    started = time.perf_counter()
    subprocess.run([_coach(), "list"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="coach-bench-list-") as folder:
        root = Path(folder)
        base = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
        none = base | {
            "XDG_CONFIG_HOME": str(root / "none"),
            "XDG_CACHE_HOME": str(root / "cache-none"),
        }
        many = base | {
            "XDG_CONFIG_HOME": str(root / "many"),
            "XDG_CACHE_HOME": str(root / "cache-many"),
        }
        routines = root / "many" / "coach" / "routines"
        routines.mkdir(parents=True)
        sources = list(bundled_routines().values())
        for n in range(USER_ROUTINES):
            text = sources[n % len(sources)].read_text(encoding="utf-8")
            # a title of its own: every routine is a different file with its own speech
            text = text.replace("title: ", f"title: Mine {n}, ", 1)
            (routines / f"mine-{n:03d}.yaml").write_text(text, encoding="utf-8")
        # warm: speech rendered once, lengths measured once (as after a first list)
        _time_list(none)
        cold_s = _time_list(many)  # empty speech cache: every routine's speech, in parallel
        cache_file = root / "cache-many" / "coach" / "list.json"
        with_none, with_many, naive = [], [], []
        for _ in range(RUNS):
            with_none.append(_time_list(none))
            with_many.append(_time_list(many))
            naive.append(_time_list(many, lambda: cache_file.unlink(missing_ok=True)))
    none_s, many_s, naive_s = (statistics.median(x) for x in (with_none, with_many, naive))
    print(f"coach list, median of {RUNS} runs (warm speech cache)")
    print(f"  no routines of your own         {none_s:7.3f} s")
    print(f"  {USER_ROUTINES} routines of your own        {many_s:7.3f} s")
    print(f"  {USER_ROUTINES}, measured anew (naive)      {naive_s:7.3f} s")
    print(f"  {USER_ROUTINES}, cold (no speech, no lengths)  {cold_s:7.3f} s, once")
    print(f"{USER_ROUTINES} routines / none: {many_s / none_s:.2f}x (target <= 1.3x)")
    print(f"naive / coach with {USER_ROUTINES}: {naive_s / many_s:.2f}x")


if __name__ == "__main__":
    main()
