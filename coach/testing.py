"""Test doubles for every seam, and the contract a plugin's engine, source or format must keep.

coach's own tests use these, and so can a plugin's author (as structlog ships
``structlog.testing``): the clock, output and controls of the live player; one
of each kind of extension a newcomer would add (a speech engine that renders
tones, a command source that follows a script given by its own option, a raw-PCM
encoder), registered the way theirs would be, through entry points; and
``check_engine``, ``check_source`` and ``check_format``, which raise
AssertionError where an extension breaks what coach relies on.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.control.sources import SourceContext, SourceKind
from coach.errors import AudioDeviceError, CoachError, VoiceError
from coach.export.formats import Encoder, Format
from coach.play.transport import Command, Controls
from coach.render.build import load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.settings import Key
from coach.speech.engine import EngineKind, SpeechSettings, Voice
from coach.timeline.events import Pacing, Timeline

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
    started: list[float] = field(default_factory=list)
    """The clock's time as each clip of ``played`` began."""
    log: list[str] = field(default_factory=list)
    fail_at: int | None = None

    def play(self, clip: Clip, at: float | None = None, after_s: float = 0.0) -> FakePlaying:
        if self.fail_at is not None and len(self.played) == self.fail_at:
            raise AudioDeviceError("the audio output failed: gone")
        self.clock.t += self.cost_s
        self.played.append(clip)
        self.started.append(self.clock.t)
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


@dataclass
class ScriptedSource:
    script: list[tuple[float, Command]]
    started: float = field(default_factory=time.monotonic)

    def poll(self) -> Command | None:
        if self.script and time.monotonic() - self.started >= self.script[0][0]:
            return self.script.pop(0)[1]
        return None


def script_setting(value: object) -> str:
    """The ``script`` setting: steps ``parse_script`` reads, kept as written.

    Raises:
        ValueError: they are not.
    """
    parse_script(str(value) if isinstance(value, str) else "")
    return str(value).strip()


def parse_script(text: str) -> list[tuple[float, Command]]:
    """``"1.5 pause, 3 pause, 4 next, 6 quit"``: each command at that many seconds.

    Raises:
        ValueError: a step is not a number of seconds and a command.
    """
    try:
        steps = [item.split() for item in str(text).split(",") if item.strip()]
        script = [(float(at), Command(name)) for at, name in steps]
    except ValueError as err:
        raise ValueError('must be steps like "1.5 pause, 3 next, 6 quit"') from err
    if not script or any(not math.isfinite(at) or at < 0 for at, _ in script):
        raise ValueError('must be steps like "1.5 pause, 3 next, 6 quit"')
    return script


@contextlib.contextmanager
def open_script(context: SourceContext) -> Iterator[Controls | None]:
    script = context.options.get("script")
    yield ScriptedSource(parse_script(script)) if script else None


