"""Run every benchmark: ``make bench`` (or ``python -m bench NAME`` for one)."""

from __future__ import annotations

import compileall
import sys
from pathlib import Path

import coach
from bench import (
    bench_ceiling,
    bench_cold,
    bench_echo,
    bench_export,
    bench_first,
    bench_history,
    bench_list,
    bench_listen,
    bench_live,
    bench_loudness,
    bench_pace,
    bench_render,
    bench_room,
    bench_startup,
    bench_voices,
)

BENCHES = {
    "startup": bench_startup.main,
    "cold": bench_cold.main,
    "ceiling": bench_ceiling.main,
    "render": bench_render.main,
    "first": bench_first.main,
    "export": bench_export.main,
    "live": bench_live.main,
    "loudness": bench_loudness.main,
    "list": bench_list.main,
    "pace": bench_pace.main,
    "history": bench_history.main,
    "listen": bench_listen.main,
    "room": bench_room.main,
    "echo": bench_echo.main,
    "voices": bench_voices.main,
}


def compile_coach() -> None:
    """Write coach's bytecode, as ``pip install`` does: start-up is measured as a user has it,
    also where PYTHONDONTWRITEBYTECODE keeps Python from caching it (processes still read it)."""
    compileall.compile_dir(Path(coach.__file__).parent, quiet=1)


def main() -> None:
    names = sys.argv[1:] or list(BENCHES)
    compile_coach()
    for name in names:
        print(f"== {name}")
        BENCHES[name]()


if __name__ == "__main__":
    main()
