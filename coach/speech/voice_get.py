"""Getting a catalogue voice: fetched (``voice_fetch``), verified, and installed whole or
not at all.

A voice is fetched into ``VOICES/.partial/ID/`` (each file as ``NAME.part``, resumed
where a download broke off), every file's size and digest is checked, its model card
must name the data licence the catalogue does, and its config must read as a voice;
only then are the files moved to ``VOICES/ID/`` with a receipt (``coach-voice.json``),
in one rename. Nothing here needs the neural extra.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from coach.errors import CoachError, OutputError, UsageError, VoiceError
from coach.speech.catalogue import catalogued
from coach.speech.piper_voices import GOT_RECEIPT as RECEIPT
from coach.speech.piper_voices import read_voice, voices_folder
from coach.speech.voice_fetch import (
    TIMEOUT_S,
    DownloadError,
    NetworkError,
    Plan,
    Progress,
    RemoteFile,
    fetch_file,
    mb,
    plan,
    size_of,
)

PARTIAL = ".partial"
SPARE_BYTES = 16 * 1024**2
"""Free space kept beyond what a voice needs, so a voice never fills the disk."""


class StoppedError(CoachError):
    """Ctrl-C during a download: what arrived is kept for the next ``voices get``."""

    exit_code = 130


def installed(voice_id: str, folder: Path | None = None) -> Path | None:
    """The folder of ``voice_id`` as ``voices get`` installed it, if it is."""
    place = (folder or voices_folder()) / voice_id
    return place if (place / RECEIPT).is_file() else None


def check_folder(folder: Path) -> None:
    """Make the voices folder, or say why it cannot be one.

    Raises:
        UsageError: it (or a folder above it) is a file, or cannot be made.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"{folder}: is a file, where coach keeps its voices (a folder); move it away"
        )
    try:
        (folder / PARTIAL).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(
            f"{folder}: cannot be made into coach's voices folder ({err.strerror}); "
            "check its permissions, or set XDG_DATA_HOME"
        ) from err


@contextlib.contextmanager
def _only_one(folder: Path, voice_id: str, doing: str = "get") -> Iterator[None]:
    """This process alone gets (or removes) ``voice_id`` while the block runs.

    Raises:
        CoachError: a ``coach voices get`` of it is running.
    """
    lock = folder / PARTIAL / f"{voice_id}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            wait = "(the voice is there when it does)" if doing == "get" else "or stop it"
            raise CoachError(
                f"another `coach voices get {voice_id}` is running; wait for it to finish {wait}"
            ) from err
        yield
    finally:
        os.close(fd)


def get(
    voice_id: str,
    base: str,
    *,
    folder: Path | None = None,
    progress: Callable[[Plan], Progress] | None = None,
    timeout: float = TIMEOUT_S,
) -> tuple[Path, Plan | None]:
    """Get ``voice_id`` from ``base`` into the voices folder; its folder, and the plan
    (None: it was there already).

    Raises:
        UsageError: not a catalogue voice, or the voices folder cannot be one.
        NetworkError: the repository cannot be read or broke off (what arrived is kept).
        DownloadError: what arrived is not the voice (its size, digest, card or config).
        OutputError: no room for it.
        StoppedError: Ctrl-C (what arrived is kept).
    """
    folder = folder or voices_folder()
    catalogued(voice_id)  # an unknown id is said before anything else
    check_folder(folder)
    with _only_one(folder, voice_id):
        done = installed(voice_id, folder)
        if done is not None:
            return done, None
        wanted = plan(voice_id, base, timeout=timeout)
        partial = folder / PARTIAL / voice_id
        partial.mkdir(exist_ok=True)
        _check_room(partial, wanted)
        told = progress(wanted) if progress else None
        try:
            for file in wanted.files:
                fetch_file(base, file, partial / f"{file.name}.part", told, timeout)
        except KeyboardInterrupt:
            raise StoppedError(
                f"stopped getting {voice_id} at {mb(_arrived(partial, wanted))} of "
                f"{mb(wanted.size)}; "
                f"`coach voices get {voice_id}` again goes on from there"
            ) from None
        for file in wanted.files:
            _verify(partial / f"{file.name}.part", file, voice_id)
        return _install(folder, partial, wanted), wanted


def _arrived(partial: Path, wanted: Plan) -> int:
    """How many of the voice's bytes earlier tries (or this one) have kept."""
    return sum(size_of(partial / f"{file.name}.part") for file in wanted.files)


