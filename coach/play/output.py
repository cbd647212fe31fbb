"""Sink adapter: the speakers, through simpleaudio, behind a small interface the player uses."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import time
from dataclasses import dataclass
from typing import Any, Protocol

from coach.audio import SAMPLE_WIDTH, Clip
from coach.errors import AudioDeviceError
from coach.play.speaking import SpeakingLog
from coach.quiet import silenced

WAKE_AFTER_S = 3.0
"""After this much silence a sink may have gone to sleep: PulseAudio and PipeWire suspend
an idle one after about 5 s, and a Bluetooth speaker then takes a moment to wake."""
WAKE_LEAD_S = 0.4
"""The silence played before a clip that follows such a pause (started that much earlier,
so the clip is still on time): what a waking sink swallows is silence, not the first word."""


class Playing(Protocol):
    def is_playing(self) -> bool: ...
    def wait_done(self) -> None: ...
    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Opening:
    """The session's first two events, started before the rest of it was ready: its opening
    chime, begun at ``started_s`` on the player's clock (the timeline's zero), then its
    title ``text``, planned ``title_at_s`` into the session and begun ``late_s`` after that
    (a voice still getting ready). The player takes over from the event after the title.
    """

    text: str
    started_s: float
    playing: Playing
    """The clip playing: the chime, then (``cli.live.say_title``) the title."""
    title_at_s: float
    late_s: float = 0.0


class Output(Protocol):
    """Somewhere clips are heard. ``play`` returns at once; the clip plays on.

    An output may have ``wake_s``: the silence the player puts before a clip that
    follows a long pause, for a sink that sleeps (none: 0, as a file needs none).
    """

    def play(self, clip: Clip) -> Playing: ...


class LoggedOutput:
    """An output that notes in a ``SpeakingLog`` when each clip plays."""

    def __init__(self, output: Output, log: SpeakingLog) -> None:
        self.output = output
        self.log = log
        self.wake_s: float = getattr(output, "wake_s", 0.0)

    def play(self, clip: Clip) -> Playing:
        now = time.monotonic()
        self.log.spoke(now, now + clip.duration_s)
        return self.output.play(clip)


def probe_alsa(device: str = "default") -> None:
    """Open and close the ALSA output without playing anything.

    Raises:
        AudioDeviceError: no usable output, with ALSA's reason.
    """
    name = ctypes.util.find_library("asound")
    if name is None:
        raise AudioDeviceError("no audio output: the ALSA library (libasound2) is not installed")
    alsa = ctypes.CDLL(name)
    alsa.snd_strerror.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    with silenced(2):
        # stream 0 = playback; mode 1 = non-blocking, so a busy device fails fast
        code = alsa.snd_pcm_open(ctypes.byref(handle), device.encode(), 0, 1)
        if code == 0:
            alsa.snd_pcm_close(handle)
    if code < 0:
        reason = alsa.snd_strerror(code).decode(errors="replace")
        raise AudioDeviceError(f"no audio output (ALSA device '{device}': {reason})")


class SimpleaudioOutput:
    """The system's default audio output."""

    wake_s = WAKE_LEAD_S

    def __init__(self) -> None:
        try:
            import simpleaudio
        except ImportError as err:  # a broken install, or a platform without a wheel
            raise AudioDeviceError(f"no audio output: simpleaudio cannot load ({err})") from err
        self._sa: Any = simpleaudio
        if platform.system() == "Linux":
            probe_alsa()

    def play(self, clip: Clip) -> Playing:
        try:
            with silenced(2):
                handle = self._sa.play_buffer(clip.pcm, 1, SAMPLE_WIDTH, clip.sample_rate_hz)
        except Exception as err:  # simpleaudio raises its own SimpleaudioError
            raise AudioDeviceError(f"the audio output failed: {err}") from err
        return handle  # type: ignore[no-any-return]
