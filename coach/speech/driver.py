"""Speech through pyttsx3's driver loop: the engine where libespeak-ng cannot be loaded afresh.

On Linux, ``coach.speech.espeak`` renders through libespeak-ng itself; elsewhere
(Windows' SAPI5, macOS) the ``espeak`` engine renders here, one text a
``runAndWait``, as coach did on every platform before.

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

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from coach.audio import Clip, read_wav
from coach.errors import CoachError, SpeechError
from coach.quiet import silenced
from coach.speech.engine import SpeechSettings, Voice, voice_named

RENDER_TIMEOUT_S = 30.0


class Pyttsx3Engine:
    """One pyttsx3 engine, rendering one text per call to a WAV, from one thread only."""

    def __init__(self) -> None:
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
        return voice_named(self, voice)

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
