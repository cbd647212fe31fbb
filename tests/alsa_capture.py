"""Capture what ALSA plays on a machine with no sound card (used by tests and bench)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def capture_home(root: Path) -> tuple[dict[str, str], Path]:
    """An environment whose HOME's ``.asoundrc`` sends the default device's audio to a file.

    ALSA's ``type file`` plugin over the ``null`` device writes exactly the raw
    samples played; returns that environment and the capture file's path.
    """
    home = root / "home"
    home.mkdir()
    capture = root / "capture.raw"
    # "|cat >> file": a plain file path is truncated on every open (every clip)
    (home / ".asoundrc").write_text(
        'pcm.!default {\n  type file\n  slave.pcm "null"\n'
        f'  file "|cat >> {capture}"\n  format "raw"\n}}\n'
    )
    return {**os.environ, "HOME": str(home)}, capture


def listening_home(root: Path) -> tuple[dict[str, str], Path, Path]:
    """As ``capture_home``, and the default device's capture side reads from a FIFO.

    ALSA's ``file`` plugin with ``infile`` hands a capturing program what it reads
    from that file; a ``Room`` writes into the FIFO in real time, as a microphone
    would hear it. Returns the environment, the capture file and the FIFO.
    """
    env, capture = capture_home(root)
    microphone = root / "microphone.fifo"
    os.mkfifo(microphone)
    rc = Path(env["HOME"]) / ".asoundrc"
    speakers = rc.read_text().replace("pcm.!default", "pcm.speakers")
    # asym: the file plugin writes what it captures to its file too, which is not played
    rc.write_text(
        'pcm.!default {\n  type asym\n  playback.pcm "speakers"\n  capture.pcm "mic"\n}\n'
        + speakers
        + 'pcm.mic {\n  type file\n  slave.pcm "null"\n  file "/dev/null"\n'
        f'  infile "{microphone}"\n  format "raw"\n}}\n'
    )
    return env, capture, microphone


def pink_noise(n: int, rng: Any) -> Any:
    """``n`` samples of pink (1/f) noise, at an RMS of 1: steady noise, as a room has."""
    import numpy as np

    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise**2))


class Room:
    """What a microphone in the room hears, in real time, written into the FIFO.

    A faint noise floor always, and steady pink noise at ``noise_rms``; words said
    on cue (``say``); and, with ``echo``, coach's own sound as the microphone hears
    the speakers: whatever reaches the capture file is played back into the room
    over its real length. Sound made while no one listens is lost, as in a real
    room.
    """

    BLOCK = 320  # 20 ms at 16 kHz

    def __init__(
        self, fifo: Path, capture: Path, *, echo: bool = False, noise_rms: float = 0.0
    ) -> None:
        import threading

        import numpy as np

        self.np = np
        self.fifo, self.capture, self.echo = fifo, capture, echo
        self.rng = np.random.default_rng(3)
        self.noise = pink_noise(30 * 16_000, self.rng) * noise_rms  # a fan, traffic: looped
        self.noise_at = 0
        self.speech = np.zeros(0, np.float32)
        self.echoed = np.zeros(0, np.float32)
        self.resampler: Any = None
        self.captured_bytes = 0
        self.last_sound = time.monotonic()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def say(self, samples: Any) -> None:
        """Say these 16 kHz samples into the room, from the next block on."""
        self.speech = self.np.concatenate([self.speech, samples.astype(self.np.float32)])

    def wait_quiet(self, quiet_s: float, timeout_s: float = 30.0) -> None:
        """Until neither coach nor the room has made a sound for ``quiet_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() - self.last_sound < quiet_s or len(self.speech):
            assert time.monotonic() < deadline, "the room was never quiet"
            time.sleep(0.02)

    def close(self) -> None:
        """The microphone goes: nothing more is written, the FIFO is closed."""
        self.running = False
        self.thread.join(5)

    def _heard_from_speakers(self) -> None:
        size = self.capture.stat().st_size if self.capture.exists() else 0
        if size <= self.captured_bytes:
            return
        with self.capture.open("rb") as f:
            f.seek(self.captured_bytes)
            data = f.read(size - self.captured_bytes)
        data = data[: len(data) - len(data) % 2]
        self.captured_bytes += len(data)
        played = self.np.frombuffer(data, dtype=self.np.int16).astype(self.np.float32)
        sounding = self.np.flatnonzero(played)
        if len(sounding):  # the stream plays on in silence: the last sound in what came
            after_s = (sounding[-1] + 1) / 22_050
            self.last_sound = max(self.last_sound, time.monotonic() - len(played) / 22_050)
            self.last_sound += after_s
        if self.echo:
            if self.resampler is None:
                import soxr

                # one stream, as sound goes through a room: each chunk resampled on its own
                # would click at its edges, and its rounding would carry the echo off time
                self.resampler = soxr.ResampleStream(22_050, 16_000, 1, dtype="float32")
            more = self.resampler.resample_chunk(played)
            self.echoed = self.np.concatenate([self.echoed, more])

    def _block(self) -> bytes:
        np, n = self.np, self.BLOCK
        block = self.rng.normal(0.0, 20.0, n)
        if self.noise.any():
            at = self.noise_at
            block += np.take(self.noise, range(at, at + n), mode="wrap")
            self.noise_at = (at + n) % len(self.noise)
        for name in ("speech", "echoed"):
            pending = getattr(self, name)
            part = pending[:n]
            block[: len(part)] += part
            setattr(self, name, pending[n:])
            if len(part) and name == "speech":
                self.last_sound = time.monotonic()
        return bytes(np.clip(block, -32768, 32767).astype(np.int16).tobytes())

    def _run(self) -> None:
        fd = -1
        start = time.monotonic()
        ticks = 0
        while self.running:
            ticks += 1
            time.sleep(max(0.0, start + ticks * self.BLOCK / 16_000 - time.monotonic()))
            self._heard_from_speakers()
            block = self._block()
            if fd < 0:
                try:
                    fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:  # no one listens: the sound is lost
                    continue
            try:
                os.write(fd, block)
            except BlockingIOError:  # the listener reads no more, but holds it open: lost
                pass
            except BrokenPipeError:
                os.close(fd)
                fd = -1
        if fd >= 0:
            os.close(fd)


