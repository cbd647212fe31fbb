"""The default speech engine: eSpeak NG, each text rendered by a fresh libespeak-ng.

Voices are found through pyttsx3; speech is rendered by calling libespeak-ng
directly (ctypes), synchronously and in memory, without pyttsx3's driver loop
(its fixed sleep per ``runAndWait``, its queued settings and a temporary WAV
cost 25 ms a cue against eSpeak NG's own 6).

eSpeak NG carries state from one utterance into the next (the pitch flutter's
phase is a function-level static; the echo buffer keeps the last one's tail) and
offers no way to reset it, so the same text came out differently depending on
what was said before it: a clip rendered in a worker process differed from one
rendered here. Each text is therefore rendered by an instance of the library
loaded afresh: a private copy of the shared object (kept in the user's cache,
one per library), opened with ``RTLD_DEEPBIND`` (its own symbols first, never
the copy pyttsx3 loaded) and closed again, which costs about 0.3 ms. The same
text, voice and rate always give the same samples, in any process, in any order.
"""

from __future__ import annotations

import _ctypes
import atexit
import contextlib
import ctypes
import ctypes.util
import filecmp
import functools
import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from coach import DISTRIBUTION
from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.errors import SpeechError, VoiceError
from coach.language.table import voice_for
from coach.speech.engine import Engine, EngineKind, SpeechSettings, Voice, voice_named
from coach.speech.espeak_variants import list_variants

OWN_VOICE = "gmw/en"
"""What eSpeak NG speaks when no voice is named: a variant alone (``+f3``) varies it."""

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_RATE = 1
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_IPA = 0x02

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


@functools.cache
def _library() -> tuple[Path, str | None]:
    """The libespeak-ng file to render with, and its data folder (None: the library's own).

    A system eSpeak NG wins; otherwise the library and data that the
    ``espeakng-loader`` wheel ships.

    Raises:
        SpeechError: there is neither.
    """
    system = _system_espeak()
    if system:
        return Path(system), None
    try:
        import espeakng_loader
    except ImportError as err:
        raise SpeechError(
            f"eSpeak NG is not available: install coach again (pip install {DISTRIBUTION}) "
            "or the system one (apt-get install espeak-ng)"
        ) from err
    return Path(espeakng_loader.get_library_path()).resolve(), espeakng_loader.get_data_path()


@functools.cache
def _system_espeak() -> str | None:
    """The system libespeak-ng's file, when there is one."""
    if platform.system() != "Linux":
        return None
    name = ctypes.util.find_library("espeak-ng")
    if name is None:
        return None
    if Path(name).is_absolute():
        return name
    for folder in (
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
        "/usr/local/lib",
        "/usr/lib64",
        "/lib/x86_64-linux-gnu",
    ):
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate.resolve())
    return None


_pyttsx3_ready = False


def _prepare_pyttsx3() -> None:
    """Make the same libespeak-ng loadable for pyttsx3 before it first imports its driver."""
    global _pyttsx3_ready
    if _pyttsx3_ready:
        return
    library, data = _library()
    ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
    if data is not None:
        # eSpeak NG reads its data folder from here when pyttsx3 initialises it.
        os.environ["ESPEAK_DATA_PATH"] = data
    _pyttsx3_ready = True


