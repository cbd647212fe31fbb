"""A command source: spoken commands from the microphone (``coach play --listen``).

"pause", "resume", "next", "back", "slower", "faster", "longer" and "stop",
after the wake word when one is set ("coach, pause"). Capture runs in
PortAudio's thread (sounddevice) and recognition in one of its own, so a clip
is never delayed by either; commands only queue, and the player takes them in
order with the keys'. coach never obeys itself: where the output hands over what it
plays and libspeexdsp is here, coach's own sound is cancelled from what the microphone
hears, and a command said over a cue is obeyed only where it stands clearly above what
the canceller leaves of coach (``coach.control.echo``); elsewhere, what the microphone
hears while coach's own sound plays (and its echo just after) is dropped, unheard.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from coach import DISTRIBUTION
from coach.control.echo import Canceller, canceller
from coach.control.recogniser import (
    SAMPLE_RATE_HZ,
    WORDS,
    Heard,
    ListenError,
    Recogniser,
    check_listening,
    wake_word_shape,
)
from coach.control.sources import SourceContext, SourceKind
from coach.play.speaking import SpeakingLog
from coach.play.transport import MAX_PENDING, Command, Controls, Fired
from coach.settings import Key, flag
from coach.timeline.events import Timeline

BLOCK_FRAMES = 320
"""20 ms of samples a callback."""
SILENT_AFTER_S = 2.0
"""A microphone that sends nothing this long has gone (unplugged, its stream broke)."""
AHEAD_S = 1.0
"""... and so has one that sends more than this ahead of real time."""

COMMANDS = {
    "next": Command.NEXT,
    "back": Command.BACK,
    "slower": Command.SLOWER,
    "faster": Command.FASTER,
    "longer": Command.LONGER,
    "stop": Command.QUIT,
}
"""Words that always mean the same; "pause" and "resume" depend on whether it is paused."""


def warn(message: str) -> None:
    sys.stderr.write(f"coach: {message}\n")
    sys.stderr.flush()


class Listener:
    """The recogniser fed from the microphone: a command source that also sees what plays."""

    def __init__(
        self,
        recogniser: Recogniser,
        speaking: SpeakingLog | None,
        canceller: Canceller | None = None,
    ) -> None:
        self.recogniser = recogniser
        self.speaking = speaking
        self.canceller = canceller
        self.blocks: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
        self.commands: deque[Command] = deque()
        self.heard: list[Heard] = []
        self.paused = False
        self.gone = threading.Event()
        self._thread = threading.Thread(target=self._run, name="coach-listen", daemon=True)
        self._last_block = time.monotonic()
        self._first_block: float | None = None
        self._frames = 0
        self._told = False
        self.abort: type[BaseException] = RuntimeError
        """Raised in the callback to stop the stream (sounddevice.CallbackAbort)."""

    # -- PortAudio's thread --
    def captured(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        now = time.monotonic()
        if self._first_block is None:
            self._first_block = now
        self._frames += frames
        if self._frames / SAMPLE_RATE_HZ > now - self._first_block + AHEAD_S:
            # faster than time: a device that broke (at its end, ALSA hands back nothing,
            # and PortAudio asks again at once); listening on would take a core
            self.gone.set()
            raise self.abort
        self._last_block = now
        self.blocks.put((now, bytes(indata)))

    def finished(self) -> None:
        """PortAudio ended the stream (an error, or the abort above)."""
        if self._thread.is_alive():
            self.gone.set()

    # -- the listener's thread --
    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while (item := self.blocks.get()) is not None:
            self.hear(*item)

    def hear(self, captured_at: float, samples: bytes) -> None:
        """One block from the microphone, captured up to ``captured_at``."""
        if self.canceller is None:
            block_s = len(samples) / 2 / SAMPLE_RATE_HZ
            if self._own(captured_at - block_s, captured_at):
                self.recogniser.reset()  # coach speaks: nothing said now is a command
            self._feed(captured_at, samples)
            return
        for end_s, cleaned in self.canceller.cancel(samples, captured_at):
            self._feed(end_s, cleaned)

    def _feed(self, captured_at: float, samples: bytes) -> None:
        for heard in self.recogniser.feed(samples):
            # the utterance on the monotonic clock, from this block's end
            start = captured_at - (self.recogniser.fed_s - heard.start_s)
            end = captured_at - (self.recogniser.fed_s - heard.end_s)
            if not self._own(start, end) or (
                self.canceller is not None and self.canceller.clear(start, end, heard.power)
            ):
                self.obey(heard)

    def _own(self, start_s: float, end_s: float) -> bool:
        return self.speaking is not None and self.speaking.overlaps(start_s, end_s)

    def obey(self, heard: Heard) -> None:
        self.heard.append(heard)
        if heard.word in ("pause", "resume"):
            if (heard.word == "pause") == self.paused:
                return  # "pause" while paused, "resume" while playing: nothing to do
            self.paused = not self.paused  # at once: a "resume" right after is not lost
            command = Command.PAUSE
        else:
            command = COMMANDS[heard.word]
        if command is Command.QUIT:
            self.commands.clear()
        elif len(self.commands) >= MAX_PENDING:
            return
        self.commands.append(command)

    def stop(self) -> None:
        self.blocks.put(None)
        self._thread.join(2.0)
        if self.canceller is not None and not self._thread.is_alive():
            self.canceller.close()

    # -- the session's thread: the command source and the display --
    def poll(self) -> Command | None:
        if time.monotonic() - self._last_block > SILENT_AFTER_S:
            self.gone.set()
        if self.gone.is_set() and not self._told:
            self._told = True
            what = "stopped working" if self._first_block is not None else "sends no sound"
            warn(f"the microphone {what}; voice commands are off for this session")
        return self.commands.popleft() if self.commands else None

    def fired(self, fired: Fired) -> None:
        pass

    def replanned(self, timeline: Timeline) -> None:
        pass

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        if not self.commands:  # a queued pause or resume is still on its way
            self.paused = paused or waiting


OPEN_WITHIN_S = 3.0
"""A capture device that has not opened by then never will (a FIFO with no writer, a hung
driver): the session plays on without it."""


def open_microphone(listener: Listener) -> Any | None:
    """The capture stream, started; None, said in one line, where it cannot be had.

    PortAudio starts (it probes every device as sounddevice is imported) and opens the
    device in a thread of its own: a device may block in either for ever, in C, where
    the main thread would hear no signal (SIGTERM, Ctrl-C). Here the main thread waits
    at most ``OPEN_WITHIN_S``, signals heard, and a stream that opens too late is
    closed again at once.
    """
    result: queue.Queue[Any] = queue.Queue(1)
    given_up = threading.Event()

    def open_stream() -> None:
        try:
            import sounddevice
        except OSError as err:  # PortAudio is missing (Debian: libportaudio2)
            result.put(OSError(f"PortAudio cannot load ({err})"))
            return
        except ImportError as err:
            result.put(err)
            return
        listener.abort = sounddevice.CallbackAbort
        try:
            stream = sounddevice.RawInputStream(
                samplerate=SAMPLE_RATE_HZ,
                channels=1,
                dtype="int16",
                blocksize=BLOCK_FRAMES,
                latency="low",  # a command is acted on as soon as it is said
                callback=listener.captured,
                finished_callback=listener.finished,
            )
            stream.start()
        except Exception as err:  # sounddevice.PortAudioError: no device, busy, refused
            result.put(err)
            return
        if given_up.is_set():  # it answered after the session went on without it
            with contextlib.suppress(Exception):
                stream.abort()
                stream.close()
            return
        result.put(stream)

    # sounddevice points stderr at /dev/null while PortAudio starts (ALSA is noisy), and
    # points it back after: if the start never ends, coach's own stderr is put back here
    stderr = os.dup(2)
    threading.Thread(target=open_stream, name="coach-microphone", daemon=True).start()
    try:
        opened = result.get(timeout=OPEN_WITHIN_S)
    except queue.Empty:
        given_up.set()
        os.dup2(stderr, 2)
        warn(
            f"no microphone: the capture device did not open within {OPEN_WITHIN_S:g} s; "
            "playing without voice commands"
        )
        return None
    finally:
        os.close(stderr)
    if isinstance(opened, Exception):
        warn(f"no microphone: {opened}; playing without voice commands")
        return None
    return opened


@contextlib.contextmanager
def open_listener(context: SourceContext) -> Iterator[Controls | None]:
    """The microphone while the block runs; None, said in one line, where there is none."""
    recogniser = Recogniser(check_listening(context.options.get("wake-word")) or None)
    listener = Listener(recogniser, context.speaking)
    stream = open_microphone(listener)
    if stream is None:
        yield None
        return
    listener.canceller = canceller(context.speaking)  # coach's own sound, taken out
    listener.start()
    try:
        yield listener
    finally:
        with contextlib.suppress(Exception):  # a stream that broke mid-session
            stream.abort()
            stream.close()
        listener.stop()


def check_microphone(options: Mapping[str, Any]) -> None:
    """The listen extra is here (the recogniser and sounddevice) and the recogniser knows the
    wake word: said before the first sound, only by a command that listens.

    Raises:
        ListenError: it is not, or it does not.
    """
    check_listening(options.get("wake-word"))
    # found, not imported: importing it starts PortAudio, which probes every device and
    # may block on one; that happens as the microphone opens, off the main thread
    if importlib.util.find_spec("sounddevice") is None:
        raise ListenError(
            f"voice commands need sounddevice: pip install '{DISTRIBUTION}[listen]' "
            "(./setup.sh installs it)"
        )


SAID = ", ".join(f'"{word}"' for word in WORDS)

SOURCE = SourceKind(
    "voice",
    way="resume",
    open=open_listener,
    help=f"spoken commands (--listen): {SAID}",
    default=False,
    settings=(
        Key(
            "listen",
            f"Take spoken commands from the microphone: {SAID}.",
            flag,
            False,
            option="--listen/--no-listen",
            commands=("play",),
        ),
        Key(
            "wake-word",
            "With --listen, obey only commands said after this word and a short pause "
            '("coach, pause").',
            wake_word_shape,
            unset="none",
            option="--wake-word",
            commands=("play",),
            metavar="WORD",
            needs="listen",
        ),
    ),
    opened_by="listen",
    check=check_microphone,
)
