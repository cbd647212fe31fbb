"""coach's own sound taken out of what the microphone hears, so a command said over a cue is
heard, and a guard so that what the canceller leaves of coach's voice is never obeyed.

speexdsp's echo canceller (libspeexdsp, BSD-3-Clause, through ctypes as libasound is) is fed
what the speakers played, sample by sample: the continuous stream (``coach.play.stream``)
hands each block it mixes, with the time it is heard, to the ``SpeakingLog``, and the
``Canceller`` lines it up with each block the microphone sends by the two times. Its
residual-echo suppressor follows. Measured in ``bench/bench_echo.py``.

A canceller needs seconds of coach's speech to learn the room, and even then leaves a
little of coach's voice; a word-shaped bit of that must not be taken for a command. So an
utterance said while coach speaks is obeyed only where it stands ``GUARD_DB`` above what the
canceller has been leaving of coach's voice lately (its residual, measured on the blocks
where coach spoke, against what coach played over the utterance). In a quiet room with a
headset that residual is nothing, and a command over a cue is heard at once; in a room
that hears the speakers, the guard holds until the canceller has learned it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import soxr

from coach.control.recogniser import SAMPLE_RATE_HZ
from coach.play.speaking import SpeakingLog

FRAME = 160
"""What the canceller takes at a time: 10 ms."""
FILTER_S = 0.4
"""How long an echo the canceller models: the room's tail plus how far the echo's delay
may wander (the capture's and the output's clocks)."""
LEAD_S = 0.02
"""Until the echo's delay is found, the microphone's sample stamped t is paired with what
the stream says is heard at t plus this: a capture stamps a block as it arrives, after it
was heard, so an echo then follows the sound it echoes, as the canceller models it."""
PLACE_S = 0.1
"""Once found, the echo is placed this far into the canceller's filter ..."""
WANDER_S = 0.08
"""... and placed again (the canceller learning the room anew) if it wanders this far."""
ESTIMATE_S = 4.0
"""The echo's delay is found in this much of the latest sound ..."""
ESTIMATE_EVERY_S = 2.0
"""... this often, where coach spoke through at least ``ESTIMATE_SPEECH_S`` of it ..."""
ESTIMATE_SPEECH_S = 1.5
EARLIEST_S, LATEST_S = -0.4, 0.6
"""... between these (an echo ahead of when the stream says it is heard: a speaker that
plays what it is given at once, as the tests' does; behind: a Bluetooth speaker's buffer)."""
CLEAR_PEAK = 6.0
"""A delay is taken where the correlation's peak stands this many times its spread."""
WAIT_S = 0.3
"""A microphone block waits at most this long for the sound it must be paired with (an
echo more than about 0.2 s ahead of the stream's time is then paired with silence in part:
no real speaker plays that early)."""
RETIME_S = 3.0
"""The microphone's samples are timed by their count, checked against when the blocks of
this long came: the earliest, of all, is how far the count's time is off ..."""
RETIME_MAX_S = 0.03
"""... and it is timed anew where that is more than this."""
KEEP_S = 6.0
"""How much of the reference is kept for the microphone's blocks to find."""
ACTIVE = 1e5
"""A 10 ms of reference this loud (mean square; 40 dB below full scale) is coach speaking,
and tells how much of coach the canceller leaves."""
RESIDUAL_FRAMES = 500
"""The residual is measured over this many of the latest 10 ms where coach spoke ...."""
KNOWN_FRAMES = 100
"""... and is known once there are this many (1 s of coach's speech): before, every
utterance over coach's voice is dropped, as without a canceller. The residual just before
an utterance (this many frames) counts too, where higher: the echo's path may change (a
speaker moved, its volume turned up) faster than the canceller learns it."""
GUARD_DB = 18.0
"""An utterance over coach's voice is obeyed if it stands this far above the residual. What
is left of coach's words stands up to 16 dB above it (a burst while the canceller follows
a change), a command said over a cue 20 to 34 dB (at -6 and 0 dB against coach's voice):
``bench/bench_echo.py``."""

_ECHO_SET_SAMPLING_RATE = 24
_PREPROCESS_SET_DENOISE = 0
_PREPROCESS_SET_ECHO_STATE = 24


def speexdsp() -> Any | None:
    """libspeexdsp, or None where it is not installed (``./setup.sh`` installs it)."""
    name = ctypes.util.find_library("speexdsp")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    lib.speex_echo_state_reset.argtypes = [ctypes.c_void_p]
    lib.speex_preprocess_state_init.restype = ctypes.c_void_p
    lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
    return lib


