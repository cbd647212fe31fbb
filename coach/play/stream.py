"""Sink adapter: one ALSA playback stream held open for the whole session.

Clips are mixed into it at the frame their deadline names, so an onset is exact
however late the session's thread wakes (up to ``LATENCY_S - AHEAD_S``), and the
output never goes quiet long enough for a Bluetooth or HDMI sink to fall asleep.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import threading
import time
from array import array
from collections.abc import Callable
from typing import Any

from coach.audio import SAMPLE_RATE_HZ, Clip, pcm_to_samples, samples_to_pcm
from coach.errors import AudioDeviceError
from coach.quiet import silenced

BLOCK_FRAMES = 220
"""What the writer mixes and writes at a time: 10 ms."""
AHEAD_S = 0.04
"""Each block is written this long before it is heard: the margin a busy machine has
before the device runs dry."""
LATENCY_S = 0.07
"""A clip is heard this long after the deadline it is played for (every clip alike, so
the session's timing is untouched): the session's thread may wake up to
``LATENCY_S - AHEAD_S`` late and its clip still starts on its frame."""
BUFFER_S = 0.06
"""The device's buffer: room for ``AHEAD_S`` and for following its clock. No more: ALSA's
``file`` plugin (the tests' speaker) passes a frame on only once a buffer follows it."""
START_S = 0.25
"""The stream starts with its first clip, which is then its first frame (heard at once,
not ``AHEAD_S`` later), or after this long without one."""
FOLLOW_S = 0.003
"""Where the device reports how much it holds: drift from the plan beyond this is taken
up in a silence (frames skipped, or silence added), never inside a clip."""

_FORMAT_S16_LE = 2
_ACCESS_RW_INTERLEAVED = 3


def follow(error_s: float, rate: int) -> int:
    """How many frames to skip (> 0) or to add as silence (< 0) where the device hears the
    next frame ``error_s`` later than planned; 0 within ``FOLLOW_S``."""
    if abs(error_s) <= FOLLOW_S:
        return 0
    return round(error_s * rate)


class StreamClip:
    """A clip in the stream: its frames, and when it sounds on the session's clock."""

    def __init__(self, stream: AlsaStream, start: int, pcm: bytes) -> None:
        self.stream, self.start, self.pcm = stream, start, memoryview(pcm)
        self.frames = len(pcm) // 2
        self.start_s = stream.session_time(start)
        """When its first frame sounds, less the stream's ``LATENCY_S``: on the clock the
        session keeps its deadlines by."""
        self.end_s = stream.session_time(start + self.frames)
        self.stopped = False
        self.cut: int | None = None
        """Where ``stop`` cut it: the frames from ``start`` to here were played."""

    def is_playing(self) -> bool:
        return not self.stopped and self.stream.error is None and self.stream.now() < self.end_s

    def wait_done(self) -> None:
        while self.is_playing():
            time.sleep(min(0.01, max(0.0, self.end_s - self.stream.now())))

    def stop(self) -> None:
        self.stopped = True
        self.stream.remove(self)


class AlsaStream:
    """The system's default audio output, as one stream for the whole session.

    A writer thread mixes the clips due in each block and writes it ``AHEAD_S`` before it
    is heard, paced on the monotonic clock (a device that never blocks, such as ALSA's
    ``null``, is written in real time all the same). Where the device reports how much it
    holds, the writer follows the device's own clock, so a sound card a little fast or
    slow against the machine's clock does not carry the session off its deadlines.
    ``close`` lets every clip finish first.
    """

    latency_s = LATENCY_S

    def __init__(
        self,
        device: str = "default",
        rate: int = SAMPLE_RATE_HZ,
        now: Callable[[], float] = time.monotonic,
        alsa: Any = None,
    ) -> None:
        """``alsa``: libasound, or a stand-in for one (a test's device with a clock of its
        own); the device is then not opened."""
        self.rate, self.now = rate, now
        self.alsa = _load_alsa() if alsa is None else alsa
        self.handle: ctypes.c_void_p | None = (
            _open(self.alsa, device, rate) if alsa is None else ctypes.c_void_p()
        )
        self.lock = threading.Lock()
        self.clips: list[StreamClip] = []
        self.mixed = 0  # frames mixed so far: a clip placed now starts no earlier
        self.follows_device = False
        self.error: AudioDeviceError | None = None
        self.running = True
        self.t0 = now()
        """When frame 0 is heard, set when the stream starts (``_start``): the first
        ``AHEAD_S`` is written at once, and the device starts on the first frame, so it then
        holds ``AHEAD_S`` (a margin kept from there on)."""
        self.started = threading.Event()
        self.heard: Callable[[float, bytes, int], None] | None = None
        self.thread = threading.Thread(target=self._run, name="coach-output", daemon=True)
        self.thread.start()

    # -- the session's side --

    def session_time(self, frame: int) -> float:
        return self.t0 + frame / self.rate - LATENCY_S

    def align(self, t: float) -> float:
        """The first time at or after ``t`` on which a frame starts: a session whose zero is
        there has each clip on the sample ``export`` puts it on."""
        with self.lock:
            self._start()
        frame = math.ceil((t + LATENCY_S - self.t0) * self.rate - 1e-6)
        return self.session_time(frame)

    def hand_over(self, heard: Callable[[float, bytes, int], None]) -> None:
        """Hand each block mixed to ``heard``: when it is heard, its samples, their rate
        (from the writer's thread; it must not block)."""
        self.heard = heard

    def _start(self) -> None:
        """Start the stream's clock now, if it has not started (the caller holds the lock)."""
        if not self.started.is_set():
            self.t0 = self.now()
            self.started.set()

    def play(self, clip: Clip, at: float | None = None, after_s: float = 0.0) -> StreamClip:
        """Start ``clip`` at ``at`` + ``after_s`` on the session's clock (heard ``LATENCY_S``
        later), each rounded to frames as ``export`` rounds a plan's times. Never before what
        is already mixed (then late). No ``at``: as soon as it can be, the next frame the
        writer mixes (heard about ``AHEAD_S`` from now: a chime or an answer has no deadline
        to keep, so it need not wait out ``LATENCY_S``), or where the clips still in the
        stream end, if later: a clip the session let run out is never talked over."""
        if self.error is not None:
            raise self.error
        if clip.sample_rate_hz != self.rate:
            raise ValueError(f"a clip at {clip.sample_rate_hz} Hz in a {self.rate} Hz stream")
        with self.lock:
            self._start()  # the first clip is the first frame
            if at is None:  # after any clip still sounding (one let run out), never over it
                wanted = self._end(self.mixed)
            else:
                wanted = round((at + LATENCY_S - self.t0) * self.rate) + round(after_s * self.rate)
            placed = StreamClip(self, max(wanted, self.mixed), clip.pcm)
            if at is not None and placed.start == wanted:
                placed.start_s = at + after_s  # on time, to the sample
            self.clips.append(placed)
        return placed

    def _end(self, default: int) -> int:
        """The frame after the last of the clips in the stream; ``default`` with none (the
        caller holds the lock)."""
        return max((c.start + c.frames for c in self.clips), default=default)

    def remove(self, clip: StreamClip) -> None:
        with self.lock:
            if clip in self.clips:
                self.clips.remove(clip)
                clip.cut = max(clip.start, self.mixed)

    def close(self) -> None:
        """Play out every clip not stopped, then let the device go (once)."""
        if self.handle is None:
            return
        if self.running and self.error is None:
            with self.lock:
                end = self._end(0)
            deadline = self.now() + 2 * BUFFER_S + max(0, end - self.mixed) / self.rate
            while self.mixed < end and self.error is None and self.now() < deadline:
                time.sleep(0.005)
        self.running = False
        self.started.set()  # a stream that never started need not wait to
        self.thread.join(2 * BUFFER_S + 1.0)
        handle, self.handle = self.handle, None
        with silenced(2):
            if self.error is None:
                self.alsa.snd_pcm_drain(handle)
            self.alsa.snd_pcm_close(handle)

    # -- the writer --

    def _mix(self, first: int, count: int) -> bytes:
        """The frames from ``first``, 16-bit little-endian: silence, a copy of the one clip
        sounding (speech never sounds over speech, so the usual case), or clips summed."""
        out = bytearray(2 * count)
        sounding: list[tuple[int, memoryview]] = []
        with self.lock:
            for clip in self.clips:
                begin, end = max(first, clip.start), min(first + count, clip.start + clip.frames)
                if begin < end:
                    part = clip.pcm[2 * (begin - clip.start) : 2 * (end - clip.start)]
                    sounding.append((begin - first, part))
            self.clips = [c for c in self.clips if c.start + c.frames > first + count]
            self.mixed = first + count
        if len(sounding) == 1:
            at, part = sounding[0]
            out[2 * at : 2 * at + len(part)] = part
        elif sounding:
            total = [0] * count
            for at, part in sounding:
                for n, value in enumerate(pcm_to_samples(part), at):
                    total[n] += value
            out[:] = samples_to_pcm(array("h", [max(-32768, min(32767, v)) for v in total]))
        return bytes(out)

    def _silent(self, first: int, count: int) -> bool:
        """Whether no clip sounds in these frames (the caller holds the lock)."""
        return not any(c.start < first + count and first < c.start + c.frames for c in self.clips)

    def _run(self) -> None:
        try:
            self.started.wait(START_S)
            with self.lock:
                self._start()
            while self.running:
                frame = self.mixed
                due = self.t0 + frame / self.rate - AHEAD_S
                wait = due - self.now()
                if wait > 0:
                    time.sleep(wait)
                block = self._mix(frame, BLOCK_FRAMES)
                self._write(block)
                if self.heard is not None:
                    self.heard(self.t0 + frame / self.rate, block, self.rate)
                self._follow()
        except AudioDeviceError as err:
            self.error = err

    def _write(self, block: bytes) -> None:
        left = len(block) // 2
        while left:
            done = self.alsa.snd_pcm_writei(self.handle, block[-left * 2 :], left)
            if done < 0:  # silently (1): coach says what failed, once, if recovery fails
                if self.alsa.snd_pcm_recover(self.handle, done, 1) < 0:
                    raise AudioDeviceError(
                        f"the audio output failed: {self.alsa.snd_strerror(done).decode()}"
                    )
                continue
            left -= done

    def _follow(self) -> None:
        """Keep the device's clock on the plan's, where the device says how much it holds."""
        delay = ctypes.c_long()
        if self.alsa.snd_pcm_delay(self.handle, ctypes.byref(delay)) < 0 or delay.value <= 0:
            return  # a device with no clock (ALSA's null): the monotonic pacing is all
        self.follows_device = True
        heard_s = self.now() + delay.value / self.rate  # when the next frame will be heard
        with self.lock:
            error_s = heard_s - (self.t0 + self.mixed / self.rate)
            frames = follow(error_s, self.rate)
            if not frames or not self._silent(self.mixed, abs(frames) + BLOCK_FRAMES):
                return
            if frames > 0:  # the device is behind the plan: leave out frames of a silence
                self.mixed += frames
                return
        self._write(bytes(-2 * frames))  # ahead (or just started): add silence


_ErrorHandler = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
"""libasound's ``snd_lib_error_handler_t``, less its variadic tail (the callee may ignore it)."""


def _ignore(_file: bytes, _line: int, _function: bytes, _err: int, _fmt: bytes) -> None:
    """ALSA's complaints (``ALSA lib pcm.c:…``) are not the user's to read: coach says what
    failed, once, from the error code."""


_say_nothing = _ErrorHandler(_ignore)


def _load_alsa() -> Any:
    """libasound, with its error messages dropped at the source, in every thread.

    Not by pointing stderr elsewhere around each call: the writer thread's calls would
    then swallow a line the session's thread writes at the same moment.
    """
    name = ctypes.util.find_library("asound")
    if name is None:
        raise AudioDeviceError("no audio output: the ALSA library (libasound2) is not installed")
    alsa = ctypes.CDLL(name)
    alsa.snd_lib_error_set_handler(_say_nothing)  # the module holds the callback alive
    alsa.snd_strerror.restype = ctypes.c_char_p
    alsa.snd_pcm_writei.restype = ctypes.c_long
    alsa.snd_pcm_writei.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong]
    return alsa


def _open(alsa: Any, device: str, rate: int) -> ctypes.c_void_p:
    """Open the device for playback, blocking writes; mono 16-bit at ``rate``.

    Raises:
        AudioDeviceError: no usable output, with ALSA's reason.
    """
    handle = ctypes.c_void_p()
    with silenced(2):
        # stream 0 = playback; opened non-blocking, so a busy device fails fast
        code = alsa.snd_pcm_open(ctypes.byref(handle), device.encode(), 0, 1)
        if code == 0:
            code = alsa.snd_pcm_nonblock(handle, 0)
            if code == 0:
                code = alsa.snd_pcm_set_params(
                    handle,
                    _FORMAT_S16_LE,
                    _ACCESS_RW_INTERLEAVED,
                    1,
                    rate,
                    1,
                    int(BUFFER_S * 1_000_000),
                )
            if code == 0:
                code = _start_at_once(alsa, handle)
            if code < 0:
                alsa.snd_pcm_close(handle)
    if code < 0:
        reason = alsa.snd_strerror(code).decode(errors="replace")
        raise AudioDeviceError(f"no audio output (ALSA device '{device}': {reason})")
    return handle


def _start_at_once(alsa: Any, handle: ctypes.c_void_p) -> int:
    """Start the device on the first frame written. ``snd_pcm_set_params`` waits for a full
    buffer, which would have every clip heard ``BUFFER_S - AHEAD_S`` late (until a device
    with a clock was followed back) and the session's first sound as much later."""
    params = ctypes.c_void_p()
    code = alsa.snd_pcm_sw_params_malloc(ctypes.byref(params))
    if code < 0:
        return int(code)
    try:
        code = alsa.snd_pcm_sw_params_current(handle, params)
        if code == 0:
            code = alsa.snd_pcm_sw_params_set_start_threshold(handle, params, ctypes.c_ulong(1))
        if code == 0:
            code = alsa.snd_pcm_sw_params(handle, params)
        return int(code)
    finally:
        alsa.snd_pcm_sw_params_free(params)
