"""Each speech engine side by side: speed, first call, memory, a cold smr-full, intelligibility.

Engines measured: eSpeak NG, and the neural engine (piper) with every Piper voice
named in ``COACH_BENCH_VOICES`` (paths, ``:``-separated) or kept in the voices
folder, and always with the tests' tone voice (tests/piper_voice.py). The tone
voice is not speech: its row measures what the engine costs around a model (the
phonemes, ONNX Runtime, levelling, the cache), and its word error rate only
shows that the recogniser is not fooled by sound that is not speech.

- **RTF** (real-time factor): render time / audio length, for a 10-word cue and a
  40-word paragraph, each the best of three after a first call.
- **first call**: from starting the engine to the first cue's clip, in a fresh process.
- **memory**: that process's peak resident size after the paragraph, beside the
  same process's size before the engine started (Python, numpy).
- **cold smr-full**: ``coach export smr-full`` into an empty cache (every cue
  rendered, in worker processes over every core), wall time.
- **WER**: pocketsphinx (its en-us model ships in its wheel) transcribes 40 fixed
  cues of smr-full spoken by the engine; word error rate against the text. No
  package ships natural speech of these cues, so there is no human control row.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CUE = "Roll slowly along the outside of your thigh, then stop."
PARAGRAPH = (
    "Sit on the floor with the ball under your left glute. Cross your left ankle over "
    "your right thigh, lean toward the left side, and roll slowly until you find a tender "
    "spot. Hold it there and breathe out, letting the muscle soften before you move on."
)
WER_CUES = 40


def cues() -> list[str]:
    """The first 40 distinct cues smr-full says, in order (a fixed set: the bundled routine)."""
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("coach")), "show", "smr-full", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    texts = [e["text"] for e in json.loads(shown.stdout)["events"] if e["kind"] == "say"]
    return list(dict.fromkeys(texts))[:WER_CUES]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def word_errors(reference: list[str], heard: list[str]) -> int:
    """Substitutions, insertions and deletions: the edit distance over words."""
    row = list(range(len(heard) + 1))
    for i, want in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, got in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (want != got))
    return row[-1]


def one(engine: str, voice: str | None, texts: list[str]) -> dict[str, Any]:
    """Measured in this (fresh) process: first call, RTF, memory, WER."""
    import numpy as np
    import soxr
    from pocketsphinx import Decoder

    from coach.speech.engine import SpeechSettings, engine_kind

    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    settings = SpeechSettings(voice=voice, engine=engine)
    started = time.perf_counter()
    running = engine_kind(engine).start()
    running.render(CUE, settings)
    first_s = time.perf_counter() - started

    def rtf(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            clip = running.render(text, settings)
            best = min(best, (time.perf_counter() - began) / clip.duration_s)
        return best

    rtf_cue, rtf_paragraph = rtf(CUE), rtf(PARAGRAPH)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    decoder = Decoder(loglevel="FATAL")
    errors = total = 0
    for text in texts:
        clip = running.render(text, settings)
        samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
        audio = soxr.resample(samples, clip.sample_rate_hz, 16000).astype(np.int16)
        decoder.start_utt()
        decoder.process_raw(audio.tobytes(), full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        reference = words(text)
        errors += word_errors(reference, words(hypothesis.hypstr if hypothesis else ""))
        total += len(reference)
    return {
        "first_s": first_s,
        "rtf_cue": rtf_cue,
        "rtf_paragraph": rtf_paragraph,
        "before_mb": before_mb,
        "peak_mb": peak_mb,
        "wer": errors / total,
    }


def cold_export(engine: str, voice: str | None) -> float:
    """``coach export smr-full`` into an empty cache: wall seconds."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "XDG_CACHE_HOME": folder}
        command = [str(Path(sys.executable).with_name("coach")), "export", "smr-full"]
        command += ["-o", f"{folder}/full.wav", "--engine", engine]
        if voice is not None:
            command += ["--voice", voice]
        began = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        return time.perf_counter() - began


LIVE_S = 20.0
"""How long each live start is played (smr-legs at pace 1) before Ctrl-C."""


def live_start(engine: str, voice: str | None, cache: Path) -> tuple[float, float, float]:
    """``coach play smr-legs`` on the captured ALSA device with the cache ``cache``: seconds
    from launch to its first sound (the first sample that is not silence: the opening
    chime), to its first word (the title: the first sound plus when the title fired after
    the chime, by ``--log``), and how late its most late clip fired in the first ``LIVE_S``
    seconds (``--log``: fired_s - at_s)."""
    import signal

    from tests.alsa_capture import capture_home

    with tempfile.TemporaryDirectory() as folder:
        env, capture = capture_home(Path(folder))
        env = {**env, "XDG_CACHE_HOME": str(cache)}
        log = Path(folder) / "log.jsonl"
        command = [str(Path(sys.executable).with_name("coach")), "play", "smr-legs", "--quiet"]
        command += ["--engine", engine, "--log", str(log)]
        if voice is not None:
            command += ["--voice", voice]
        began = time.monotonic()
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sound: float | None = None
        try:
            while time.monotonic() - began < LIVE_S:
                if sound is None and capture.exists() and any(capture.read_bytes()):
                    sound = time.monotonic() - began
                time.sleep(0.002 if sound is None else 0.1)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        late = max((line["fired_s"] - line["at_s"] for line in lines), default=float("nan"))
        nan = float("nan")
        said = [line["fired_s"] - lines[0]["fired_s"] for line in lines if line["kind"] == "say"]
        if sound is None or not said:
            return (nan if sound is None else sound), nan, late
        return sound, sound + said[0], late