class EchoCanceller:
    """speexdsp's canceller and residual-echo suppressor: ``cancel`` takes 10 ms frames of
    what the microphone heard and what the speakers played at the same moment (16-bit,
    16 kHz) and gives back what was heard less coach's echo. ``close`` frees it."""

    def __init__(self, lib: Any, filter_s: float = FILTER_S) -> None:
        self.lib = lib
        self.echo = lib.speex_echo_state_init(FRAME, round(filter_s * SAMPLE_RATE_HZ))
        rate = ctypes.c_int(SAMPLE_RATE_HZ)
        lib.speex_echo_ctl(self.echo, _ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
        self.residual = lib.speex_preprocess_state_init(FRAME, SAMPLE_RATE_HZ)
        lib.speex_preprocess_ctl(
            self.residual, _PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(self.echo)
        )
        off = ctypes.c_int(0)  # the recogniser suppresses noise itself
        lib.speex_preprocess_ctl(self.residual, _PREPROCESS_SET_DENOISE, ctypes.byref(off))
        self._out = np.zeros(FRAME, np.int16)

    def cancel(self, heard: np.ndarray, played: np.ndarray) -> np.ndarray:
        """One frame: ``heard`` less the echo of ``played`` (int16, ``FRAME`` each)."""
        heard = np.ascontiguousarray(heard, np.int16)
        played = np.ascontiguousarray(played, np.int16)
        self.lib.speex_echo_cancellation(
            self.echo, heard.ctypes.data, played.ctypes.data, self._out.ctypes.data
        )
        self.lib.speex_preprocess_run(self.residual, self._out.ctypes.data)
        return self._out.copy()

    def reset(self) -> None:
        """Forget the room learned (the echo moved)."""
        self.lib.speex_echo_state_reset(self.echo)

    def close(self) -> None:
        if self.echo is not None:
            self.lib.speex_preprocess_state_destroy(self.residual)
            self.lib.speex_echo_state_destroy(self.echo)
            self.echo = self.residual = None


class Reference:
    """What the speakers played, at 16 kHz, by the monotonic time it was heard: the blocks
    the stream hands the ``SpeakingLog``, resampled as they come."""

    def __init__(self, log: SpeakingLog) -> None:
        self.log = log
        self._buffer = np.zeros(2 * round(KEEP_S * SAMPLE_RATE_HZ), np.int16)
        self._count = 0  # samples held, from the buffer's start
        self.t0 = 0.0
        """When ``samples[0]`` was heard."""
        self._rate = 0
        self._resampler: Any = None
        self._anchor = 0.0  # when the resampler's first input frame was heard
        self._taken = 0  # input frames given to the resampler since the anchor
        self._given = 0  # 16 kHz samples it gave back since the anchor

    def take(self) -> None:
        """The blocks the stream mixed since the last call, into ``samples``."""
        while self.log.sound:
            heard_at, pcm, rate = self.log.sound.popleft()
            frames = np.frombuffer(pcm, np.int16)
            expected = self._anchor + self._taken / rate if self._rate else None
            if rate != self._rate or expected is None or abs(heard_at - expected) > 0.005:
                # the first block, or the stream skipped ahead (following the device's clock)
                self._rate, self._anchor, self._taken, self._given = rate, heard_at, 0, 0
                # quick (cubic) quality: it holds nothing back, where soxr's default holds
                # 30 ms, more than the stream writes ahead; it cancels as well (bench echo)
                self._resampler = soxr.ResampleStream(
                    rate, SAMPLE_RATE_HZ, 1, dtype="int16", quality="QQ"
                )
            out = self._resampler.resample_chunk(frames)
            self._taken += len(frames)
            self._put(self._anchor + self._given / SAMPLE_RATE_HZ, np.asarray(out, np.int16))
            self._given += len(out)

    @property
    def samples(self) -> np.ndarray:
        """What played, from ``t0`` on: the last ``KEEP_S`` or more (a view, not a copy)."""
        return self._buffer[: self._count]

    def _put(self, at: float, out: np.ndarray) -> None:
        """``out`` as heard from ``at`` on, over anything held from then; silence in a gap.

        Written in place: what is held moves to the front only when the buffer is full,
        once every ``KEEP_S`` of sound, not on every block (``bench echo``)."""
        keep = round(KEEP_S * SAMPLE_RATE_HZ)
        if len(out) > keep:  # longer than is kept: its end
            at, out = at + (len(out) - keep) / SAMPLE_RATE_HZ, out[-keep:]
        index = round((at - self.t0) * SAMPLE_RATE_HZ)
        if not self._count or index < 0 or index > self._count + SAMPLE_RATE_HZ:
            index, self._count, self.t0 = 0, 0, at  # started again
        if index + len(out) > len(self._buffer):  # full: the last KEEP_S after this block
            drop = index + len(out) - keep
            held = max(min(index, self._count) - drop, 0)
            self._buffer[:held] = self._buffer[drop : drop + held]
            index, self._count, self.t0 = index - drop, held, self.t0 + drop / SAMPLE_RATE_HZ
        self._buffer[self._count : index] = 0  # a gap: nothing played
        self._buffer[index : index + len(out)] = out
        self._count = index + len(out)

    @property
    def end_s(self) -> float:
        """When the last sample there is so far is over."""
        return self.t0 + len(self.samples) / SAMPLE_RATE_HZ

    def between(self, start_s: float, count: int) -> np.ndarray:
        """``count`` samples of what played from ``start_s``: silence where nothing did."""
        out = np.zeros(count, np.int16)
        first = round((start_s - self.t0) * SAMPLE_RATE_HZ)
        begin, end = max(first, 0), min(first + count, len(self.samples))
        if begin < end:
            out[begin - first : end - first] = self.samples[begin:end]
        return out


@dataclass(frozen=True, slots=True)
class Frame:
    """10 ms cancelled: when it ended, and the mean squares of what played and of what was
    left of what the microphone heard."""

    end_s: float
    played: float
    left: float


class Canceller:
    """The microphone's blocks less coach's own sound, and the guard over what is left.

    Where the echo is is found, not assumed: every ``ESTIMATE_EVERY_S`` the latest sound
    heard is correlated (GCC-PHAT) with what played, and the pairing of the two moved so
    the echo sits ``PLACE_S`` into the filter. A block the pairing needs sound for that
    the stream has not handed over yet waits for it (at most ``WAIT_S``).
    """

    def __init__(self, lib: Any, log: SpeakingLog) -> None:
        self.reference = Reference(log)
        self.echo = EchoCanceller(lib)
        self.pairing_s = LEAD_S
        """The microphone's sample stamped t is paired with what is heard at t plus this."""
        self.delay_s: float | None = None
        """The echo found: this long after the stream says the sound is heard."""
        self._held = np.zeros(0, np.int16)  # less than a frame, not yet cancelled
        self._waiting: deque[tuple[float, np.ndarray]] = deque()
        self._heard: deque[tuple[float, np.ndarray]] = deque(
            maxlen=round(ESTIMATE_S * SAMPLE_RATE_HZ / FRAME)
        )
        self._estimated_s = -np.inf
        self._base: float | None = None
        """When the microphone's first sample was captured: its samples are timed by their
        count from there, not by when each block arrived (a block may come late, or two
        at once; the echo must stay on its sample)."""
        self._count = 0
        self._late: deque[float] = deque(maxlen=round(RETIME_S * SAMPLE_RATE_HZ / FRAME))
        self._frames: deque[Frame] = deque(maxlen=round(4 * SAMPLE_RATE_HZ / FRAME))
        """The latest 4 s cancelled, by 10 ms (an utterance and the echo before it)."""
        self._spoke: deque[Frame] = deque(maxlen=RESIDUAL_FRAMES)
        """The latest 10 ms cancelled in which coach spoke."""

    def cancel(self, samples: bytes, captured_at: float) -> list[tuple[float, bytes]]:
        """A block of the microphone's samples, captured up to ``captured_at``: the blocks
        ready now, each less coach, with the time its last sample was captured."""
        self.reference.take()
        heard = np.concatenate([self._held, np.frombuffer(samples, np.int16)])
        whole = len(heard) - len(heard) % FRAME
        self._held = heard[whole:]
        self._count += len(samples) // 2
        if self._base is None:
            self._base = captured_at - self._count / SAMPLE_RATE_HZ
        self._late.append(captured_at - (self._base + self._count / SAMPLE_RATE_HZ))
        if len(self._late) == self._late.maxlen and abs(early := min(self._late)) > RETIME_MAX_S:
            # the microphone's clock and the machine's part: timed anew (and the echo found)
            self._base += early
            self._late.clear()
        first_s = self._base + self._count / SAMPLE_RATE_HZ - len(heard) / SAMPLE_RATE_HZ
        for at in range(0, whole, FRAME):
            stamped = (first_s + (at + FRAME) / SAMPLE_RATE_HZ, heard[at : at + FRAME])
            self._waiting.append(stamped)
            self._heard.append(stamped)
        if captured_at - self._estimated_s >= ESTIMATE_EVERY_S:
            self._estimated_s = captured_at
            self._estimate()
        ready: list[tuple[float, bytes]] = []
        while self._waiting:
            end_s, frame = self._waiting[0]
            if end_s + self.pairing_s > self.reference.end_s and captured_at - end_s < WAIT_S:
                break  # what it is paired with has not been handed over yet
            self._waiting.popleft()
            played = self.reference.between(end_s - FRAME / SAMPLE_RATE_HZ + self.pairing_s, FRAME)
            left = self.echo.cancel(frame, played)
            measured = Frame(end_s, _power(played), _power(left))
            self._frames.append(measured)
            if measured.played >= ACTIVE:
                self._spoke.append(measured)
            if ready and abs(ready[-1][0] + FRAME / SAMPLE_RATE_HZ - end_s) < 1e-6:
                ready[-1] = (end_s, ready[-1][1] + left.tobytes())
            else:
                ready.append((end_s, left.tobytes()))
        return ready

    def _estimate(self) -> None:
        """Find the echo's delay in the latest sound heard, and place it in the filter."""
        if len(self._heard) < self._heard.maxlen:  # type: ignore[operator]
            return
        heard = np.concatenate([frame for _, frame in self._heard]).astype(np.float64)
        first_s = self._heard[0][0] - FRAME / SAMPLE_RATE_HZ
        # what was heard at first_s - LATEST_S on, to EARLIEST_S past the end
        margin = round((LATEST_S - EARLIEST_S) * SAMPLE_RATE_HZ)
        played = self.reference.between(first_s - LATEST_S, len(heard) + margin)
        played = played.astype(np.float64)
        active = np.mean(np.square(played.reshape(-1, FRAME)), axis=1) >= ACTIVE
        if active.sum() * FRAME < ESTIMATE_SPEECH_S * SAMPLE_RATE_HZ:
            return  # coach hardly spoke: nothing to find the echo by
        size = 1 << int(np.ceil(np.log2(len(played) + len(heard))))
        cross = np.fft.rfft(heard, size) * np.conj(np.fft.rfft(played, size))
        cross /= np.maximum(np.abs(cross), 1e-9)  # PHAT: the peak sharp whatever the sound
        correlation = np.fft.irfft(cross, size)
        # heard[i] echoes played[i + k]: k from 0 (LATEST_S late) to margin (EARLIEST_S)
        lags = np.concatenate([correlation[-margin:], correlation[:1]])[::-1]
        peak = int(np.argmax(lags))
        spread = float(np.std(lags))
        if spread <= 0 or lags[peak] < CLEAR_PEAK * spread:
            return  # no clear echo: a headset, or coach not heard in the room
        self.delay_s = LATEST_S - peak / SAMPLE_RATE_HZ
        placed = self.pairing_s + self.delay_s  # how far into the filter the echo is now
        if abs(placed - PLACE_S) > WANDER_S:
            self.pairing_s = PLACE_S - self.delay_s
            self.echo.reset()
            self._spoke.clear()  # what it leaves must be measured anew

    def clear(self, start_s: float, end_s: float, power: float) -> bool:
        """Whether an utterance from ``start_s`` to ``end_s`` (mean square ``power`` after
        cancelling) stands ``GUARD_DB`` above what the canceller leaves of coach there."""
        before = [f for f in tuple(self._spoke) if f.end_s <= start_s - FILTER_S]
        if len(before) < KNOWN_FRAMES:
            return False  # the residual is not known yet
        # what it leaves lately, or just before, if more (the room changed: a speaker moved)
        residual = max(
            statistics.median(f.left / f.played for f in before),
            statistics.median(f.left / f.played for f in before[-KNOWN_FRAMES:]),
        )
        # what played over it, and just before it (its echo's tail): most of the filter
        over = [f.played for f in tuple(self._frames) if start_s - FILTER_S < f.end_s <= end_s]
        expected = residual * sum(over) / max(1, len(over))
        return power >= expected * 10 ** (GUARD_DB / 10)

    def close(self) -> None:
        self.echo.close()


def _power(samples: np.ndarray) -> float:
    return float(np.mean(np.square(samples, dtype=np.float64)))


def canceller(log: SpeakingLog | None) -> Canceller | None:
    """A canceller for the sound the log is handed, or None: no output hands it one (a
    test's), or libspeexdsp is missing."""
    if log is None or not log.hears_sound:
        return None
    lib = speexdsp()
    return None if lib is None else Canceller(lib, log)
