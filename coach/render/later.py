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

from collections.abc import Mapping, Sequence

from coach.audio import Clip
from coach.render.behind import Behind
from coach.speech.cache import SpeechCache

NICE = 10
"""How much lower than the session's the rendering's priority is (worker processes inherit it)."""


class LaterSpeech(Behind):
    """Renders ``texts`` with ``speech`` in a thread of its own; ``take`` hands the clips
    over once, when all are ready (``error``: why they could not be rendered; changes of
    pace then stay unavailable)."""

    def __init__(self, speech: SpeechCache, texts: Sequence[str]) -> None:
        super().__init__("coach-later-speech", NICE)
        self.speech = speech
        self.texts = tuple(dict.fromkeys(texts))
        self.clips: dict[str, Clip] | None = None

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

    def work(self) -> None:
        self.speech.render_all(self.texts, self.check, apart=True)
        clips = {}
        for text in self.texts:
            self.check()
            clips[text] = self.speech.clip(text)
        self.clips = clips