def _check_room(partial: Path, wanted: Plan) -> None:
    need = wanted.size - _arrived(partial, wanted)
    free = shutil.disk_usage(partial).free
    if need + SPARE_BYTES > free:
        raise OutputError(
            f"{partial.parent.parent}: {mb(free)} free, and {wanted.voice.id} needs "
            f"{mb(need)} more; free some space and run `coach voices get` again"
        )


def _verify(part: Path, file: RemoteFile, voice_id: str) -> None:
    """``part`` is ``file``: its size and MD5 digest; a file that is not is removed.

    Raises:
        DownloadError: it is not.
    """
    size = size_of(part)
    if size != file.size:
        raise NetworkError(
            f"{file.name}: {size} of its {file.size} bytes arrived; "
            f"run `coach voices get {voice_id}` again: it goes on from there"
        )
    with part.open("rb") as stream:
        digest = hashlib.file_digest(stream, "md5").hexdigest()
    if digest != file.md5:
        part.unlink()
        raise DownloadError(
            f"{file.name}: its MD5 digest is {digest}, not the {file.md5} the repository lists; "
            "the download was damaged (or the server's copy is not the voice's), so it was "
            f"thrown away and nothing was installed: run `coach voices get {voice_id}` again"
        )


CARD_LICENCE = re.compile(r"^\s*[*-]\s*License:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def card_licence(card: str) -> str | None:
    """The data licence a Piper model card states (its ``* License:`` line)."""
    found = CARD_LICENCE.search(card)
    return found.group(1) if found else None


def _install(folder: Path, partial: Path, wanted: Plan) -> Path:
    """The verified files, checked as a voice, moved to ``folder/ID`` in one rename.

    Raises:
        DownloadError: the card names another licence, or the config is not a voice's.
    """
    voice = wanted.voice
    card_part = partial / "MODEL_CARD.part"
    card = card_part.read_bytes().decode("utf-8", "replace")
    stated = card_licence(card)
    if stated is None or stated.strip().lower() != voice.card_licence.lower():
        card_part.unlink()
        raise DownloadError(
            f"{voice.id}: its model card states its data licence as {stated or 'nothing'!r:.60}, "
            f"not {voice.card_licence!r} as coach's catalogue does; coach installs no voice whose "
            "licence it has not read, so nothing was installed"
        )
    staging = Path(tempfile.mkdtemp(dir=folder / PARTIAL, prefix=f"{voice.id}.", suffix=".new"))
    try:
        for file in wanted.files:
            os.link(partial / f"{file.name}.part", staging / file.name)
        model = staging / f"{voice.id}.onnx"
        try:
            read_voice(model)  # its config is a voice's, or this says what is wrong
        except VoiceError as err:
            raise DownloadError(f"{voice.id}: what arrived is not a Piper voice: {err}") from err
        receipt = {
            "id": voice.id,
            "language": voice.language,
            "licence": voice.card_licence,
            "dataset": voice.dataset,
            "attribution": voice.attribution,
            "card": voice.card,
            "from": wanted.base,
            "got": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (staging / RECEIPT).write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)
        target = folder / voice.id
        staging.rename(target)  # the voice appears whole, in one step
    except DownloadError:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(partial, ignore_errors=True)  # verified, yet not a voice: not kept
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(partial, ignore_errors=True)
    return target


def remove(voice_id: str, folder: Path | None = None) -> Path:
    """Remove a voice ``voices get`` installed (and any partial download of it); its folder.

    Raises:
        UsageError: not a voice's id, or coach did not get it (a voice of the user's own is
            theirs to delete).
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", voice_id) or ".." in voice_id:
        # it names a folder inside the voices folder: never a path out of it
        raise UsageError(
            f"{voice_id!r:.80} is not a voice's id; give one as `coach voices --engine piper` "
            "lists it, like en_US-ljspeech-medium"
        )
    folder = folder or voices_folder()
    if (folder / PARTIAL).is_dir():
        with _only_one(folder, voice_id, doing="remove"):
            return _remove(folder, voice_id)
    return _remove(folder, voice_id)


def _remove(folder: Path, voice_id: str) -> Path:
    place = installed(voice_id, folder)
    partial = folder / PARTIAL / voice_id
    if place is None:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
            return partial
        mine = folder / voice_id
        hint = (
            f"{mine} was not got by coach (it has no {RECEIPT}); delete it yourself"
            if mine.exists()
            else "`coach voices --engine piper` lists yours"
        )
        raise UsageError(f"no voice {voice_id} that `coach voices get` installed; {hint}")
    gone = folder / PARTIAL / f"{voice_id}.{os.getpid()}.removed"
    place.rename(gone)  # gone from the voices at once, whatever the removal below takes
    shutil.rmtree(gone, ignore_errors=True)
    shutil.rmtree(partial, ignore_errors=True)
    return place
