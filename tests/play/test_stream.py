"""The live output stream: one ALSA stream for a whole session, each clip on its sample.

On the captured null device (ALSA's ``file`` plugin in a test HOME's .asoundrc), the
capture holds every frame the stream wrote, silence too, so a clip's place in it is
its place in the session. The null device has no clock of its own; following one is
tested on a stand-in device that plays a little fast or slow.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.audio import Clip
from coach.play.stream import (
    AHEAD_S,
    BLOCK_FRAMES,
    BUFFER_S,
    FOLLOW_S,
    LATENCY_S,
    START_S,
    AlsaStream,
    follow,
)
from tests.alsa_capture import capture_home

RATE = 22_050


def buzz(seconds: float, level: int = 1000) -> Clip:
    """A clip with no silent sample in it, so it is found whole in a capture."""
    frames = round(seconds * RATE)
    return Clip(array.array("h", [level, -level] * (frames // 2)).tobytes())


@pytest.fixture
def stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AlsaStream, Path]]:
    env, capture = capture_home(tmp_path)
    monkeypatch.setenv("HOME", env["HOME"])
    # ALSA reads its configuration once a process: read this test's HOME's .asoundrc
    ctypes.CDLL(ctypes.util.find_library("asound")).snd_config_update_free_global()
    output = AlsaStream()
    yield output, capture
    output.close()


def first_sound(pcm: bytes) -> int:
    zeros = len(pcm) - len(pcm.lstrip(b"\0"))
    return zeros - zeros % 2


def test_the_first_clip_is_the_first_frame_heard_at_once(
    stream: tuple[AlsaStream, Path],
) -> None:
    output, capture = stream
    time.sleep(START_S / 2)  # a session getting its first clip ready
    assert not capture.exists() or capture.stat().st_size == 0  # nothing written yet
    bell = buzz(0.3)
    asked = time.monotonic()
    playing = output.play(bell)
    assert asked - LATENCY_S <= playing.start_s <= time.monotonic() - LATENCY_S
    output.close()
    assert capture.read_bytes().startswith(bell.pcm)  # no silence before it


def test_a_clip_asked_for_late_still_starts_on_its_sample(
    stream: tuple[AlsaStream, Path],
) -> None:
    output, capture = stream
    zero = output.align(time.monotonic() + 0.1)
    first, second = buzz(0.2), buzz(0.3, level=2000)
    output.play(first, zero)
    # the session's thread wakes 20 ms after the second clip's deadline (a busy machine)
    time.sleep(max(0.0, zero + 0.5 + (LATENCY_S - AHEAD_S) * 0.6 - time.monotonic()))
    placed = output.play(second, zero, 0.5)
    assert placed.start_s == zero + 0.5
    output.close()
    heard = capture.read_bytes()
    start = first_sound(heard)
    assert heard[start : start + len(first.pcm)] == first.pcm
    at = start + 2 * round(0.5 * RATE)
    assert heard[at : at + len(second.pcm)] == second.pcm  # on its sample, whole
    assert not any(heard[start + len(first.pcm) : at])  # silence between


def test_a_clip_asked_for_too_late_starts_at_once_and_says_how_late(
    stream: tuple[AlsaStream, Path],
) -> None:
    output, capture = stream
    output.align(time.monotonic())  # the stream has started: a session under way
    time.sleep(0.1)
    deadline = time.monotonic() - 0.2
    clip = buzz(0.1)
    placed = output.play(clip, deadline)
    now = time.monotonic()
    assert deadline + 0.15 < placed.start_s <= now  # late, as said, and no later than needed
    output.close()
    assert clip.pcm in capture.read_bytes()


def test_stop_cuts_a_clip_and_close_plays_out_the_rest(
    stream: tuple[AlsaStream, Path],
) -> None:
    output, capture = stream
    long, short = buzz(1.0), buzz(0.2, level=3000)
    playing = output.play(long)
    assert playing.is_playing()
    time.sleep(0.3)
    playing.stop()
    assert not playing.is_playing()
    output.play(short)
    output.close()  # at once: what is queued still plays, whole
    heard = capture.read_bytes()
    assert short.pcm in heard
    assert long.pcm not in heard
    assert long.pcm[:4000] in heard  # its start was heard


def test_a_phrase_said_as_the_last_ends_follows_it_never_over_it(
    stream: tuple[AlsaStream, Path],
) -> None:
    output, capture = stream
    first, second = buzz(0.3), buzz(0.2, level=3000)
    playing = output.play(first)
    # the session wakes when the first ends on its clock: its last frames are still to mix
    time.sleep(max(0.0, playing.end_s - time.monotonic()))
    assert not playing.is_playing()
    following = output.play(second)
    assert following.start >= playing.start + playing.frames
    output.close()
    heard = capture.read_bytes()
    start = first_sound(heard)
    assert heard[start : start + len(first.pcm) + len(second.pcm)] == first.pcm + second.pcm


def test_clips_that_meet_are_summed_and_held_to_16_bits(
    stream: tuple[AlsaStream, Path],
) -> None:
    output, capture = stream
    zero = output.align(time.monotonic() + 0.1)
    low, high = buzz(0.2, level=20_000), buzz(0.2, level=30_000)
    output.play(low, zero)
    shift = 2206  # frames, even: the two buzzes in phase where they meet
    output.play(high, zero, shift / RATE)  # over the second half of the first
    output.close()
    heard = capture.read_bytes()
    start = first_sound(heard)
    assert heard[start : start + 2 * shift] == low.pcm[: 2 * shift]
    both = array.array("h", heard[start + 2 * shift : start + len(low.pcm)])
    assert set(both) == {32_767, -32_768}  # 50,000 is held at the ends, not wrapped
    rest = start + len(low.pcm)
    assert heard[rest : start + 2 * shift + len(high.pcm)] == high.pcm[len(low.pcm) - 2 * shift :]


def test_the_stream_plays_silence_in_real_time_between_clips(
    stream: tuple[AlsaStream, Path],
) -> None:
    _output, capture = stream
    time.sleep(START_S + 0.6)  # with no clip, the stream starts on its own after START_S
    written_s = capture.stat().st_size / 2 / RATE
    # never idle (a sink does not doze off), and paced though the null device never blocks
    # (ALSA's file plugin hands on what it was given a buffer at a time)
    assert 0.6 - BUFFER_S - 0.1 < written_s < 0.6 + AHEAD_S + 0.1
    assert not any(capture.read_bytes())


def test_follow_takes_up_drift_beyond_its_tolerance() -> None:
    assert follow(FOLLOW_S * 0.9, RATE) == 0
    assert follow(-FOLLOW_S * 0.9, RATE) == 0
    assert follow(0.01, RATE) == round(0.01 * RATE)  # heard late: frames left out
    assert follow(-0.04, RATE) == -round(0.04 * RATE)  # heard early: silence added


class DriftingDevice:
    """A stand-in for libasound: a device that plays ``speed`` times as fast as the
    machine's clock says it should, and reports how much it holds, as a sound card does."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.written = bytearray()
        self.started: float | None = None

    def held(self) -> int:
        if self.started is None:
            return 0
        played = (time.monotonic() - self.started) * RATE * self.speed
        return max(0, round(len(self.written) / 2 - played))

    def snd_pcm_writei(self, _handle: Any, data: bytes, frames: int) -> int:
        if self.started is None:
            self.started = time.monotonic()
        self.written += data[: frames * 2]
        return frames

    def snd_pcm_delay(self, _handle: Any, delay: Any) -> int:
        ctypes.cast(delay, ctypes.POINTER(ctypes.c_long)).contents.value = self.held()
        return 0

    def snd_pcm_drain(self, _handle: Any) -> int:
        return 0

    def snd_pcm_close(self, _handle: Any) -> int:
        return 0


