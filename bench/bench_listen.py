"""Spoken commands (``coach play --listen``): accuracy, false triggers, CPU and latency.

Every command word is spoken by several eSpeak NG voices, 1.5 s apart, over a
faint noise floor, then fed through the recogniser as a microphone would feed
it: as spoken (clean), 20 dB quieter, and under pink noise at 10 dB SNR. Then
the whole smr-full session, as exported, is fed back as if the microphone heard
the speakers: every command it triggers is a false trigger, counted without the
gate and with it (the gate drops utterances that overlap coach's own sound).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import soxr

from coach.control.recogniser import SAMPLE_RATE_HZ, WORDS, Recogniser
from coach.play.speaking import SpeakingLog
from coach.play.stream import AHEAD_S, BUFFER_S
from coach.speech.engine import SpeechSettings
from coach.speech.espeak import start
from tests.alsa_capture import pink_noise

VOICES = ("gmw/en-us", "gmw/en", "gmw/en-gb-scotland", "gmw/en-029", "gmw/en-gb-x-rp")
GAP_S = 1.5
BLOCK = 320  # 20 ms, as the microphone delivers them
FLOOR_RMS = 20.0  # a quiet room's noise floor, in 16-bit units
RNG = np.random.default_rng(7)
VOICED = 300.0
"""A sample louder than this (16-bit) is part of the word."""
LIVE_S = 20.0


def to_16k(pcm: bytes, rate: int) -> np.ndarray:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    return np.asarray(soxr.resample(samples, rate, SAMPLE_RATE_HZ))


def pink(n: int) -> np.ndarray:
    """Pink (1/f) noise, unit RMS, from the bench's generator."""
    return np.asarray(pink_noise(n, RNG))


def command_stream(
    engine: object, voice: str, wake: str | None
) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """Every command said once, with where each ends (s)."""
    parts: list[np.ndarray] = []
    ends: list[tuple[str, float]] = []
    at = 0
    for word in WORDS:
        clip = engine.render(f"{wake}, {word}" if wake else word, SpeechSettings(voice=voice))  # type: ignore[attr-defined]
        gap = np.zeros(int(GAP_S * SAMPLE_RATE_HZ), np.float32)
        speech = to_16k(clip.pcm, clip.sample_rate_hz)
        parts += [gap, speech]
        voiced = np.flatnonzero(np.abs(speech) > VOICED)  # the word ends here, not at the clip's
        ends.append((word, (at + len(gap) + voiced[-1]) / SAMPLE_RATE_HZ))
        at += len(gap) + len(speech)
    parts.append(np.zeros(int(GAP_S * SAMPLE_RATE_HZ), np.float32))
    return np.concatenate(parts), ends


def answered(capture: Path, after: int) -> bool:
    """Whether the output stream wrote a sound past byte ``after`` of its capture."""
    with capture.open("rb") as f:
        f.seek(after)
        return any(f.read())


def as_heard(signal: np.ndarray, condition: str) -> bytes:
    if condition == "-20 dB":
        signal = signal * 0.1
    floor = RNG.normal(0, FLOOR_RMS, len(signal))
    if condition == "10 dB SNR":
        speech_rms = np.sqrt(np.mean(signal[np.abs(signal) > 100] ** 2))
        floor = pink(len(signal)) * speech_rms / 10 ** (10 / 20)
    return np.clip(signal + floor, -32768, 32767).astype(np.int16).tobytes()


def feed(recogniser: Recogniser, pcm: bytes) -> tuple[list[tuple[str, float, float, float]], float]:
    """(word, start and end of its utterance, stream time when it was known), CPU seconds."""
    heard = []
    cpu = time.process_time()
    for offset in range(0, len(pcm), BLOCK * 2):
        for h in recogniser.feed(pcm[offset : offset + BLOCK * 2]):
            known_s = (offset + BLOCK * 2) / 2 / SAMPLE_RATE_HZ
            heard.append((h.word, h.start_s, h.end_s, known_s))
    return heard, time.process_time() - cpu


def score(
    heard: list[tuple[str, float, float, float]], ends: list[tuple[str, float]]
) -> list[float]:
    """Per command: the latency (s) when it alone was heard, right, in its slot; else nan."""
    out = []
    for word, end_s in ends:
        slot = [h for h in heard if end_s - 0.3 < h[3] <= end_s + GAP_S - 0.1]
        out.append(slot[0][3] - end_s if [h[0] for h in slot] == [word] else float("nan"))
    return out


