"""Export smr-full to every format: cold and warm cache, beside the encoder alone and the naive way.

Each run is a fresh process, so peak RSS is its own. The encoder-alone figure
writes the very same samples (decoded from coach's WAV, held in memory) with
soundfile in the same block size: what the encoding costs by itself. The long
run is smr-full at pace 0.25, about 100 minutes, to show that memory stays flat.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

from bench.bench_render import naive_export
from coach.export.formats import format_named, format_names
from coach.export.writer import export_session
from coach.render.build import build_session, load_sounds
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings

ROUTINE = "smr-full"


def child(which: str, fmt: str, pace: str, cache: str, target: str, source: str) -> None:
    """One measurement in this fresh process: prints seconds, peak RSS MB, audio seconds."""
    speech = SpeechCache(Path(cache), SpeechSettings())
    routine = load_routine(ROUTINE)
    if which == "encoder":
        samples, rate = soundfile.read(source, dtype="int16")
        started = time.perf_counter()
        with format_named(fmt).open(Path(target), rate) as out:
            for i in range(0, len(samples), 65_536):
                out.write(samples[i : i + 65_536])
        audio_s = len(samples) / rate
    elif which == "naive":
        timeline = build_session(routine, speech, load_sounds(), pace=float(pace)).timeline
        started = time.perf_counter()
        naive_export(timeline, Path(target))
        audio_s = timeline.total_s
    else:
        started = time.perf_counter()
        session = build_session(routine, speech, load_sounds(), pace=float(pace))
        export_session(session, Path(target), force=True)
        audio_s = session.timeline.total_s
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.4f} {peak_mb:.1f} {audio_s:.3f}")


def run(
    which: str, fmt: str, cache: Path, target: Path, pace: str = "1", source: Path | None = None
) -> tuple[float, float, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_export",
            which,
            fmt,
            pace,
            str(cache),
            str(target),
            str(source or ""),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> None:
    rows: list[tuple[str, tuple[float, float, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        warm = root / "warm-cache"
        run("coach", "wav", warm, root / "warmup.wav")
        for fmt in format_names():
            target = root / f"out.{fmt}"
            rows.append(
                (f"coach {fmt}, cold cache", run("coach", fmt, root / f"cold-{fmt}", target))
            )
            rows.append((f"coach {fmt}, warm cache", run("coach", fmt, warm, target)))
            rows.append(
                (
                    f"encoder alone, {fmt}",
                    run("encoder", fmt, warm, root / f"enc.{fmt}", source=root / "warmup.wav"),
                )
            )
        rows.append(("naive, wav", run("naive", "wav", warm, root / "naive.wav")))
        for fmt in ("wav", "mp3"):
            rows.append(
                (
                    f"coach {fmt}, pace 0.25",
                    run("coach", fmt, warm, root / f"long.{fmt}", pace="0.25"),
                )
            )
        rows.append(
            (
                "naive wav, pace 0.25",
                run("naive", "wav", warm, root / "long-naive.wav", pace="0.25"),
            )
        )
    print(f"{'':<28}{'seconds':>9}{'x real time':>13}{'peak RSS MB':>13}{'audio min':>11}")
    for name, (seconds, rss, audio_s) in rows:
        print(
            f"{name:<28}{seconds:>9.2f}{audio_s / seconds:>13.0f}{rss:>13.1f}{audio_s / 60:>11.1f}"
        )
    figures = dict(rows)
    cold_wav, naive = figures["coach wav, cold cache"], figures["naive, wav"]
    print(f"naive / coach wav cold: {naive[0] / cold_wav[0]:.2f}x time")
    for fmt in format_names():
        ratio = figures[f"coach {fmt}, warm cache"][0] / figures[f"encoder alone, {fmt}"][0]
        print(f"coach {fmt} warm / encoder alone: {ratio:.2f}x time")
    print(
        "targets: wav >= 500x real time cold and >= 3x faster than naive; "
        "mp3 within 1.3x of the encoder; 100-minute session <= 120 MB peak RSS"
    )


if __name__ == "__main__":
    if len(sys.argv) == 7:
        child(*sys.argv[1:7])
    else:
        main()
