"""Render: spoken text to PCM through pyttsx3 (eSpeak NG on Linux), cached on disk.

pyttsx3 2.99 has sharp edges on Linux; each is handled here and nowhere else:

- ``runAndWait`` can return before the file is written: we wait for the
  ``finished-utterance`` event and then check the file is a whole WAV. The same
  utterance can also be reported finished twice, the second time as cancelled.
- ``setProperty`` is queued, not applied, and a stale stop flag in the driver
  can cancel it: a render right after a rate or voice change can come out at the
  old setting. We clear the flag and apply settings only while eSpeak is idle,
  then wait for eSpeak to take them (``getProperty('rate')`` cannot confirm it:
  pyttsx3 calls espeak_GetParameter without its second argument).
- only the last ``save_to_file`` before ``runAndWait`` is written: one cue a call.
- two threads driving the engine hang it: one engine, used from one thread.
  eSpeak itself is one per process, so a cold cache is rendered by several
  worker processes, one engine each (``render_in_workers``).
- ``runAndWait`` with nothing queued never returns, empty text raises, and the
  driver prints "Audio saved to ..." on stdout, from eSpeak's callback, possibly
  after ``runAndWait`` has returned: we never send empty text, and stdout is
  silenced at the descriptor level until the utterance is reported finished.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.audio import SAMPLE_RATE_HZ, Clip, level_speech, read_wav, write_wav_atomic
from coach.errors import CoachError, SpeechError, VoiceError
from coach.quiet import silenced

DEFAULT_RATE_WPM = 160
MIN_RATE_WPM = 80
MAX_RATE_WPM = 400
CACHE_FORMAT = 2
"""Bump when the cached audio would change for the same text, voice and rate."""
RENDER_TIMEOUT_S = 30.0
MIN_TEXTS_PER_WORKER = 8
"""Fewer texts than this per worker and starting the processes costs more than it saves."""
MAX_WORKERS = 4


@dataclass(frozen=True, slots=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpeechSettings:
    voice: str | None = None
    rate_wpm: int = DEFAULT_RATE_WPM

    def __post_init__(self) -> None:
        if not MIN_RATE_WPM <= self.rate_wpm <= MAX_RATE_WPM:
            raise SpeechError(
                f"rate {self.rate_wpm} words a minute is out of range; "
                f"use {MIN_RATE_WPM} to {MAX_RATE_WPM} (default {DEFAULT_RATE_WPM})"
            )


_espeak_ready = False


def _prepare_espeak() -> None:
    """Make libespeak-ng loadable for pyttsx3 before it first imports its driver.

    A system eSpeak NG wins; otherwise the library and data that the
    ``espeakng-loader`` wheel ships (``_backend_identity`` names which, for the cache).
    """
    global _espeak_ready
    if _espeak_ready or platform.system() != "Linux":
        return
    system = _system_espeak()
    if system:
        ctypes.CDLL(system, mode=ctypes.RTLD_GLOBAL)
        _espeak_ready = True
        return
    try:
        import espeakng_loader
    except ImportError as err:
        raise SpeechError(
            "eSpeak NG is not available: install the package again (pip install coach) "
            "or the system one (apt-get install espeak-ng)"
        ) from err
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    # eSpeak NG reads its data folder from here when pyttsx3 initialises it.
    os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
    _espeak_ready = True


class Pyttsx3Engine:
    """One pyttsx3 engine, rendering one text per call to a WAV, from one thread only."""

    def __init__(self) -> None:
        _prepare_espeak()
        try:
            import pyttsx3

            self._engine: Any = pyttsx3.init()
        except Exception as err:  # pyttsx3 raises bare RuntimeError/OSError/KeyError
            raise SpeechError(f"text-to-speech could not start: {err}") from err
        self._thread = threading.get_ident()
        self._finished = threading.Event()
        self._completed = False
        self._engine.connect("finished-utterance", self._on_finished)
        self._voices: tuple[Voice, ...] | None = None

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        # The driver can report an utterance twice, completed and then "cancelled":
        # its end-of-loop stop() leaves a flag that its next iterate() acts on.
        # One completed report, and a whole file, is success.
        self._completed = self._completed or completed
        self._finished.set()

    def voices(self) -> tuple[Voice, ...]:
        if self._voices is None:
            self._voices = tuple(
                Voice(str(v.id), str(v.name), tuple(str(x) for x in (v.languages or ())))
                for v in self._engine.getProperty("voices")
            )
        return self._voices

    def voice(self, voice: str) -> Voice:
        """The voice with this id or name.

        Raises:
            VoiceError: there is none.
        """
        for known in self.voices():
            if voice in (known.id, known.name):
                return known
        raise VoiceError(f'unknown voice "{voice}"; `coach voices` lists the voices you have')

    def _check_voice(self, voice: str) -> None:
        self.voice(voice)

    def render(self, text: str, settings: SpeechSettings) -> Clip:
        """Speak ``text`` into a clip at ``settings``.

        Raises:
            SpeechError: the engine failed or produced no audio.
        """
        if threading.get_ident() != self._thread:
            raise SpeechError("internal: the speech engine is used from a second thread")
        if not text.strip():
            raise SpeechError("internal: asked to speak empty text")
        if settings.voice is not None:
            self._check_voice(settings.voice)
        return self._render_once(text, settings)

    def _render_once(self, text: str, settings: SpeechSettings) -> Clip:
        self._apply(settings)
        with tempfile.TemporaryDirectory(prefix="coach-tts-") as folder:
            target = Path(folder) / "cue.wav"
            self._finished.clear()
            self._completed = False
            with silenced(1):  # until finished: the driver's print comes from its callback
                try:
                    self._engine.save_to_file(text, str(target))
                    self._engine.runAndWait()
                except Exception as err:  # the driver raises whatever it meets
                    raise SpeechError(f'could not speak "{text}": {err}') from err
                finished = self._finished.wait(RENDER_TIMEOUT_S)
            if not finished or not self._completed:
                raise SpeechError(f'the speech engine did not finish "{text}"')
            clip = self._read_when_whole(target)
        if clip.frames == 0:
            raise SpeechError(f'the speech engine produced no audio for "{text}"')
        return clip

    def _apply(self, settings: SpeechSettings) -> None:
        """Set rate and voice while eSpeak is idle, and wait until they have taken."""
        from pyttsx3.drivers import _espeak

        # The espeak driver's end-of-loop stop() leaves ``_stopping`` set; its next
        # loop then calls espeak_Cancel, which throws away the queued rate/voice
        # change (the render comes out at the old setting) or the utterance itself.
        driver = getattr(getattr(self._engine, "proxy", None), "_driver", None)
        if getattr(driver, "_stopping", False):
            driver._stopping = False  # type: ignore[union-attr]
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.002)
        self._engine.setProperty("rate", settings.rate_wpm)
        if settings.voice is not None:
            self._engine.setProperty("voice", settings.voice)
        _espeak.Synchronize()

    @staticmethod
    def _read_when_whole(target: Path) -> Clip:
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while True:
            try:
                return read_wav(target)
            except (CoachError, OSError):
                if time.monotonic() > deadline:
                    raise SpeechError("the speech engine never wrote its audio") from None
                time.sleep(0.005)


class SpeechCache:
    """Rendered cues on disk, keyed by text, voice, rate and engine.

    A second run renders nothing.
    """

    def __init__(
        self,
        folder: Path,
        settings: SpeechSettings,
        engine_factory: Callable[[], Pyttsx3Engine] = Pyttsx3Engine,
    ) -> None:
        self.folder = folder
        self.settings = settings
        self._engine_factory = engine_factory
        self._engine: Pyttsx3Engine | None = None
        self._memory: dict[str, Clip] = {}
        self.rendered = 0
        """How many texts were rendered (cache misses) by this cache."""

    @property
    def engine(self) -> Pyttsx3Engine:
        # Started only on a miss: a warm cache never pays for starting eSpeak.
        if self._engine is None:
            self._engine = self._engine_factory()
        return self._engine

    def _key(self, text: str) -> str:
        import pyttsx3

        identity = "\0".join(
            (
                str(CACHE_FORMAT),
                f"pyttsx3-{getattr(pyttsx3, '__version__', '?')}",
                _backend_identity(),
                self.settings.voice or "default",
                str(self.settings.rate_wpm),
                text,
            )
        )
        return hashlib.sha256(identity.encode()).hexdigest()

    def path_for(self, text: str) -> Path:
        key = self._key(text)
        return self.folder / key[:2] / f"{key}.wav"

    def cached(self, text: str) -> Clip | None:
        """The clip for ``text`` if it is in memory or whole on disk, without rendering it.

        An entry that is damaged (cut short, not a WAV, at another sample rate, empty)
        is removed, so that it is rendered again.
        """
        if text in self._memory:
            return self._memory[text]
        path = self.path_for(text)
        if not path.is_file():
            return None
        try:
            clip = read_wav(path)
        except (CoachError, OSError):
            clip = None
        if clip is None or clip.frames == 0 or clip.sample_rate_hz != SAMPLE_RATE_HZ:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        self._memory[text] = clip
        return clip

    def clip(self, text: str) -> Clip:
        """The clip for ``text``, from memory, disk, or the engine."""
        found = self.cached(text)
        if found is None:
            found = self._keep(text, level_speech(self.engine.render(text, self.settings)))
        return found

    def render_all(
        self,
        texts: Iterable[str],
        progress: Callable[[float], None] = lambda fraction: None,
        workers: int | None = None,
    ) -> None:
        """Have every text ready: those not cached are rendered, in parallel when there are many.

        ``workers`` (default: one per CPU, when there are enough texts to pay for
        starting them) is how many processes render; 1 renders here, in this one.
        A custom engine, or a cache folder that cannot be written, renders here too.
        ``progress`` hears the share of the missing texts done, now and then.

        Raises:
            SpeechError: a text could not be rendered.
        """
        missing = [text for text in dict.fromkeys(texts) if self.cached(text) is None]
        if not missing:
            return
        count = workers if workers is not None else worker_count(len(missing))
        # Workers hand their clips over through the cache folder, with the real engine.
        if (
            count > 1
            and len(missing) > 1
            and self._engine_factory is Pyttsx3Engine
            and _writable(self.folder)
        ):
            pending = {self.path_for(text) for text in missing}

            def count_done() -> None:
                pending.difference_update([p for p in pending if p.is_file()])
                progress(1 - len(pending) / len(missing))

            render_in_workers(self.folder, self.settings, share_out(missing, count), count_done)
        left = [text for text in missing if self.cached(text) is None]
        self.rendered += len(missing) - len(left)
        for done, text in enumerate(left, start=len(missing) - len(left) + 1):
            self.clip(text)  # in this process: what no worker rendered
            progress(done / len(missing))
        progress(1.0)

    def _keep(self, text: str, clip: Clip) -> Clip:
        """Count a freshly rendered clip, and keep it in memory and on disk."""
        self.rendered += 1
        path = self.path_for(text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav_atomic(path, clip)
        except OSError:
            pass  # a read-only cache only costs speed
        self._memory[text] = clip
        return clip

    def length_s(self, text: str) -> float:
        return self.clip(text).duration_s


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def worker_count(texts: int) -> int:
    """How many processes should render ``texts`` texts: one per CPU, if each gets enough."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS, texts // MIN_TEXTS_PER_WORKER))