def session_audio() -> tuple[bytes, list[tuple[float, float]]]:
    coach = str(Path(sys.executable).with_name("coach"))
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "full.wav"
        subprocess.run(
            [coach, "export", "smr-full", "-o", str(wav)], check=True, capture_output=True
        )
        shown = subprocess.run(
            [coach, "show", "smr-full", "--json"], check=True, capture_output=True, text=True
        )
        samples, rate = soundfile.read(wav, dtype="int16")
    events = json.loads(shown.stdout)["events"]
    spans = [(e["at_s"], e["at_s"] + e["duration_s"]) for e in events]
    signal = soxr.resample(samples.astype(np.float32), rate, SAMPLE_RATE_HZ)
    return as_heard(signal, "clean"), spans


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def live() -> None:
    """A real ``coach play --listen`` through ALSA: its CPU in a quiet hold, beside the same
    session without it, and the time from the end of a spoken "pause"/"resume" to coach's
    answer reaching the speakers."""
    from tests.alsa_capture import Room, listening_home

    engine = start()
    words = {}
    for word in ("pause", "resume"):
        clip = engine.render(word, SpeechSettings(voice=VOICES[0]))
        words[word] = to_16k(clip.pcm, clip.sample_rate_hz)
    coach = str(Path(sys.executable).with_name("coach"))
    quiet = Path(__file__).parent.parent / "tests" / "data" / "quiet.yaml"
    cpu: dict[bool, float] = {}
    latencies: list[float] = []
    for listen in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            env, capture, fifo = listening_home(Path(folder))
            room = Room(fifo, capture)
            args = [coach, "play", str(quiet), "--quiet", *(["--listen"] if listen else [])]
            proc = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL)
            try:
                time.sleep(11.0)  # into the first hold, 30 s of silence
                before, started = cpu_s(proc.pid), time.monotonic()
                time.sleep(LIVE_S if not listen else 8.0)
                cpu[listen] = (cpu_s(proc.pid) - before) / (time.monotonic() - started)
                for n in range(6 if listen else 0):
                    room.wait_quiet(1.2)
                    size = capture.stat().st_size
                    samples = words["pause" if n % 2 == 0 else "resume"]
                    voiced_s = np.flatnonzero(np.abs(samples) > VOICED)[-1] / SAMPLE_RATE_HZ
                    room.say(samples)
                    said_at = time.monotonic()
                    # coach's answer: the first sound the stream writes after the word
                    while not answered(capture, size) and time.monotonic() - said_at < 5:
                        time.sleep(0.002)
                    if answered(capture, size):
                        # ALSA's file plugin passes a frame on once a buffer follows it:
                        # BUFFER_S - AHEAD_S after a real device would play it
                        lag_s = BUFFER_S - AHEAD_S
                        latencies.append(time.monotonic() - said_at - voiced_s - lag_s)
            finally:
                proc.kill()
                proc.wait()
                room.close()
    print(
        f"live, in a quiet hold: coach play {cpu[False]:.1%} of one core, "
        f"with --listen {cpu[True]:.1%} (listening costs {cpu[True] - cpu[False]:.1%})"
    )
    if latencies:
        print(
            f"live, end of a spoken pause/resume to coach's answer at the speakers: median "
            f"{np.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
            f"({len(latencies)} of 6 obeyed)"
        )


def main() -> None:
    engine = start()
    conditions = ("clean", "-20 dB", "10 dB SNR")
    for wake in (None, "coach"):
        said = f"wake word {wake!r}" if wake else "no wake word"
        print(f"accuracy, {said} (of {len(WORDS)} commands)")
        print(f"{'voice':<22}" + "".join(f"{c:>12}" for c in conditions))
        totals = dict.fromkeys(conditions, 0)
        latencies: list[float] = []
        per_word = {(w, c): 0 for w in WORDS for c in conditions}
        for voice in VOICES:
            signal, ends = command_stream(engine, voice, wake)
            row = []
            for condition in conditions:
                heard, _ = feed(Recogniser(wake), as_heard(signal, condition))
                results = score(heard, ends)
                right = sum(not np.isnan(r) for r in results)
                totals[condition] += right
                row.append(right)
                latencies += [r for r in results if not np.isnan(r)]
                for (word, _end), r in zip(ends, results, strict=True):
                    per_word[word, condition] += not np.isnan(r)
            print(f"{voice:<22}" + "".join(f"{r:>12}" for r in row))
        n = len(VOICES) * len(WORDS)
        print(f"{'all':<22}" + "".join(f"{totals[c] / n:>12.0%}" for c in conditions))
        print(f"{'per command':<22}" + "".join(f"{c:>12}" for c in conditions))
        for word in WORDS:
            shares = [per_word[word, c] / len(VOICES) for c in conditions]
            print(f"  {word:<20}" + "".join(f"{share:>12.0%}" for share in shares))
        if latencies:
            print(
                f"end of word to command known: median {np.median(latencies) * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms (the player acts on its next poll, <= 10 ms)"
            )
    pcm, spans = session_audio()
    audio_s = len(pcm) / 2 / SAMPLE_RATE_HZ
    for wake in (None, "coach"):
        heard, cpu_s = feed(Recogniser(wake), pcm)
        log = SpeakingLog(keep=len(spans))
        for start_s, end_s in spans:
            log.spoke(start_s, end_s)
        gated = [h for h in heard if not log.overlaps(h[1], h[2])]
        print(
            f"smr-full's own speech ({audio_s / 60:.0f} min), "
            f"{f'wake word {wake!r}' if wake else 'no wake word'}: "
            f"false triggers {len(heard)} ungated ({', '.join(h[0] for h in heard[:8])}), "
            f"{len(gated)} gated; recogniser CPU {cpu_s / audio_s:.1%} of one core"
        )
    live()
    print(
        "targets: >= 95% clean, >= 85% at 10 dB SNR, 0 false triggers, <= 15% of a core, <= 500 ms"
    )


if __name__ == "__main__":
    main()
