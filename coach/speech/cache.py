"""Render: spoken text to clips through the speech engine, cached on disk and checked on read."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from coach.audio import SAMPLE_RATE_HZ, Clip, level_speech, read_wav, write_wav_atomic
from coach.errors import CoachError
from coach.speech.engine import (
    DEFAULT_RATE_WPM,
    Engine,
    EngineKind,
    SpeechSettings,
    Voice,
    engine_kind,
)
from coach.speech.workers import interrupts_held, render_in_workers, share_out, worker_count

__all__ = ["DEFAULT_RATE_WPM", "SpeechCache", "SpeechSettings", "Voice", "speech_identity"]

CACHE_FORMAT = 4
"""Bump when the cached audio would change for the same text, voice and rate."""


def speech_identity(kind: EngineKind) -> str:
    """What rendered speech depends on besides text, voice and rate (for caches of lengths)."""
    return f"{CACHE_FORMAT}|{kind.name}|{kind.identity()}"


class SpeechCache:
    """Rendered cues on disk, keyed by text, voice, rate and engine.

    A second run renders nothing.
    """

    def __init__(
        self,
        folder: Path,
        settings: SpeechSettings,
        engine_factory: Callable[[], Engine] | None = None,
    ) -> None:
        self.folder = folder
        self.settings = settings
        self.kind = engine_kind(settings.engine)
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._memory: dict[str, Clip] = {}
        self.rendered = 0
        """How many texts were rendered (cache misses) by this cache."""

    @functools.cached_property
    def identity(self) -> str:
        """The engine and what its audio depends on: part of every key."""
        return speech_identity(self.kind)

    @property
    def engine(self) -> Engine:
        # Started only on a miss: a warm cache never pays for starting the engine.
        if self._engine is None:
            self._engine = (self._engine_factory or self.kind.start)()
        return self._engine

    @functools.cached_property
    def _voice_key(self) -> str:
        return self.kind.voice_key(self.settings.voice)

    def _key(self, text: str) -> str:
        identity = "\0".join(
            (
                str(CACHE_FORMAT),
                self.identity,
                self._voice_key,
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

    def has(self, text: str) -> bool:
        """Whether ``text`` seems cached (in memory, or a file on disk), without reading it."""
        if text in self._memory:
            return True
        try:
            return self.path_for(text).stat().st_size > 0
        except OSError:
            return False

    def clip(self, text: str) -> Clip:
        """The clip for ``text``, from memory, disk, or the engine."""
        found = self.cached(text)
        if found is None:
            # Ctrl-C or SIGTERM while an engine calls back into Python (eSpeak NG's audio
            # callback) would be printed and lost by ctypes: held until it returns
            with interrupts_held():
                audio = self.engine.render(text, self.settings)
            found = self._keep(text, level_speech(audio))
        return found

    def render_all(
        self,
        texts: Iterable[str],
        progress: Callable[[float], None] = lambda fraction: None,
        workers: int | None = None,
        *,
        apart: bool = False,
        ordered: bool = False,
    ) -> None:
        """Have every text ready: those not cached are rendered, in parallel when there are many.

        ``workers`` (default: one per CPU, when there are enough texts to pay for
        starting them) is how many processes render; 1 renders here, in this one.
        A custom engine, or a cache folder that cannot be written, renders here too.
        ``progress`` hears the share of the missing texts done, now and then (an exception
        it raises stops the work: worker processes are killed).
        ``apart``: render in a worker process even when one is enough, so this process
        is not slowed (a session plays in it). ``ordered``: the texts are wanted in their
        order (a session already playing says them so): each worker takes every n-th.

        Raises:
            SpeechError: a text could not be rendered.
        """
        missing = [text for text in dict.fromkeys(texts) if self.cached(text) is None]
        if not missing:
            return
        count = workers if workers is not None else worker_count(len(missing))
        # Workers hand their clips over through the cache folder, with the real engine.
        if (
            ((count > 1 and len(missing) > 1) or apart)
            and self._engine_factory is None
            and self.kind.parallel
            and _writable(self.folder)
        ):
            pending = {self.path_for(text) for text in missing}

            def count_done() -> None:
                pending.difference_update([p for p in pending if p.is_file()])
                progress(1 - len(pending) / len(missing))

            shares = (
                [missing[i::count] for i in range(count)] if ordered else share_out(missing, count)
            )
            render_in_workers(self.folder, self.settings, shares, count_done)
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