def share_out(texts: list[str], groups: int) -> list[list[str]]:
    """``texts`` in ``groups`` lists of about equal length: each, longest first, to the lightest."""
    shares: list[list[str]] = [[] for _ in range(groups)]
    loads = [0] * groups
    for text in sorted(texts, key=len, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(text)
        loads[lightest] += len(text)
    return [share for share in shares if share]


WAIT_TICK_S = 0.1
"""How often ``render_in_workers`` looks in on its workers (and reports progress)."""


def render_in_workers(
    folder: Path,
    settings: SpeechSettings,
    shares: list[list[str]],
    on_wait: Callable[[], None] = lambda: None,
) -> None:
    """Render each share of texts into the cache ``folder`` in a process of its own, together.

    eSpeak NG is one instance per process, and the pyttsx3 driver waits 10 ms per
    utterance whatever its length, so separate processes (not threads) are what
    overlap the work. Plain ``python -m coach.speech.worker`` children, not
    multiprocessing: that would re-run the caller's main script in each worker.
    If this process is stopped, the workers are killed; if it is killed, they
    finish their (short) share and exit. ``on_wait`` is called every tick while
    they work. A worker's stderr goes to a file, not a pipe, so that it can never
    block on a full pipe while this process only watches.

    Raises:
        VoiceError: the voice does not exist (a worker exits 2, as coach does).
        SpeechError: a worker could not render a text, or died.
    """
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_parent, env.get("PYTHONPATH"))))
    command = [sys.executable, "-m", "coach.speech.worker", str(folder), str(settings.rate_wpm)]
    if settings.voice is not None:
        command.append(settings.voice)
    workers: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    try:
        # A Ctrl-C inside Popen would lose the started child; it is taken once all are listed.
        with _interrupts_held():
            for _ in shares:
                logs.append(tempfile.TemporaryFile())  # noqa: SIM115 (closed in finally)
                workers.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=logs[-1],
                        env=env,
                    )
                )
        for worker, share in zip(workers, shares, strict=True):
            assert worker.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # it failed to start: its stderr says why
                worker.stdin.write(json.dumps(share).encode())
                worker.stdin.close()
        while any(worker.poll() is None for worker in workers):
            time.sleep(WAIT_TICK_S)
            on_wait()
        for worker, log in zip(workers, logs, strict=True):
            if worker.returncode != 0:
                log.seek(0)
                errors = log.read().decode(errors="replace").strip()
                last = errors.splitlines()[-1] if errors else f"exit status {worker.returncode}"
                error = VoiceError if worker.returncode == VoiceError.exit_code else SpeechError
                raise error(last.removeprefix("coach: "))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        for log in logs:
            log.close()


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is over, then take effect as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals or may set handlers
        return
    held: list[int] = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: held.append(signum)) for sig in signals
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


@functools.cache
def _system_espeak() -> str | None:
    return ctypes.util.find_library("espeak-ng")


def speech_identity() -> str:
    """What rendered speech depends on besides text, voice and rate (for caches of lengths)."""
    import pyttsx3

    return f"{CACHE_FORMAT}|pyttsx3-{getattr(pyttsx3, '__version__', '?')}|{_backend_identity()}"


@functools.cache
def _backend_identity() -> str:
    """Which eSpeak NG renders, without starting it (a warm cache must stay cheap)."""
    if platform.system() != "Linux":
        return platform.system()
    system = _system_espeak()
    if system:
        return f"system:{system}"
    try:
        import espeakng_loader
    except ImportError:
        return "none"
    library = Path(espeakng_loader.get_library_path())
    return f"wheel:{library.resolve().name}:{library.stat().st_size}"