class EspeakEngine:
    """eSpeak NG: voices listed through pyttsx3, every text rendered by a fresh library."""

    def __init__(self) -> None:
        library, data = _library()
        self._data = data.encode() if data is not None else None
        self._copy = _private_copy(library)
        self._voices: tuple[Voice, ...] | None = None
        self._variants: tuple[tuple[str, str], ...] | None = None
        self._checked: set[str] = set()

    def voices(self) -> tuple[Voice, ...]:
        if self._voices is None:
            _prepare_pyttsx3()
            try:
                import pyttsx3

                engine: Any = pyttsx3.init()
                found = engine.getProperty("voices")
            except Exception as err:  # pyttsx3 raises bare RuntimeError/OSError/KeyError
                raise SpeechError(f"text-to-speech could not start: {err}") from err
            self._voices = tuple(
                Voice(str(v.id), str(v.name), tuple(str(x) for x in (v.languages or ())))
                for v in found
            )
        return self._voices

    def variants(self) -> tuple[tuple[str, str], ...]:
        """eSpeak NG's voice variants, (name, description): ``f3`` for ``gmw/en-us+f3``.

        A variant changes any voice's pitch, breathiness and tone (women's, men's,
        whispered, croaky ones); eSpeak NG's own data, nothing fetched.
        """
        if self._variants is None:
            with fresh_instance(self._copy, self._data, SpeechSettings()) as (lib, _):
                self._variants = list_variants(lib)
        return self._variants

    def voice(self, voice: str) -> Voice:
        """The voice with this id or name, with a variant after ``+`` if it has one.

        Raises:
            VoiceError: there is no such voice, or no such variant (eSpeak NG itself
                would speak an unknown variant as the plain voice, and say nothing).
        """
        base, plus, variant = voice.partition("+")
        found = voice_named(self, base or OWN_VOICE)
        if not plus:
            return found
        names = [name for name, _ in self.variants()]
        if variant not in names:
            near = [name for name in names if name.lower() == variant.lower()]
            example = near[0] if near else "f3" if "f3" in names else names[0] if names else ""
            hint = "did you mean" if near else "`coach voices --variants` lists them, like"
            raise VoiceError(
                f'unknown variant "{variant}" in voice "{voice}"; {hint} {found.id}+{example}'
            )
        return Voice(f"{found.id}+{variant}", f"{found.name}+{variant}", found.languages)

    def render(self, text: str, settings: SpeechSettings) -> Clip:
        """Speak ``text`` into a clip at ``settings``, from a library in its first state.

        Raises:
            VoiceError: eSpeak NG has no such voice.
            SpeechError: the engine failed or produced no audio.
        """
        if not text.strip():
            raise SpeechError("internal: asked to speak empty text")
        if settings.voice is not None and settings.voice not in self._checked:
            self.voice(settings.voice)  # eSpeak NG itself falls back to another voice
            self._checked.add(settings.voice)
        with fresh_instance(self._copy, self._data, settings) as (lib, chunks):
            speak_into(lib, text)
        pcm = b"".join(chunks)
        if not pcm:
            raise SpeechError(f'the speech engine produced no audio for "{text}"')
        return Clip(pcm, SAMPLE_RATE_HZ)


@contextlib.contextmanager
def fresh_instance(
    copy: Path, data: bytes | None, settings: SpeechSettings
) -> Iterator[tuple[ctypes.CDLL, list[bytes]]]:
    """A libespeak-ng in its first state, at ``settings``, and the list it renders into.

    Loaded from the private ``copy`` and closed again afterwards; one at a time
    per copy, since they share its file (two engines in one process included).

    Raises:
        VoiceError: eSpeak NG has no such voice.
        SpeechError: eSpeak NG could not start.
    """
    with _COPY_LOCKS.setdefault(copy, threading.Lock()):
        lib = ctypes.CDLL(str(copy), mode=os.RTLD_LOCAL | os.RTLD_DEEPBIND)
        try:
            chunks, _callback = initialise_library(lib, data)  # alive until Terminate
            apply_settings(lib, settings)
            yield lib, chunks
            lib.espeak_Terminate()
        finally:
            _ctypes.dlclose(lib._handle)


def phonemes(text: str, voice: str) -> list[str]:
    """``text`` as eSpeak NG's IPA phonemes in ``voice``, one string per clause.

    What Piper-format voices are trained on (its ``phonemize_espeak``); each
    call uses a library in its first state, as ``EspeakEngine`` renders.

    Raises:
        VoiceError: eSpeak NG has no such voice.
        SpeechError: eSpeak NG could not start.
    """
    library, data = _library()
    settings = SpeechSettings(voice=voice)
    with fresh_instance(_private_copy(library), data.encode() if data else None, settings) as (
        lib,
        _chunks,
    ):
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        buffer = ctypes.create_string_buffer(text.encode())
        pointer = ctypes.c_char_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        while pointer.value:
            found = lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _IPA)
            if found:
                clauses.append(found.decode(errors="replace"))
    return clauses


_COPY_LOCKS: dict[Path, threading.Lock] = {}
"""One lock per copy: two engines in one process share its single loaded instance."""
COPY_NAME = "libespeak-ng-coach.so"