def trimmed(pcm: bytes) -> bytes:
    """16-bit samples from the first that is not silent to the last."""
    samples = memoryview(pcm)[: len(pcm) - len(pcm) % 2].cast("h")
    first = next((i for i, v in enumerate(samples) if v), len(samples))
    last = next((i for i in range(len(samples) - 1, -1, -1) if samples[i]), -1)
    return bytes(samples[first : last + 1]) if first <= last else b""


def sounded_s(capture: Path) -> float:
    """Seconds from the first sound in a capture to its last (0: nothing heard yet, or
    only the stream's silence)."""
    if not capture.exists():
        return 0.0
    return len(trimmed(capture.read_bytes())) / 2 / 22_050


def sounded(capture: Path) -> bool:
    """Whether a capture holds any sound, not only the stream's silence."""
    return capture.exists() and any(capture.read_bytes())


def as_heard(lines: list[dict[str, Any]], pcm_of: Any) -> bytes:
    """What a live session's stream plays, read from its ``--log`` lines: each clip (its PCM
    from ``pcm_of(line)``) at the frame it fired at, silence between, from the first sound
    to the last (``trimmed``, as a capture of it is compared). The log's times, to the
    microsecond, name a frame exactly; clips never overlap."""
    out = bytearray()
    first_s = lines[0]["fired_s"]
    for line in lines:
        at = round((line["fired_s"] - first_s) * 22_050) * 2
        assert at >= len(out), ("a clip over the one before it", line)
        out.extend(bytes(at - len(out)))
        out.extend(pcm_of(line))
    return trimmed(bytes(out))


def assert_no_leads(lines: list[dict[str, Any]]) -> None:
    """The live stream never falls silent, so no clip has silence played before it."""
    assert all(line["lead_s"] == 0 for line in lines), lines
