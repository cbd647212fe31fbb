"""Export smr-full to every format: cold and warm cache, beside the encoder alone and the naive way.

Each run is a fresh process, so peak RSS is its own. The encoder-alone figure
writes the very same samples (decoded from coach's WAV, held in memory) with
soundfile in the same block size: what the encoding costs by itself. The long
run is smr-full at pace 0.25, about 100 minutes, to show that memory stays flat.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import soundfile

from bench.bench_render import naive_export
from coach.audio import SAMPLE_RATE_HZ
from coach.export import libsndfile
from coach.export.formats import format_named, format_names
from coach.export.writer import export_session, sample_offset
from coach.render.build import build_session, load_sounds
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import Timeline

ROUTINE = "smr-full"


def child(which: str, fmt: str, pace: str, cache: str, target: str, source: str) -> None:
    """One measurement in this fresh process: prints seconds, peak RSS MB, audio seconds."""
    speech = SpeechCache(Path(cache), SpeechSettings())
    routine = load_routine(ROUTINE)
    if which in ("encoder", "libsndfile"):
        samples, rate = soundfile.read(source, dtype="int16")
        started = time.perf_counter()
        encoder = format_named(fmt) if which == "encoder" else libsndfile.MP3
        with encoder.open(Path(target), rate) as out:
            for i in range(0, len(samples), 65_536):
                out.write(samples[i : i + 65_536])
        audio_s = len(samples) / rate
    elif which == "script":
        timeline = build_session(routine, speech, load_sounds(), pace=float(pace)).timeline
        started = time.perf_counter()
        espeak_sox_script(timeline, Path(target))
        audio_s = timeline.total_s
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


def espeak_sox_script(timeline: Timeline, target: Path) -> None:
    """The naive script: ``espeak-ng -w`` for each cue, the clips laid end to end with
    silence in between, and ``sox`` encoding the whole to MP3 (its LAME, its defaults)."""
    audio = bytearray()
    sounds = load_sounds()
    with tempfile.TemporaryDirectory() as folder:
        for n, event in enumerate(timeline.events):
            audio += bytes((sample_offset(event.at_s) - len(audio) // 2) * 2)
            if event.sound is not None:
                audio += sounds[event.sound].pcm
                continue
            cue = Path(folder) / f"{n}.wav"
            subprocess.run(["espeak-ng", "-w", str(cue), event.text], check=True)
            with wave.open(str(cue)) as wav:
                audio += wav.readframes(wav.getnframes())
        audio += bytes((sample_offset(timeline.total_s) - len(audio) // 2) * 2)
        whole = Path(folder) / "whole.wav"
        with wave.open(str(whole), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE_HZ)
            wav.writeframes(bytes(audio))
        subprocess.run(["sox", str(whole), str(target)], check=True)


def script_missing() -> str | None:
    """What the naive script needs and this machine lacks (None: it can run)."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        return "needs espeak-ng and sox (apt-get install espeak-ng sox libsox-fmt-mp3)"
    probe = subprocess.run(["sox", "-h"], capture_output=True, text=True).stdout
    if "mp3" not in probe.split("AUDIO FILE FORMATS:")[-1].split("\n")[0]:
        return "needs sox's MP3 support (apt-get install libsox-fmt-mp3)"
    return None


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
        rows.append(
            (
                "libsndfile alone, mp3",
                run("libsndfile", "mp3", warm, root / "lsf.mp3", source=root / "warmup.wav"),
            )
        )
        missing = script_missing()
        if missing is None:
            rows.append(("naive espeak-ng + sox, mp3", run("script", "mp3", warm, root / "n.mp3")))
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
    lsf = figures["libsndfile alone, mp3"][0] / figures["coach mp3, warm cache"][0]
    print(f"libsndfile's LAME alone / coach mp3 warm: {lsf:.2f}x time")
    if missing is None:
        script = figures["naive espeak-ng + sox, mp3"][0] / figures["coach mp3, warm cache"][0]
        print(f"naive espeak-ng + sox script / coach mp3 warm: {script:.2f}x time")
    else:
        print(f"naive espeak-ng + sox script: not run here, {missing}")
    print(
        "targets: wav >= 500x real time cold and >= 3x faster than naive; mp3 within 1.3x "
        "of the encoder and at least as fast as the naive script; 100-minute session "
        "<= 120 MB peak RSS"
    )


if __name__ == "__main__":
    if len(sys.argv) == 7:
        child(*sys.argv[1:7])
    else:
        main()
