"""What a live session may say only once its pace changes, rendered while it plays.

A neural voice takes seconds to render the cues of every other pace and each
"N minutes left"; waiting for them before the first cue would make every cold
start late. So the session starts with what its own pace says, and these are
rendered behind it, in a worker process at a lower priority, so that playback
keeps the CPU it needs. A change asked for before they are ready (of pace, or
`h`) is made as soon as they are, while the session goes on as planned; pausing
and every skip work at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping, Sequence

from coach.audio import Clip
from coach.errors import CoachError
from coach.speech.cache import SpeechCache

NICE = 10
"""How much lower than the session's the rendering's priority is (worker processes inherit it)."""
CLOSE_WAIT_S = 2.0
"""How long closing waits for the rendering to stop (worker processes are killed at once)."""


class _Stopped(Exception):
    """The session ended: the rendering stops where it is (what is done stays cached)."""


class LaterSpeech:
    """Renders ``texts`` with ``speech`` in a thread of its own; ``take`` hands the clips
    over once, when all are ready."""

    def __init__(self, speech: SpeechCache, texts: Sequence[str]) -> None:
        self.speech = speech
        self.texts = tuple(dict.fromkeys(texts))
        self.stopping = threading.Event()
        self.done = threading.Event()
        self.clips: dict[str, Clip] | None = None
        self.error: CoachError | None = None
        """Why the clips could not be rendered (changes of pace then stay unavailable)."""
        self.thread = threading.Thread(target=self._run, name="coach-later-speech", daemon=True)

    def start(self) -> LaterSpeech:
        if self.texts:
            self.thread.start()
        else:
            self.clips = {}
            self.done.set()
        return self

    def take(self) -> Mapping[str, Clip] | None:
        """The rendered clips, the first time they are asked for once ready; else None."""
        if not self.done.is_set() or self.clips is None:
            return None
        clips, self.clips = self.clips, None
        return clips

    @property
    def pending(self) -> bool:
        """Still rendering: False once the clips are ready, or could not be made."""
        return not self.done.is_set()

    def close(self) -> None:
        """Stop rendering (the session is over): worker processes are killed."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(CLOSE_WAIT_S)

    def _check(self, fraction: float) -> None:
        if self.stopping.is_set():
            raise _Stopped

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a lower priority only where it can
            thread = threading.get_native_id()  # on Linux, this thread (and what it starts)
            now = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, now + NICE))
        try:
            self.speech.render_all(self.texts, self._check, apart=True)
            clips = {}
            for text in self.texts:
                self._check(1.0)
                clips[text] = self.speech.clip(text)
            self.clips = clips
        except _Stopped:
            pass
        except CoachError as err:
            self.error = err
        finally:
            self.done.set()