SOURCE = SourceKind(
    "scripted",
    open=open_script,
    help="commands at set times (--script)",
    default=False,
    settings=(
        Key(
            "script",
            'Commands at set seconds into the session, like "1.5 pause, 3 next, 6 quit".',
            script_setting,
            option="--script",
            commands=("play",),
            metavar="STEPS",
        ),
    ),
    opened_by="script",
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

# --- the contract of each seam -----------------------------------------------------------------


def check_settings(keys: tuple[Key, ...]) -> None:
    """A kind's settings are well formed: distinct names, options spelt as click spells them,
    a default its own parser accepts, and an option only with the commands that take it."""
    names = [key.name for key in keys]
    assert len(set(names)) == len(names), f"settings named twice: {names}"
    for key in keys:
        assert key.name == key.name.lower(), f"{key.name!r}: a lower-case name"
        assert key.name.replace("-", "").isalnum(), f"{key.name!r}: words-with-dashes"
        assert key.meaning.strip(), f"{key.name}: say what it means"
        if key.default is not None:
            try:
                parsed = key.parse(key.default)
            except ValueError:
                parsed = ValueError
            assert parsed == key.default, f"{key.name}: its default is refused"
        if key.option is not None:
            assert key.option.startswith("--"), f"{key.name}: an option starts with --"
            assert key.commands, f"{key.name}: an option names the commands that take it"
        if key.needs is not None:
            assert key.needs in names, f"{key.name}: needs {key.needs!r}, not one of its own"


def check_engine(kind: EngineKind, text: str = "Ball under your left calf.") -> None:
    """An engine keeps the seam's contract: a stable identity without starting, voices with
    languages, one mono clip at the session's rate per text, rate and voice as settings say,
    and an unknown voice refused as a VoiceError."""
    check_settings(kind.settings)
    identity = kind.identity()
    assert isinstance(identity, str), "identity(): a str"
    assert identity == kind.identity(), "identity(): the same each time"
    engine = kind.start()
    voices = engine.voices()
    assert isinstance(voices, tuple), "voices(): a tuple"
    for voice in voices:
        assert isinstance(voice, Voice), f"{voice!r}: a Voice"
        assert voice.id, f"{voice!r}: a Voice with an id"
        assert all(isinstance(tag, str) for tag in voice.languages), f"{voice.id}: its languages"
    settings = SpeechSettings(engine=kind.name)
    clip = engine.render(text, settings)
    assert isinstance(clip, Clip), "render(): a Clip"
    assert clip.sample_rate_hz == SAMPLE_RATE_HZ, f"render(): at {SAMPLE_RATE_HZ} Hz"
    assert 0.1 < clip.duration_s < 60, f"render(): {clip.duration_s:.2f} s for {text!r}"
    assert clip.peak_dbfs() > -40, "render(): it is heard"
    again = engine.render(text, settings)
    assert again.frames == clip.frames, "render(): the same text, the same length"
    for named in (None, *(v.id for v in voices[:3]), "no/such-voice-at-all"):
        assert isinstance(kind.credit(named), str), f"credit({named!r}): a str, never raises"
    try:
        engine.render(text, SpeechSettings(voice="no/such-voice-at-all", engine=kind.name))
    except VoiceError:
        pass
    else:
        raise AssertionError("render(): an unknown voice must raise VoiceError")


def check_source(kind: SourceKind, context: SourceContext | None = None) -> None:
    """A command source keeps the seam's contract: it opens and closes (or yields None where
    it cannot work), and ``poll()`` answers at once with a Command or None."""
    check_settings(kind.settings)
    context = context or SourceContext(io.StringIO(), {}, tone_session().timeline)
    with kind.open(context) as source:
        if source is None:
            return
        started = time.monotonic()
        for _ in range(20):
            command = source.poll()
            assert command is None or isinstance(command, Command), f"poll(): {command!r}"
        assert time.monotonic() - started < 0.5, "poll() must never block"


def check_format(fmt: Format, folder: Path) -> Path:
    """A format keeps the seam's contract: at its own rate it writes a whole session that
    its tags and a voice's credit can be written into, and refuses a rate it cannot carry.
    Returns the file."""
    check_settings(fmt.settings)
    rate = fmt.rate_hz()
    assert rate in fmt.sample_rates_hz, f"rate_hz(): {rate} is not one of its rates"
    session = tone_session()
    path = folder / f"contract.{fmt.name}"
    with fmt.open(path, rate) as encoder:
        for event in session.timeline.events[:6]:
            encoder.write(np.frombuffer(session.clip(event).pcm, dtype="<i2"))
    assert path.is_file(), "open(): no file was written"
    assert path.stat().st_size > 0, "open(): nothing was written"
    fmt.tag(path, session.timeline)
    assert path.stat().st_size > 0, "tag(): the file is gone"
    fmt.credit(path, "Spoken by a contract voice; data: public domain")
    assert path.stat().st_size > 0, "credit(): the file is gone"
    try:
        fmt.rate_hz(7)
    except CoachError:
        pass
    else:
        raise AssertionError("rate_hz(7): a rate it cannot carry must be refused")
    return path


def tone_session(routine: str = "smr-legs", pace: float = 4.0) -> Session:
    """A bundled routine planned and voiced by the tone engine: a real session, made fast."""
    from coach.plan.planner import plan_session

    loaded = load_routine(routine)
    sounds = load_sounds()
    timeline: Timeline = plan_session(
        loaded, Pacing(pace), fake_speech_s, {s: c.duration_s for s, c in sounds.items()}
    )
    engine = ToneEngine()
    texts = {*timeline.texts(), *timeline.phrases.live()}
    speech = {text: engine.render(text, SpeechSettings()) for text in texts}
    return Session(timeline, speech, sounds)


def loudness(samples: Any, sample_rate_hz: int) -> tuple[float, float]:
    """Integrated loudness (LUFS, ITU-R BS.1770 by pyloudnorm) and true peak (dBTP, the peak
    of the signal oversampled 4 times, as BS.1770 measures it) of float samples in [-1, 1].

    For tests and benchmarks: pyloudnorm comes with floorcoach[dev], not with coach.
    """
    import pyloudnorm
    import soxr

    values = np.asarray(samples, dtype=np.float64)
    if values.ndim > 1:
        values = values.mean(axis=1)
    lufs = float(pyloudnorm.Meter(sample_rate_hz).integrated_loudness(values))
    oversampled = soxr.resample(values, sample_rate_hz, sample_rate_hz * 4)
    peak = float(np.abs(oversampled).max())
    return lufs, 20 * math.log10(peak) if peak else -math.inf


def file_loudness(path: Path) -> tuple[float, float]:
    """``loudness`` of an audio file, decoded back."""
    import soundfile

    samples, rate = soundfile.read(path, dtype="float64")
    return loudness(samples, rate)
