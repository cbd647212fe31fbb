"""The neural engine: Piper-format voices (``.onnx`` + ``.onnx.json``) run by ONNX Runtime.

Optional (``pip install 'coach[neural]'``). A Piper voice is a VITS model that
turns phoneme ids into audio, and a config that says how: its sample rate, its
eSpeak NG voice, its phoneme → id map and its inference scales. The text is
turned into phonemes by the eSpeak NG coach already renders with (what the
voices were trained on), each sentence into ids as Piper does (``^``, then each
phoneme followed by the pad ``_``, then ``$``), and ONNX Runtime runs the model.

Voices are the user's own: files in the voices folder
(``~/.local/share/coach/voices/``), voices that installed packages ship (a
``coach.voices`` entry point naming a module whose folder holds them, or a
distribution named ``*-piper-voice``), or a path (``--voice piper:PATH``).
A voice's id is its file's name without ``.onnx``; its cache key is a digest
of its two files' content, so a changed file is never heard from the cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.audio import SAMPLE_RATE_HZ, Clip
from coach.errors import SpeechError, UsageError, VoiceError
from coach.language.table import primary
from coach.speech.engine import DEFAULT_RATE_WPM, Engine, EngineKind, SpeechSettings, Voice

NAME = "piper"
PAD, BOS, EOS = "_", "^", "$"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(r"([,;:.!?]+)")
MAX_VOICE_BYTES = 2 * 1024**3
"""A bigger "voice" is not one (Piper's largest are ~120 MB)."""
MAX_CONFIG_BYTES = 8 * 1024**2


class NeuralMissingError(UsageError):
    """The neural extra (ONNX Runtime) is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "neural voices need the neural extra: pip install 'coach[neural]' "
            "(into coach's own environment, e.g. .venv/bin/pip install -e '.[neural]')"
        )


def voices_folder() -> Path:
    """Where the user keeps Piper voices: ``~/.local/share/coach/voices`` on Linux."""
    import platformdirs

    return Path(platformdirs.user_data_dir("coach")) / "voices"


@dataclass(frozen=True, slots=True)
class PiperVoice:
    """A Piper voice's model file and what its config says."""

    model: Path
    sample_rate_hz: int
    espeak_voice: str
    language: str
    """A BCP 47 tag: ``en-US``."""
    phoneme_ids: dict[str, int]
    noise_scale: float
    length_scale: float
    noise_w: float
    speakers: int

    @property
    def id(self) -> str:
        return self.model.name.removesuffix(".onnx")


def _config_path(model: Path) -> Path:
    return model.with_name(model.name + ".json")


def read_voice(path: Path) -> PiperVoice:
    """The voice whose model is ``path`` (``X.onnx``; ``X.onnx.json`` beside it).

    Raises:
        VoiceError: either file is missing, unreadable or not a Piper voice's.
    """
    if path.name.endswith(".onnx.json"):
        path = path.with_name(path.name.removesuffix(".json"))
    if path.is_dir():
        raise VoiceError(f"{path}: is a folder; give the voice's .onnx file")
    if not path.name.endswith(".onnx"):
        raise VoiceError(
            f"{path}: is not a Piper voice; give its .onnx file (X.onnx + X.onnx.json)"
        )
    config = _config_path(path)
    for file in (path, config):
        if not file.exists():
            raise VoiceError(
                f"{file}: no such file; a Piper voice is two files, X.onnx and X.onnx.json, "
                "side by side: download both"
            )
        if not file.is_file():
            raise VoiceError(f"{file}: is not a regular file; give the voice's own files")
    if config.stat().st_size > MAX_CONFIG_BYTES:
        raise VoiceError(f"{config}: is too big for a voice's config; download the voice again")
    if path.stat().st_size > MAX_VOICE_BYTES:
        raise VoiceError(f"{path}: is too big for a voice; download the voice again")
    stamp = (path.stat().st_mtime_ns, config.stat().st_size, config.stat().st_mtime_ns)
    return _read_config(path, config, stamp)


@functools.lru_cache(maxsize=64)
def _read_config(path: Path, config: Path, stamp: tuple[int, int, int]) -> PiperVoice:
    """The voice, read once a process while its files stay as they are (``stamp``)."""
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        reason = err.strerror if isinstance(err, OSError) else "it is not JSON"
        raise VoiceError(f"{config}: cannot be read ({reason}); download the voice again") from err
    try:
        return _parse(path, data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        raise VoiceError(
            f"{config}: is not a Piper voice's config ({type(err).__name__}: {err}); "
            "download the voice again"
        ) from err


def _parse(model: Path, data: Any) -> PiperVoice:
    if data.get("phoneme_type", "espeak") != "espeak":
        raise ValueError(f"phoneme_type {data['phoneme_type']!r} is not supported, only espeak")
    ids = {str(k): int(v[0]) for k, v in data["phoneme_id_map"].items()}
    for symbol in (PAD, BOS, EOS):
        if symbol not in ids:
            raise KeyError(f"phoneme_id_map has no {symbol!r}")
    rate = int(data["audio"]["sample_rate"])
    if not 8000 <= rate <= 96000:
        raise ValueError(f"sample_rate {rate} is not one a voice has")
    inference = data.get("inference", {})
    scales = [
        float(inference.get(k, d))
        for k, d in (("noise_scale", 0.667), ("length_scale", 1), ("noise_w", 0.8))
    ]
    if not all(math.isfinite(s) and 0 <= s <= 10 for s in scales) or scales[1] == 0:
        raise ValueError(f"inference scales {scales} are out of range")
    language = data.get("language", {}).get("code") or data["espeak"]["voice"]
    return PiperVoice(
        model=model,
        sample_rate_hz=rate,
        espeak_voice=str(data["espeak"]["voice"]),
        language=str(language).replace("_", "-"),
        phoneme_ids=ids,
        noise_scale=scales[0],
        length_scale=scales[1],
        noise_w=scales[2],
        speakers=int(data.get("num_speakers", 1)),
    )


@functools.cache
def _package_folders() -> tuple[Path, ...]:
    """Folders of installed packages that ship voices (they do not change while coach runs)."""
    return tuple(dict.fromkeys(_scan_packages()))


def _scan_packages() -> Iterator[Path]:
    from importlib.metadata import distributions, entry_points
    from importlib.util import find_spec

    for point in entry_points(group="coach.voices"):
        spec = find_spec(point.value.partition(":")[0])
        if spec is not None and spec.origin:
            yield Path(spec.origin).parent
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.endswith("-piper-voice"):
            for file in dist.files or ():
                if str(file).endswith(".onnx"):
                    yield Path(str(dist.locate_file(file))).parent


def found_voices() -> tuple[PiperVoice, ...]:
    """Every voice the user has: the voices folder's first, then installed packages'.

    A damaged voice is left out (naming it by path says what is wrong with it).
    """
    folders = [voices_folder(), *_package_folders()]
    seen: dict[str, PiperVoice] = {}
    for folder in dict.fromkeys(folders):
        try:
            models = sorted(folder.rglob("*.onnx"))
        except OSError:
            continue
        for model in models:
            try:
                voice = read_voice(model)
            except VoiceError:
                continue
            seen.setdefault(voice.id, voice)
    return tuple(seen.values())


def find_voice(voice: str) -> PiperVoice:
    """The voice ``voice`` names: a path to its ``.onnx``, or the id of one the user has.

    Raises:
        VoiceError: there is none.
    """
    if "/" in voice or voice.endswith(".onnx") or voice.endswith(".onnx.json"):
        return read_voice(Path(voice).expanduser())
    for found in found_voices():
        if found.id == voice:
            return found
    raise VoiceError(
        f'no Piper voice "{voice}"; put its .onnx and .onnx.json in {voices_folder()} '
        "or give its path (--voice piper:PATH); `coach voices --engine piper` lists yours"
    )


def voice_for(language: str) -> str | None:
    """The id of the user's voice for ``language``: the same tag first, then the language."""
    voices = found_voices()
    for found in voices:
        if found.language.lower() == language.lower():
            return found.id
    for found in voices:
        if primary(found.language) == primary(language):
            return found.id
    return None


@functools.cache
def _digest(model: Path, stamp: str) -> str:
    """A digest of the model and its config; ``stamp`` (their sizes, times and inodes) keys a
    note of it in the user's cache, so that a warm start does not read 60 MB to know it."""
    import platformdirs

    from coach.files import write_text_atomic

    note = Path(platformdirs.user_cache_dir("coach")) / "voices"
    note /= hashlib.sha256(str(model).encode()).hexdigest()[:32] + ".json"
    try:
        known = json.loads(note.read_text(encoding="utf-8"))
        if isinstance(known, dict) and known.get("stamp") == stamp:
            digest = known.get("sha256")
            if isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest):
                return digest
    except (OSError, ValueError, RecursionError):
        pass  # no note, or a damaged one: the files are read
    whole = hashlib.sha256()
    for file in (model, _config_path(model)):
        with file.open("rb") as stream:
            whole.update(hashlib.file_digest(stream, "sha256").digest())
    digest = whole.hexdigest()
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(note, json.dumps({"model": str(model), "stamp": stamp, "sha256": digest}))
    except OSError:
        pass  # a read-only cache only costs the reading
    return digest


def voice_key(voice: str | None) -> str:
    """What a voice's audio depends on: its files' content (not its path or name).

    Raises:
        VoiceError: no voice is named, or there is no such voice.
    """
    if voice is None:
        raise _no_voice()
    found = find_voice(voice)
    try:
        files = (found.model.stat(), _config_path(found.model).stat())
        stamp = "|".join(f"{f.st_size}:{f.st_mtime_ns}:{f.st_ino}:{f.st_dev}" for f in files)
        return _digest(found.model.resolve(), stamp)
    except OSError as err:
        raise VoiceError(f"{found.model}: cannot be read ({err.strerror}); check the file") from err


def _no_voice() -> VoiceError:
    return VoiceError(
        "the piper engine needs a voice: --voice piper:PATH, or a voice for the routine's "
        f"language in {voices_folder()}; `coach voices --engine piper` lists yours"
    )


def runtime_identity() -> str:
    """ONNX Runtime's version (without importing it: the warm start stays cheap)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"onnxruntime {version('onnxruntime')}"
    except PackageNotFoundError:
        return "onnxruntime missing"


class PiperEngine:
    """Piper voices through ONNX Runtime: each voice's model is loaded once, when first used."""

    def __init__(self) -> None:
        from importlib.util import find_spec

        # imported when a voice is first loaded: a warm start never pays for it
        if find_spec("onnxruntime") is None:
            raise NeuralMissingError()
        self._sessions: dict[Path, tuple[PiperVoice, Any]] = {}
        self._lock = threading.Lock()

    def voices(self) -> tuple[Voice, ...]:
        return tuple(_listed(v) for v in found_voices())

    def voice(self, voice: str) -> Voice:
        """The voice ``voice`` names (an id or a path), as ``coach voices`` lists it.

        Raises:
            VoiceError: there is none, or it is damaged.
        """
        return _listed(find_voice(voice))

    def _session(self, voice: str) -> tuple[PiperVoice, Any]:
        found = find_voice(voice)
        key = found.model.resolve()
        if key not in self._sessions:
            try:
                import onnxruntime
            except ImportError as err:  # there, but broken
                raise NeuralMissingError() from err
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1  # the workers are the parallelism: one per core
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            try:
                session = onnxruntime.InferenceSession(
                    str(found.model), options, providers=["CPUExecutionProvider"]
                )
            except Exception as err:  # onnxruntime's own exception types, not exported
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                if isinstance(err, MemoryError) or "bad_alloc" in first:
                    raise SpeechError(f"{found.model}: out of memory loading the voice") from err
                raise VoiceError(
                    f"{found.model}: the voice's model cannot be loaded ({first[:160]}); "
                    "download the voice again"
                ) from err
            names = {i.name for i in session.get_inputs()}
            if not {"input", "input_lengths", "scales"} <= names:
                raise VoiceError(
                    f"{found.model}: is not a Piper voice (its model takes {sorted(names)}); "
                    "give a Piper voice's .onnx"
                )
            self._sessions[key] = (found, session)
        return self._sessions[key]

    def phoneme_ids(self, voice: PiperVoice, text: str) -> list[list[int]]:
        """``text`` as Piper's ids, one list per sentence (symbols the voice lacks are left out).

        As Piper phonemizes: eSpeak NG's IPA for each clause, its punctuation kept
        after it (a comma, then a space), decomposed (NFD: "ç" is "c" and a cedilla).

        Raises:
            VoiceError: the voice's config names an eSpeak NG voice there is not.
        """
        return [ids for said in _sentences(voice, text) if (ids := self._ids(voice, said))]

    def _ids(self, voice: PiperVoice, phonemes: str) -> list[int]:
        known, pad = voice.phoneme_ids, voice.phoneme_ids[PAD]
        ids = [known[BOS]]
        for symbol in unicodedata.normalize("NFD", phonemes):
            if symbol in known:
                ids += [known[symbol], pad]
        ids.append(known[EOS])
        return ids if len(ids) > 2 else []

    def render(self, text: str, settings: SpeechSettings) -> Clip:
        """``text`` in the voice, at ``settings.rate_wpm`` (as the voice's length scale).

        Raises:
            VoiceError: no such voice, or it cannot be loaded.
            SpeechError: the model failed, or said nothing.
        """
        if settings.voice is None:
            raise _no_voice()
        import numpy as np

        with self._lock:
            voice, session = self._session(settings.voice)
            length = voice.length_scale * DEFAULT_RATE_WPM / settings.rate_wpm
            pieces = []
            for ids in self.phoneme_ids(voice, text):
                inputs = {
                    "input": np.array([ids], dtype=np.int64),
                    "input_lengths": np.array([len(ids)], dtype=np.int64),
                    "scales": np.array([voice.noise_scale, length, voice.noise_w], np.float32),
                }
                if voice.speakers > 1:
                    inputs["sid"] = np.array([0], dtype=np.int64)
                try:
                    audio = session.run(None, inputs)[0]
                except MemoryError as err:
                    raise SpeechError(f"{voice.model}: out of memory speaking {text!r}") from err
                except Exception as err:  # a model that loads but cannot run: damaged
                    raise VoiceError(
                        f"{voice.model}: the voice failed on {text!r} ({str(err)[:160]}); "
                        "download the voice again"
                    ) from err
                pieces.append(np.asarray(audio, dtype=np.float32).reshape(-1))
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
        if not len(samples) or not np.any(samples):
            raise SpeechError(f'the voice {voice.id} produced no audio for "{text}"')
        if voice.sample_rate_hz != SAMPLE_RATE_HZ:
            import soxr

            samples = soxr.resample(samples, voice.sample_rate_hz, SAMPLE_RATE_HZ, quality="HQ")
        pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
        return Clip(pcm.tobytes(), SAMPLE_RATE_HZ)


def _sentences(voice: PiperVoice, text: str) -> list[str]:
    """Each sentence of ``text`` as the phonemes Piper would give its voice."""
    from coach.speech.espeak import phonemes

    sentences = []
    for sentence in _SENTENCE.split(text.strip()):
        spoken = ""
        for part in _CLAUSE.split(sentence):
            if _CLAUSE.fullmatch(part):
                spoken = spoken.rstrip() + part + " "
            elif part.strip():
                try:
                    spoken += " ".join(phonemes(part, voice.espeak_voice)) + " "
                except VoiceError as err:
                    raise VoiceError(
                        f"{_config_path(voice.model)}: asks for eSpeak NG's voice "
                        f"{voice.espeak_voice!r}, which this eSpeak NG does not have; "
                        "download the voice again, or install espeak-ng"
                    ) from err
        sentences.append(spoken.strip())
    return sentences


def _listed(voice: PiperVoice) -> Voice:
    return Voice(voice.id, f"{voice.language}, Piper, {voice.model}", (voice.language,))


def start() -> Engine:
    return PiperEngine()


ENGINE = EngineKind(
    NAME,
    start=start,
    identity=runtime_identity,
    parallel=True,
    default_voice=voice_for,
    voice_key=voice_key,
    one_language=True,
    get_voices=lambda: (
        f"put a voice's X.onnx and X.onnx.json in {voices_folder()}, or name one with "
        "--voice piper:PATH (the README's Neural voices says where to get one)"
    ),
)