def copies_folder() -> Path:
    """Where the private copies of libespeak-ng live: the user's own cache, one per library."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("coach")) / "espeak"


@functools.cache
def _private_copy(library: Path) -> Path:
    """A copy of ``library`` at a path nothing else loads, made once and reused by every process.

    It lives in the user's cache, under the library's identity (name, size and
    modification time), so a process stopped by SIGKILL leaves nothing behind
    and a new eSpeak NG gets a copy of its own. The copy is written under a
    temporary name and renamed into place. It is code that will run, so before a
    process first loads it, it is compared byte for byte with the library (2 ms):
    one that differs (damaged, cut short, overwritten) is replaced, never run.
    With no writable cache, a private folder is used and removed at exit.

    Raises:
        SpeechError: the library cannot be copied anywhere.
    """
    stat = library.stat()
    identity = f"{library.name}-{stat.st_size}-{stat.st_mtime_ns}"
    target = copies_folder() / identity / COPY_NAME
    try:
        if target.is_file() and filecmp.cmp(library, target, shallow=False):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        os.close(fd)
        partial = Path(name)
        try:
            shutil.copyfile(library, partial)
            partial.replace(target)  # a process that has the old one mapped keeps it
        finally:
            partial.unlink(missing_ok=True)
        return target
    except OSError:
        pass  # a read-only or full cache: a private folder for this process
    folder = tempfile.mkdtemp(prefix="coach-espeak-")
    atexit.register(shutil.rmtree, folder, True)
    try:
        shutil.copyfile(library, Path(folder) / COPY_NAME)
    except OSError as err:
        raise SpeechError(f"text-to-speech could not start: {err}") from err
    return Path(folder) / COPY_NAME


def initialise_library(lib: ctypes.CDLL, data: bytes | None) -> tuple[list[bytes], Any]:
    """Start a loaded libespeak-ng rendering synchronously into the list it returns.

    The callback comes back too: it must stay alive while the library is used.

    Raises:
        SpeechError: eSpeak NG could not start.
    """
    chunks: list[bytes] = []

    def take(wav: Any, samples: int, _events: Any) -> int:
        if samples > 0:
            chunks.append(ctypes.string_at(wav, samples * 2))
        return 0

    callback = _SynthCallback(take)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    rate_hz = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
    if rate_hz != SAMPLE_RATE_HZ:
        raise SpeechError(
            f"eSpeak NG could not start (it answered {rate_hz}, "
            f"not {SAMPLE_RATE_HZ} Hz); reinstall coach or apt-get install espeak-ng"
        )
    lib.espeak_SetSynthCallback(callback)
    return chunks, callback


def apply_settings(lib: ctypes.CDLL, settings: SpeechSettings) -> None:
    """Voice and rate, on a library ``initialise_library`` started.

    Raises:
        VoiceError: eSpeak NG has no such voice.
    """
    if settings.voice is not None and lib.espeak_SetVoiceByName(settings.voice.encode()) != 0:
        raise VoiceError(
            f'unknown voice "{settings.voice}"; `coach voices` lists the voices you have'
        )
    lib.espeak_SetParameter(_RATE, settings.rate_wpm, 0)


def speak_into(lib: ctypes.CDLL, text: str) -> None:
    """Render ``text`` into the started library's chunks, and wait until it is done.

    Raises:
        SpeechError: eSpeak NG refused it.
    """
    data = text.encode() + b"\0"
    status = lib.espeak_Synth(
        data, len(data), 0, _POS_CHARACTER, 0, _ENDPAUSE | _CHARS_UTF8, None, None
    )
    lib.espeak_Synchronize()
    if status != 0:
        raise SpeechError(f'could not speak "{text}": eSpeak NG error {status}')


def espeak_identity() -> str:
    """What eSpeak NG's audio depends on besides text, voice and rate: the library it is."""
    return _backend_identity()


@functools.cache
def _backend_identity() -> str:
    """Which eSpeak NG renders, without starting it (a warm cache must stay cheap)."""
    if platform.system() != "Linux":
        return platform.system()
    system = _system_espeak()
    if system:
        return f"system:{Path(system).name}:{Path(system).stat().st_size}"
    try:
        import espeakng_loader
    except ImportError:
        return "none"
    library = Path(espeakng_loader.get_library_path())
    return f"wheel:{library.resolve().name}:{library.stat().st_size}"


def start() -> Engine:
    """eSpeak NG: through libespeak-ng itself on Linux, through pyttsx3's loop elsewhere."""
    if platform.system() == "Linux":
        return EspeakEngine()
    from coach.speech.driver import Pyttsx3Engine

    return Pyttsx3Engine()


ENGINE = EngineKind(
    "espeak",
    start=start,
    identity=espeak_identity,
    parallel=True,
    default_voice=voice_for,
)
