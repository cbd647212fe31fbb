"""Spoken commands heard offline: a closed vocabulary, recognised by pocketsphinx.

The microphone's samples are cut into utterances by pocketsphinx's own
voice-activity endpointer. An utterance as short as a command is decoded against
a grammar of the command words alone (after the wake word, when one is set), so
the decoder answers with a command or with nothing; longer speech (a sentence,
the radio) is never decoded at all. The en-us model ships in pocketsphinx's
wheel: nothing is downloaded.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach import DISTRIBUTION
from coach.errors import UsageError

SAMPLE_RATE_HZ = 16_000
WORDS = ("pause", "resume", "next", "back", "slower", "faster", "longer", "stop")
"""What may be said, in the order help lists them."""
MIN_UTTERANCE_S = 0.2
"""Shorter sounds (a click, a cough) are not words."""
MAX_COMMAND_S = 1.6
"""Speech longer than this is not a command (plus ``WAKE_S`` with a wake word)."""
WAKE_S = 0.9
WINDOW_S = 0.25
"""The endpointer's window: an utterance has ended after this much without speech."""


class ListenError(UsageError):
    """Voice commands cannot work as asked (no recogniser, a wake word it cannot hear)."""


@dataclass(frozen=True, slots=True)
class Heard:
    """A command word, heard in the utterance from ``start_s`` to ``end_s`` of the stream."""

    word: str
    start_s: float
    end_s: float


def _pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as err:
        raise ListenError(
            f"voice commands need the recogniser: pip install '{DISTRIBUTION}[listen]' "
            "(./setup.sh installs it)"
        ) from err
    return pocketsphinx


def wake_word_shape(value: object) -> str:
    """A wake word as a setting: one to three plain words (the recogniser checks them later,
    only in the command that listens, so a config with one never needs it elsewhere).

    Raises:
        ValueError: not one to three words of letters.
    """
    words = str(value).strip().lower().split() if isinstance(value, str) else []
    if not words or len(words) > 3 or not all(w.isalpha() and w.isascii() for w in words):
        raise ValueError('must be one to three common English words, like "coach"')
    return " ".join(words)


@functools.cache
def check_wake_word(wake_word: str) -> str:
    """The wake word as the recogniser hears it (lower case), checked against its dictionary.

    Cached: the config, ``coach play`` and the recogniser each ask, and the
    dictionary (3.5 MB) is read once.

    Raises:
        ListenError: pocketsphinx is missing, or it does not know the word.
    """
    ps = _pocketsphinx()
    words = wake_word.strip().lower().split()
    dictionary = Path(ps.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    known: set[str] = set()
    if words and all(w.isalpha() and w.isascii() for w in words):
        with dictionary.open(encoding="utf-8", errors="replace") as lines:
            known = {line.split(" ", 1)[0] for line in lines} & set(words)
    if not words or len(words) > 3 or known != set(words):
        raise ListenError(
            f'wake word "{wake_word}": not an English word the recogniser knows; '
            'use one to three common words, like "coach"'
        )
    return " ".join(words)


def check_listening(wake_word: str | None) -> str:
    """The wake word to listen for ("" for none), once the recogniser is known to be here.

    Raises:
        ListenError: pocketsphinx is missing, or the wake word is not one it knows.
    """
    _pocketsphinx()
    return check_wake_word(wake_word) if wake_word else ""


def grammar(wake_word: str | None) -> str:
    """The JSGF grammar of every command (after the wake word)."""
    words = " | ".join(WORDS)
    before = f"{wake_word} " if wake_word else ""
    return f"#JSGF V1.0;\ngrammar coach;\npublic <command> = {before}({words});\n"


def command_decoder(wake_word: str | None) -> Any:
    """A pocketsphinx decoder of the command grammar (after the wake word)."""
    decoder = _pocketsphinx().Decoder(lm=None, logfn=os.devnull, samprate=SAMPLE_RATE_HZ)
    decoder.add_jsgf_string("commands", grammar(wake_word))
    decoder.activate_search("commands")
    return decoder


def command_said(decoder: Any, speech: bytes, wake_word: str | None) -> str | None:
    """The one command ``decoder`` hears in an utterance (after the wake word), or None."""
    decoder.start_utt()
    decoder.process_raw(speech, False, True)
    decoder.end_utt()
    hyp = decoder.hyp()
    said = hyp.hypstr.split() if hyp is not None else []
    if wake_word is not None:
        wake = wake_word.split()
        if said[: len(wake)] != wake:
            return None
        said = said[len(wake) :]
    return said[0] if len(said) == 1 and said[0] in WORDS else None


class Recogniser:
    """Turns a stream of 16 kHz mono 16-bit samples into the commands said in it."""

    def __init__(self, wake_word: str | None = None) -> None:
        """Raises:
        ListenError: pocketsphinx is missing, or the wake word is not in its dictionary.
        """
        ps = _pocketsphinx()
        self.wake_word = check_wake_word(wake_word) if wake_word else None
        self.decoder = command_decoder(self.wake_word)
        self.endpointer = ps.Endpointer(window=WINDOW_S, sample_rate=SAMPLE_RATE_HZ)
        self.frame_bytes: int = self.endpointer.frame_bytes
        self.max_s = MAX_COMMAND_S + (WAKE_S if self.wake_word else 0.0)
        self._pending = b""
        self._speech = bytearray()
        self._start_s = 0.0
        self._fed = 0  # bytes into the stream
        self._too_long = False

    @property
    def in_speech(self) -> bool:
        return bool(self.endpointer.in_speech)

    @property
    def fed_s(self) -> float:
        """Seconds of samples fed so far: the stream time of the last sample given."""
        return self._seconds(self._fed + len(self._pending))

    def feed(self, samples: bytes) -> list[Heard]:
        """The commands whose utterances ended in these samples, in order."""
        heard: list[Heard] = []
        data = self._pending + samples
        whole = len(data) - len(data) % self.frame_bytes
        self._pending = data[whole:]
        for offset in range(0, whole, self.frame_bytes):
            heard.extend(self._frame(data[offset : offset + self.frame_bytes]))
        return heard

    def reset(self) -> None:
        """Forget the utterance under way: what was being said is not to be obeyed."""
        self._speech.clear()
        self._too_long = True  # until the endpointer hears it end

    def _frame(self, frame: bytes) -> Iterator[Heard]:
        self._fed += len(frame)
        was_speaking = self.in_speech
        speech = self.endpointer.process(frame)
        if speech is None:
            return
        if not was_speaking:  # an utterance starts (its bytes include a little before)
            self._speech.clear()
            self._too_long = False
            self._start_s = self._seconds(self._fed - len(speech))
        if not self._too_long:
            self._speech += speech
            if self._seconds(len(self._speech)) > self.max_s + WINDOW_S:
                self._too_long = True  # a sentence, not a command: never decoded
                self._speech.clear()
        if not self.in_speech:  # it ended
            end_s = self._seconds(self._fed)
            if not self._too_long:
                word = self.decode(bytes(self._speech))
                if word is not None:
                    yield Heard(word, self._start_s, end_s)
            self._speech.clear()
            self._too_long = False

    def decode(self, speech: bytes) -> str | None:
        """The command in one utterance, or None."""
        seconds = self._seconds(len(speech)) - WINDOW_S
        if seconds < MIN_UTTERANCE_S:
            return None
        return command_said(self.decoder, speech, self.wake_word)

    def _seconds(self, byte_count: int) -> float:
        return byte_count / 2 / SAMPLE_RATE_HZ
