"""Piper-format voices the user has: reading them, finding them, and their cache key.

A Piper voice is two files side by side, ``X.onnx`` (a VITS model from phoneme
ids to audio) and ``X.onnx.json`` (its sample rate, eSpeak NG voice, phoneme →
id map and inference scales). They are found in the voices folder
(``~/.local/share/coach/voices/``), in installed packages that ship voices (a
``coach.voices`` entry point naming a module whose folder holds them, or a
distribution named ``*-piper-voice``), or by path. A voice's id is its file's
name without ``.onnx``; its cache key is a digest of its two files' content.
Nothing here needs the neural extra: ``coach voices`` and the config work without it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.errors import VoiceError
from coach.language.table import primary

PAD, BOS, EOS = "_", "^", "$"
MAX_VOICE_BYTES = 2 * 1024**3
"""A bigger "voice" is not one (Piper's largest are ~120 MB)."""
MAX_CONFIG_BYTES = 8 * 1024**2


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


def config_path(model: Path) -> Path:
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
    config = config_path(path)
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
        # an integer of thousands of digits is read as the float it is about (inf), so that
        # the field it stands in is named, not Python's limit on digits
        text = config.read_text(encoding="utf-8")
        data = json.loads(text, parse_int=lambda s: int(s) if len(s) < 30 else float(s))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        reason = err.strerror if isinstance(err, OSError) else "it is not JSON a voice has"
        raise VoiceError(f"{config}: cannot be read ({reason}); download the voice again") from err
    try:
        return _parse(path, data)
    except _Field as err:
        raise VoiceError(f"{config}: {err}; download the voice again") from err


MAX_PHONEME_ID = 65_535
"""Piper's phoneme ids are a few hundred at most; a bigger one is damage, not a voice."""
MAX_SPEAKERS = 10_000


class _Field(ValueError):
    """A field of a voice's config that is missing or cannot be what it says."""


def _at(data: Any, field: str, default: Any = ...) -> Any:
    """``data``'s value at a dotted ``field`` (``audio.sample_rate``)."""
    value = data
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            if default is not ...:
                return default
            raise _Field(f"'{field}' is missing")
        value = value[part]
    return value


def _whole(data: Any, field: str, low: int, high: int, default: Any = ...) -> int:
    value = _at(data, field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Field(f"'{field}' must be a whole number from {low} to {high}, got {value!r:.40}")
    return value


def _scale(data: Any, field: str, default: float) -> float:
    value = _at(data, field, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Field(f"'{field}' must be a number, got {value!r:.40}")
    if not math.isfinite(value) or not 0 <= value <= 10:
        raise _Field(f"'{field}' must be from 0 to 10, got {value!r:.40}")
    return float(value)


def _text(data: Any, field: str, default: Any = ...) -> str:
    value = _at(data, field, default)
    if not isinstance(value, str) or not value.strip():
        raise _Field(f"'{field}' must be text, got {value!r:.40}")
    return value


def _parse(model: Path, data: Any) -> PiperVoice:
    """The voice, every field checked as data (a damaged config names its field).

    Raises:
        _Field: a field is missing, or not what a voice has.
    """
    if not isinstance(data, dict):
        raise _Field("is not a Piper voice's config (not a JSON object)")
    kind = _at(data, "phoneme_type", "espeak")
    if kind != "espeak":
        raise _Field(f"'phoneme_type' {kind!r:.40} is not supported, only espeak")
    table = _at(data, "phoneme_id_map")
    if not isinstance(table, dict):
        raise _Field("'phoneme_id_map' must map each phoneme to its ids")
    ids: dict[str, int] = {}
    for symbol, found in table.items():
        first = found[0] if isinstance(found, list) and found else None
        if isinstance(first, bool) or not isinstance(first, int):
            raise _Field(f"'phoneme_id_map' {symbol!r:.20} must list its ids")
        if not 0 <= first <= MAX_PHONEME_ID:
            raise _Field(
                f"'phoneme_id_map' {symbol!r:.20}: id {first!r:.40} is not from 0 to "
                f"{MAX_PHONEME_ID}"
            )
        ids[str(symbol)] = first
    for symbol in (PAD, BOS, EOS):
        if symbol not in ids:
            raise _Field(f"'phoneme_id_map' has no {symbol!r}")
    espeak_voice = _text(data, "espeak.voice")
    language = _text(data, "language.code", espeak_voice)
    length_scale = _scale(data, "inference.length_scale", 1.0)
    if length_scale == 0:
        raise _Field("'inference.length_scale' must be more than 0")
    return PiperVoice(
        model=model,
        sample_rate_hz=_whole(data, "audio.sample_rate", 8000, 96000),
        espeak_voice=espeak_voice,
        language=language.replace("_", "-"),
        phoneme_ids=ids,
        noise_scale=_scale(data, "inference.noise_scale", 0.667),
        length_scale=length_scale,
        noise_w=_scale(data, "inference.noise_w", 0.8),
        speakers=_whole(data, "num_speakers", 1, MAX_SPEAKERS, 1),
    )


@functools.cache
def _package_folders() -> tuple[Path, ...]:
    """Folders of installed packages that ship voices (they do not change while coach runs)."""
    return tuple(dict.fromkeys(_scan_packages()))


BROKEN_PACKAGES: dict[str, str] = {}
"""``coach.voices`` entry points that could not be followed, and why: left out of the
voices found, and said where a voice that is not found is asked for."""


def _scan_packages() -> Iterator[Path]:
    from importlib.metadata import distributions, entry_points
    from importlib.util import find_spec

    for point in entry_points(group="coach.voices"):
        module = point.value.partition(":")[0].strip()
        try:  # another package's code: finding a submodule runs its parent's
            spec = find_spec(module)
        except Exception as err:
            BROKEN_PACKAGES[f"{point.name} = {point.value}"] = f"{type(err).__name__}: {err}"
            continue
        if spec is not None and spec.origin:
            yield Path(spec.origin).parent
        else:
            BROKEN_PACKAGES[f"{point.name} = {point.value}"] = "no such module"
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
            # hidden folders hold downloads that are not voices yet (``.partial``)
            models = sorted(
                model
                for model in folder.rglob("*.onnx")
                if not any(part.startswith(".") for part in model.relative_to(folder).parts)
            )
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
    broken = "".join(
        f" (the coach.voices entry point {point} could not be read: {why})"
        for point, why in list(BROKEN_PACKAGES.items())[:1]
    )
    raise VoiceError(
        f'no Piper voice "{voice}"; put its .onnx and .onnx.json in {voices_folder()} '
        "or give its path (--voice piper:PATH); `coach voices --engine piper` lists yours" + broken
    )


def got_voices() -> tuple[PiperVoice, ...]:
    """The voices ``coach voices get`` installed (``VOICES/ID/`` with its receipt)."""
    folder = voices_folder()
    try:
        places = sorted(place for place in folder.iterdir() if (place / GOT_RECEIPT).is_file())
    except OSError:
        return ()
    voices = []
    for place in places:
        try:
            voices.append(read_voice(place / f"{place.name}.onnx"))
        except VoiceError:
            continue
    return tuple(voices)


GOT_RECEIPT = "coach-voice.json"
"""What ``coach voices get`` writes beside a voice it installed: where from, its licence."""


def got_licence(voice: PiperVoice) -> str | None:
    """The data licence (and credit, where one is needed) of a voice ``coach voices get``
    installed, from its receipt; None for a voice of the user's own."""
    from coach.files import UnreadableError, read_small_file

    try:
        receipt = json.loads(read_small_file(voice.model.parent / GOT_RECEIPT, 65_536, "a receipt"))
    except (UnreadableError, ValueError, RecursionError):
        return None
    licence = receipt.get("licence") if isinstance(receipt, dict) else None
    if not isinstance(licence, str) or not licence:
        return None
    credit = receipt.get("attribution")
    return f"{licence}; credit: {credit}" if isinstance(credit, str) and credit else licence


def voice_for(language: str, *, got_only: bool = False) -> str | None:
    """The id of the user's voice for ``language``: the same tag first, then the language.

    ``got_only``: only the voices ``coach voices get`` installed."""
    voices = got_voices() if got_only else found_voices()
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
    for file in (model, config_path(model)):
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
        raise no_voice()
    found = find_voice(voice)
    try:
        files = (found.model.stat(), config_path(found.model).stat())
        stamp = "|".join(f"{f.st_size}:{f.st_mtime_ns}:{f.st_ino}:{f.st_dev}" for f in files)
        return _digest(found.model.resolve(), stamp)
    except OSError as err:
        raise VoiceError(f"{found.model}: cannot be read ({err.strerror}); check the file") from err


def no_voice() -> VoiceError:
    return VoiceError(
        "the piper engine needs a voice: --voice piper:PATH, or a voice for the routine's "
        f"language in {voices_folder()}; `coach voices --engine piper` lists yours"
    )
