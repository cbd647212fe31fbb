"""A command said over coach's own cue: heard through coach's echo canceller, or not at all.

The microphone hears coach's cues through a room (a direct path 12 ms away, then a 0.3 s
reverberant tail; deterministic), 30 ms later than the stream says they are heard (a
buffer the session does not know of), and each command word, said by five eSpeak NG
voices, over the middle of a cue. One continuous signal, as a session is: 15 s of cues
first, then a cue with a command over it, 40 times. It goes through coach's own
``Listener`` in 20 ms blocks stamped as a microphone stamps them, with the stream's
blocks (22,050 Hz, stamped when heard) handed to the ``SpeakingLog`` as the stream hands
them: without a canceller (the gate drops all said over coach), with speexdsp's
canceller and no guard, and as coach does it (canceller and guard).

"SER" is how loud the command is against coach's voice at the microphone. "Wrong or
twice": a command slot where another word (or one more) was heard. "Coach's own echo":
a command heard where none was said (the 15 s of cues alone, or a cue before its
command): coach obeying itself. Then 30 minutes of coach's cues alone, as heard in the
room, counting what the canceller and guard would obey of them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import soxr

from coach.control.echo import Canceller, Reference, speexdsp
from coach.control.recogniser import SAMPLE_RATE_HZ, WORDS
from coach.play.speaking import SpeakingLog
from coach.speech.engine import SpeechSettings
from coach.speech.espeak import start
from tests.echo_room import (
    PLAYED_HZ,
    CopyingReference,
    heard_in_room,
    listener_for,
    through_listener,
)

VOICES = ("gmw/en-us", "gmw/en", "gmw/en-gb-scotland", "gmw/en-029", "gmw/en-gb-x-rp")
CUES = (
    "Place the ball under your right calf and roll slowly from the knee down to the ankle.",
    "Cross your left leg over the right to add pressure, and breathe out as you hold.",
    "Switch sides. Move the ball under your left glute and let your weight sink into it.",
)
GAP_S = 1.6


def to_16k(clip: Any) -> np.ndarray:
    samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
    return np.asarray(soxr.resample(samples, clip.sample_rate_hz, SAMPLE_RATE_HZ), np.float64)


def session(
    cues: list[np.ndarray], words: dict[tuple[str, str], np.ndarray], ser_db: float, seed: int
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, float, float]]]:
    """What the speakers played (at ``PLAYED_HZ``), what the microphone heard (16 kHz), and
    each command's slot (seconds)."""
    rng = np.random.default_rng(seed)
    played: list[np.ndarray] = []
    said: list[float] = []
    slots: list[tuple[str, float, float]] = []
    commands: list[tuple[float, np.ndarray]] = []
    length_s = 0.0
    for cue in cues * 3:  # 15 s of coach alone first
        played.append(np.concatenate([cue, np.zeros(round(0.9 * PLAYED_HZ))]))
        length_s += len(played[-1]) / PLAYED_HZ
    for n, ((_voice, word), speech) in enumerate(words.items()):
        cue = cues[n % len(cues)]
        part = np.concatenate([cue, np.zeros(round(GAP_S * PLAYED_HZ))])
        at_s = rng.uniform(0.3, 0.7) * len(cue) / PLAYED_HZ
        commands.append((length_s + at_s, speech))
        said.append(float(np.sqrt(np.mean(cue**2))))
        slots.append((word, length_s + at_s, length_s + len(part) / PLAYED_HZ))
        played.append(part)
        length_s += len(part) / PLAYED_HZ
    out = np.concatenate(played)
    mic, gain = heard_in_room(out, rng)
    for (at_s, speech), cue_rms in zip(commands, said, strict=True):
        voiced = speech[np.abs(speech) > 100]
        level = cue_rms * gain * 10 ** (ser_db / 20) / np.sqrt(np.mean(voiced**2))
        at = round(at_s * SAMPLE_RATE_HZ)
        mic[at : at + len(speech)] += speech * level
    return out.astype(np.int16), np.clip(mic, -32768, 32767).astype(np.int16), slots


class Unguarded(Canceller):
    def clear(self, start_s: float, end_s: float, power: float) -> bool:
        return True