@pytest.mark.parametrize("speed", [0.97, 1.03])
def test_a_device_fast_or_slow_is_followed_in_silences_never_inside_a_clip(speed: float) -> None:
    device = DriftingDevice(speed)  # 3%: 30 ms a second, far past the tolerance
    output = AlsaStream(alsa=device)
    clip = buzz(0.6)
    try:
        output.play(clip, output.align(time.monotonic() + 0.5))
        time.sleep(2.5)
        # when the device will play the next frame, against when the plan has it
        heard_s = time.monotonic() + device.held() / RATE
        with output.lock:
            error_s = heard_s - (output.t0 + output.mixed / RATE)
    finally:
        output.close()
    assert output.follows_device
    assert abs(error_s) < FOLLOW_S + BLOCK_FRAMES / RATE  # 35 ms or more without following
    assert bytes(clip.pcm) in device.written  # whole: never stretched or cut


def test_alsa_says_nothing_of_its_own_once_coach_has_loaded_it(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from coach.play.stream import _load_alsa

    alsa = _load_alsa()
    handle = ctypes.c_void_p()
    assert alsa.snd_pcm_open(ctypes.byref(handle), b"coach_no_such_device", 0, 1) < 0
    # unloaded, libasound prints "ALSA lib pcm.c:…: Unknown PCM coach_no_such_device"
    assert capfd.readouterr().err == ""


class UnderrunDevice(DriftingDevice):
    """A device that runs dry once (``writei`` fails with EPIPE); its recovery takes as long
    as the session's thread needs to write its lines."""

    def __init__(self) -> None:
        super().__init__(1.0)
        self.failed = False
        self.recovering = threading.Event()
        self.written_lines = threading.Event()

    def snd_pcm_writei(self, handle: Any, data: bytes, frames: int) -> int:
        if not self.failed and self.written:
            self.failed = True
            return -32  # -EPIPE: an underrun
        return super().snd_pcm_writei(handle, data, frames)

    def snd_pcm_recover(self, _handle: Any, _code: int, _silent: int) -> int:
        self.recovering.set()
        self.written_lines.wait(2.0)
        return 0


def test_a_line_said_while_the_writer_recovers_from_an_underrun_is_not_lost(
    capfd: pytest.CaptureFixture[str],
) -> None:
    device = UnderrunDevice()
    output = AlsaStream(alsa=device)
    clip = buzz(0.3)
    try:
        output.play(clip)
        assert device.recovering.wait(2.0)
        sys.stderr.write("coach: from Python\n")
        sys.stderr.flush()
        os.write(2, b"coach: from C\n")
        device.written_lines.set()
        time.sleep(0.5)
    finally:
        output.close()
    assert capfd.readouterr().err == "coach: from Python\ncoach: from C\n"
    assert output.error is None
    assert bytes(clip.pcm) in device.written  # the stream went on after recovering
