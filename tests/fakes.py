"""Test doubles for every seam, in one module (as structlog's ``testing.py``).

The clock, output and controls of the live player; and one of each kind of
extension a newcomer would add, registered the way theirs would be (entry
points, see ``tests/test_seams.py``): a speech engine that renders tones, a
command source that follows a script, and a raw-PCM export encoder.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.errors import AudioDeviceError, VoiceError
from coach.export.formats import Encoder, Format
from coach.play.sources import SourceContext, SourceKind
from coach.play.transport import Command, Controls
from coach.speech.engine import EngineKind, SpeechSettings, Voice

# --- the live player's ports --------------------------------------------------------------


@dataclass
class FakeClock:
    t: float = 100.0
    interrupt_at: float | None = None
    """Raise KeyboardInterrupt (Ctrl-C) when time reaches this many seconds in."""

    def now(self) -> float:
        return self.t

    def sleep_until(self, deadline: float) -> None:
        if self.interrupt_at is not None and deadline - 100 >= self.interrupt_at:
            self.t = 100 + self.interrupt_at
            raise KeyboardInterrupt
        self.t = max(self.t, deadline)


@dataclass
class FakeControls:
    """Presses keys at given times (seconds since the clock's start)."""

    clock: FakeClock
    presses: list[tuple[float, Command]]

    def poll(self) -> Command | None:
        if self.presses and self.clock.t - 100 >= self.presses[0][0]:
            return self.presses.pop(0)[1]
        return None


@dataclass
class FakePlaying:
    clock: FakeClock
    until: float
    log: list[str]

    def is_playing(self) -> bool:
        return self.clock.t < self.until

    def wait_done(self) -> None:
        self.log.append("wait")
        self.clock.t = max(self.clock.t, self.until)

    def stop(self) -> None:
        self.log.append("stop")


@dataclass
class FakeOutput:
    """Plays instantly, or ``cost_s`` late, or with the device ``slow`` by a factor."""

    clock: FakeClock
    cost_s: float = 0.0
    slow: float = 1.0
    played: list[Clip] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    fail_at: int | None = None

    def play(self, clip: Clip) -> FakePlaying:
        if self.fail_at is not None and len(self.played) == self.fail_at:
            raise AudioDeviceError("the audio output failed: gone")
        self.clock.t += self.cost_s
        self.played.append(clip)
        self.log.append("play")
        return FakePlaying(self.clock, self.clock.t + clip.duration_s * self.slow, self.log)


# --- a speech engine: tones as long as speech would about be ---------------------------------

TONE_HZ = 440.0
TONE_AMPLITUDE = 3000


def fake_speech_s(text: str) -> float:
    """A stand-in for rendered speech: about 15 characters a second, plus a breath."""
    return round(0.3 + len(text) * 0.065, 6)


class ToneEngine:
    """Renders any text as a tone as long as real speech would about be."""

    VOICES = (Voice("tone/low", "Low tone", ("en",)), Voice("tone/high", "High tone", ("de",)))

    def voices(self) -> tuple[Voice, ...]:
        return self.VOICES

    def render(self, text: str, settings: SpeechSettings) -> Clip:
        if settings.voice is not None and settings.voice not in {v.id for v in self.VOICES}:
            raise VoiceError(f'unknown voice "{settings.voice}"')
        frames = round(fake_speech_s(text) * SAMPLE_RATE_HZ)
        step = 2 * math.pi * TONE_HZ / SAMPLE_RATE_HZ
        wave = np.round(TONE_AMPLITUDE * np.sin(np.arange(frames) * step)).astype("<i2")
        return Clip(wave.tobytes())


ENGINE = EngineKind("tones", start=ToneEngine, identity=lambda: "tones-1", parallel=True)


# --- a command source: commands at given seconds after it opens -------------------------------

SCRIPT_ENV = "COACH_TEST_SCRIPT"
"""``"1.5 pause, 3 pause, 4 next, 6 quit"``: each command at that many seconds."""


@dataclass
class ScriptedSource:
    script: list[tuple[float, Command]]
    started: float = field(default_factory=time.monotonic)

    def poll(self) -> Command | None:
        if self.script and time.monotonic() - self.started >= self.script[0][0]:
            return self.script.pop(0)[1]
        return None


def parse_script(text: str) -> list[tuple[float, Command]]:
    steps = (item.split() for item in text.split(",") if item.strip())
    return [(float(at), Command(name)) for at, name in steps]


@contextlib.contextmanager
def open_script(context: SourceContext) -> Iterator[Controls | None]:
    text = context.env.get(SCRIPT_ENV)
    yield ScriptedSource(parse_script(text)) if text else None


SOURCE = SourceKind(
    "scripted", open=open_script, help="commands from $COACH_TEST_SCRIPT", default=False
)


# --- an export encoder: the raw samples --------------------------------------------------------


@dataclass
class RawEncoder:
    file: BinaryIO

    def write(self, block: np.ndarray) -> None:
        self.file.write(block.astype("<i2").tobytes())


@contextlib.contextmanager
def open_raw(path: Path, sample_rate_hz: int) -> Iterator[Encoder]:
    with path.open("wb") as file:
        yield RawEncoder(file)
        file.flush()
        os.fsync(file.fileno())


RAW = Format("raw", open_raw)