def obeyed(
    played: np.ndarray, mic: np.ndarray, how: type[Canceller] | None, lib: Any
) -> tuple[list[tuple[str, float]], float]:
    """What coach's listener obeys of ``mic`` (word, seconds), and the CPU it took."""
    listener = listener_for(how, lib)
    cpu = time.process_time()
    heard = through_listener(listener, played, mic)
    return [(h.word, h.end_s) for h in heard], time.process_time() - cpu


WAYS: tuple[tuple[str, type[Canceller] | None], ...] = (
    ("as heard, gated (no canceller)", None),
    ("speexdsp, no guard", Unguarded),
    ("speexdsp and guard (coach)", Canceller),
)


def main() -> None:
    lib = speexdsp()
    if lib is None:
        print("libspeexdsp is not installed (./setup.sh installs it): nothing measured")
        return
    engine = start()
    cues = [
        np.frombuffer(engine.render(text, SpeechSettings()).pcm, np.int16).astype(np.float64)
        for text in CUES
    ]
    words = {
        (voice, word): to_16k(engine.render(word, SpeechSettings(voice=voice)))
        for voice in VOICES
        for word in WORDS
    }
    print(
        "| command over a cue | SER | right | wrong or twice | coach's own echo taken for one "
        "| listener CPU (one core) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for ser_db in (0.0, -6.0):
        played, mic, slots = session(cues, words, ser_db, seed=3)
        for name, how in WAYS:
            heard, cost = obeyed(played, mic, how, lib)
            right = sum(
                [w for w, t in heard if begin < t <= end] == [word] for word, begin, end in slots
            )
            own = sum(not any(begin < t <= end for _, begin, end in slots) for _, t in heard)
            print(
                f"| {name} | {ser_db:+.0f} dB | {right}/{len(slots)} "
                f"| {len(heard) - right - own} | {own} | {cost / (len(mic) / SAMPLE_RATE_HZ):.1%} |"
            )
    own_cues(lib)
    reference_cost()


def reference_cost(minutes: float = 10.0) -> None:
    """What keeping the last seconds played costs per 10 ms block the stream hands over:
    written in place (coach) beside copying all of it on every block (as it was)."""
    block = np.random.default_rng(5).integers(-9000, 9000, SAMPLE_RATE_HZ // 100, np.int16)
    count = round(minutes * 60 * 100)
    reference, copying = Reference(SpeakingLog()), CopyingReference()
    ways: list[tuple[str, Any]] = [
        ("copy all of it every block (before)", copying.put),
        ("write in place (coach)", reference._put),
    ]
    cost = {}
    for name, put in ways:
        began = time.perf_counter()
        for n in range(count):
            put(n * len(block) / SAMPLE_RATE_HZ, block)
        cost[name] = (time.perf_counter() - began) / count
    print()
    print(
        f"| what played, kept for the canceller ({minutes:.0f} min of 10 ms blocks) "
        "| per block | of one core | time, before = 1 |"
    )
    print("| --- | --- | --- | --- |")
    before = cost[ways[0][0]]
    for name, per_block in cost.items():
        print(
            f"| {name} | {per_block * 1e6:.1f} µs | {per_block / 0.01:.2%} "
            f"| {per_block / before:.2f} |"
        )


def own_cues(lib: Any) -> None:
    """coach's own smr-full session (31 min, exported as it plays), heard through the room:
    how many of its words each way obeys."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import soundfile

    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "full.wav"
        subprocess.run(
            [sys.executable, "-m", "coach", "export", "smr-full", "-o", str(wav)],
            check=True,
            capture_output=True,
        )
        played, rate = soundfile.read(wav, dtype="int16")
    assert rate == PLAYED_HZ, rate
    in_room, _ = heard_in_room(played, np.random.default_rng(4))
    mic = np.clip(in_room, -32768, 32767).astype(np.int16)
    minutes = len(played) / PLAYED_HZ / 60
    print()
    print(
        f"| coach's own cues heard in the room ({minutes:.0f} min of smr-full) | obeyed "
        "| per 30 min |"
    )
    print("| --- | --- | --- |")
    for name, how in WAYS:
        heard, _ = obeyed(played, mic, how, lib)
        print(f"| {name} | {len(heard)} | {len(heard) * 30 / minutes:.1f} |")