def engines(folder: Path) -> list[tuple[str, str, str | None]]:
    """(label, engine, voice) for every engine and voice measured."""
    from coach.speech.piper_voices import found_voices
    from tests.piper_voice import build_voice

    rows: list[tuple[str, str, str | None]] = [("eSpeak NG (en-us)", "espeak", "gmw/en-us")]
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("(the neural extra is not installed: pip install -e '.[neural]' for its rows)")
        return rows
    named = [Path(p) for p in os.environ.get("COACH_BENCH_VOICES", "").split(":") if p]
    for voice in [*named, *(v.model for v in found_voices())]:
        rows.append((f"piper: {voice.name.removesuffix('.onnx')}", "piper", str(voice)))
    tones = build_voice(folder)
    rows.append(("piper: tones (test voice, not speech)", "piper", str(tones)))
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        engine, voice = sys.argv[2], sys.argv[3] or None
        print(json.dumps(one(engine, voice, json.loads(sys.stdin.read()))))
        return
    texts = cues()
    with tempfile.TemporaryDirectory() as folder:
        results: list[tuple[str, dict[str, Any]]] = []
        for label, engine, voice in engines(Path(folder)):
            measured = subprocess.run(
                [sys.executable, "-m", "bench.bench_voices", "--one", engine, voice or ""],
                input=json.dumps(texts),
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(measured.stdout)
            figures["cold_s"] = cold_export(engine, voice)
            cache = Path(folder) / f"live-{len(results)}"
            for start in ("cold", "warm"):
                sound, word, late = live_start(engine, voice, cache)
                figures[f"sound_{start}_s"], figures[f"live_{start}_s"] = sound, word
                figures[f"late_{start}_s"] = late
            results.append((label, figures))
    base = results[0][1]
    print(
        f"{len(texts)} cues of smr-full for WER; RTF = render time / audio length (lower is faster)"
    )
    header = (
        f"{'engine':<40} {'RTF cue':>8} {'RTF 40w':>8} {'first':>7} {'memory':>15} "
        f"{'cold smr-full':>14} {'WER':>5}"
    )
    print(header)
    for label, f in results:
        memory = f"{f['peak_mb']:.0f} MB ({f['before_mb']:.0f})"
        cold = f"{f['cold_s']:.1f} s x{f['cold_s'] / base['cold_s']:.1f}"
        print(
            f"{label:<40} {f['rtf_cue']:>8.3f} {f['rtf_paragraph']:>8.3f} "
            f"{f['first_s']:>6.2f}s {memory:>15} {cold:>14} {f['wer']:>5.0%}"
        )
    print("memory: peak resident size (in brackets: the same process before the engine started)")
    print()
    print(
        "coach play smr-legs: launch to first sound and to first word, and the latest clip in "
        f"{LIVE_S:.0f} s (--log)"
    )
    print(
        f"{'engine':<40} {'sound':>7} {'word':>7} {'late':>7}   "
        f"{'sound':>7} {'word':>7} {'late':>7}"
    )
    print(f"{'':<40} {'cold':>23}   {'warm':>23}")
    for label, f in results:
        print(
            f"{label:<40} {f['sound_cold_s']:>6.2f}s {f['live_cold_s']:>6.2f}s "
            f"{f['late_cold_s']:>6.3f}s   {f['sound_warm_s']:>6.2f}s {f['live_warm_s']:>6.2f}s "
            f"{f['late_warm_s']:>6.3f}s"
        )
    print(
        "targets (neural voice): first sound <= 0.5 s and first word <= 1 s cold, "
        "as eSpeak NG warm; no clip late"
    )
    models = [voice for _, _, voice in piper_models()]
    if models:
        print()
        print("a Piper model loaded with ONNX Runtime's graph optimisations (its default) and as")
        print("stored (coach's): seconds to load, and RTF over 8 runs of one 160-phoneme input")
        print(f"{'model':<40} {'load, optimised':>16} {'as stored':>10} {'RTF':>6} {'RTF':>6}")
        for model in models:
            (a_load, a_rtf), (b_load, b_rtf) = model_load(model, True), model_load(model, False)
            print(
                f"{Path(model).stem:<40} {a_load:>15.3f}s {b_load:>9.3f}s {a_rtf:>6.3f} "
                f"{b_rtf:>6.3f}   load x{a_load / b_load:.1f}"
            )


def piper_models() -> list[tuple[str, str, str]]:
    """(label, engine, voice) of the Piper voices measured that are speech (their files)."""
    with tempfile.TemporaryDirectory() as folder:
        rows = engines(Path(folder))
        return [
            (label, engine, voice)
            for label, engine, voice in rows
            if voice and engine == "piper" and Path(voice).is_file() and "tones" not in label
        ]


def model_load(model: str, optimised: bool) -> tuple[float, float]:
    """Seconds to load ``model`` in ONNX Runtime (one thread), with or without its graph
    optimisations, and the RTF of 8 runs of one input (the same for both)."""
    import os

    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    import numpy as np
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not optimised:
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    started = time.perf_counter()
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - started
    ids = np.array([[1, *([20, 30, 40, 50, 25, 35, 60, 12] * 20), 2]], dtype=np.int64)
    feeds = {
        "input": ids,
        "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
        "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32),
    }
    if "sid" in {i.name for i in session.get_inputs()}:
        feeds["sid"] = np.array([0], dtype=np.int64)
    started = time.perf_counter()
    samples = sum(session.run(None, feeds)[0].size for _ in range(8))
    return load_s, (time.perf_counter() - started) / (samples / 22050)


if __name__ == "__main__":
    main()
