"""Getting a catalogue voice: fetched, resumed, verified, and installed whole or not at all.

The voice repository has Piper's layout: a ``voices.json`` at its root lists each voice
by id with its files (``LANG_FAMILY/LANG_CODE/NAME/QUALITY/ID.onnx``, ``.onnx.json``,
``MODEL_CARD``), their sizes and MD5 digests. A voice is fetched into
``VOICES/.partial/ID/`` (each file as ``NAME.part``, resumed with an HTTP range where a
download broke off), every file's size and digest is checked, its model card must name
the data licence the catalogue does, and its config must read as a voice; only then are
the files moved to ``VOICES/ID/`` with a receipt (``coach-voice.json``), in one rename.
Nothing here needs the neural extra.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from coach.errors import CoachError, OutputError, UsageError, VoiceError
from coach.speech.catalogue import CatalogueVoice, catalogued
from coach.speech.piper_voices import GOT_RECEIPT as RECEIPT
from coach.speech.piper_voices import read_voice, voices_folder

DEFAULT_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main/"
"""Piper's own voice repository (``voices.json`` and the voices, in Piper's layout)."""
TIMEOUT_S = 30.0
"""How long a server may leave a request unanswered, or a download without a byte."""
MIN_BYTES_PER_S = 1024
"""Slower than this over a whole ``timeout`` and a download is given up (a server that
trickles a byte now and then never times out a read): run again, it goes on from there."""
MAX_INDEX_BYTES = 32 * 1024**2
MAX_FILE_BYTES = 2 * 1024**3
CHUNK = 256 * 1024
PARTIAL = ".partial"
SPARE_BYTES = 16 * 1024**2
"""Free space kept beyond what a voice needs, so a voice never fills the disk."""

Progress = Callable[[int], None]
"""Told each count of bytes as they arrive (and those a resume already had, first)."""


class NetworkError(CoachError):
    """The voice repository cannot be reached, or answered what no repository does."""


class DownloadError(CoachError):
    """What arrived is not the voice: its size, digest, card or config (nothing installed)."""


class StoppedError(CoachError):
    """Ctrl-C during a download: what arrived is kept for the next ``voices get``."""

    exit_code = 130


@dataclass(frozen=True, slots=True)
class RemoteFile:
    path: str
    """Its path in the repository: ``en/en_US/ljspeech/medium/en_US-ljspeech-medium.onnx``."""
    size: int
    md5: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Plan:
    """What getting one voice takes: its catalogue entry and its files on the server."""

    voice: CatalogueVoice
    base: str
    files: tuple[RemoteFile, ...]

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)


def base_url(configured: str | None) -> str:
    """The repository's base URL (the voices-url setting, checked as it is read), ending
    in ``/``: Piper's own unless the user set another."""
    url = configured or DEFAULT_URL
    return url if url.endswith("/") else url + "/"


def _open(url: str, *, start: int = 0, timeout: float) -> http.client.HTTPResponse:
    """A response for ``url`` (from byte ``start``), its status checked.

    Raises:
        NetworkError: the server cannot be reached, timed out or answered an error.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "coach (voices get)"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and start:
            return err  # type: ignore[return-value]  # the range is past the end: see caller
        raise NetworkError(
            f"{url}: the server answered HTTP {err.code} ({err.reason}); "
            "is voices-url (COACH_VOICES_URL) a Piper voice repository?"
        ) from err
    except TimeoutError as err:
        raise NetworkError(_timed_out(url, timeout)) from err
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise NetworkError(_timed_out(url, timeout)) from err
        said = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        raise NetworkError(
            f"cannot reach {_host(url)} ({said}); coach needs the network to get a voice, "
            "once: check it, or set voices-url (COACH_VOICES_URL) to a mirror"
        ) from err
    except (OSError, http.client.HTTPException, ValueError) as err:
        raise NetworkError(f"{url}: the connection failed ({err}); try again") from err
    return response


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def _timed_out(url: str, timeout: float) -> str:
    return (
        f"{_host(url)} did not answer within {timeout:g} s; try again later "
        "(what arrived is kept, and the next `coach voices get` resumes)"
    )


def _web_page(response: http.client.HTTPResponse) -> bool:
    kind = response.headers.get("Content-Type", "")
    return kind.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")


def plan(voice_id: str, base: str, *, timeout: float = TIMEOUT_S) -> Plan:
    """What getting ``voice_id`` from ``base`` takes, from the repository's ``voices.json``.

    Raises:
        UsageError: the voice is not in coach's catalogue.
        NetworkError: the repository cannot be read, or does not list the voice as Piper does.
    """
    voice = catalogued(voice_id)
    index_url = base + "voices.json"
    with contextlib.closing(_open(index_url, timeout=timeout)) as response:
        if _web_page(response):
            raise NetworkError(
                f"{index_url}: the server sent a web page, not Piper's voices.json; "
                "is voices-url (COACH_VOICES_URL) a Piper voice repository?"
            )
        try:
            raw = response.read(MAX_INDEX_BYTES + 1)
        except (OSError, http.client.HTTPException) as err:
            raise NetworkError(f"{index_url}: the download broke off ({err}); try again") from err
    try:
        if len(raw) > MAX_INDEX_BYTES:
            raise ValueError("too big")
        index = json.loads(raw)
        if not isinstance(index, dict):
            raise ValueError("not an object")
    except (ValueError, RecursionError) as err:
        raise NetworkError(
            f"{index_url}: is not Piper's voices.json (it is not a JSON object of voices); "
            "is voices-url (COACH_VOICES_URL) a Piper voice repository?"
        ) from err
    entry = index.get(voice_id)
    if not isinstance(entry, dict):
        raise NetworkError(
            f"{index_url}: lists no voice {voice_id}; the repository may be another's, "
            "or older: try Piper's own (unset voices-url)"
        )
    return Plan(voice, base, _files(voice_id, entry, index_url))


def _files(voice_id: str, entry: dict[str, Any], index_url: str) -> tuple[RemoteFile, ...]:
    """The voice's three files as the index lists them, each checked as data.

    Raises:
        NetworkError: a file is missing, or its path, size or digest is not one.
    """
    listed = entry.get("files")
    wanted = {f"{voice_id}.onnx", f"{voice_id}.onnx.json", "MODEL_CARD"}
    found: dict[str, RemoteFile] = {}
    for path, info in listed.items() if isinstance(listed, dict) else ():
        name = str(path).rsplit("/", 1)[-1]
        if name not in wanted:
            continue
        size = info.get("size_bytes") if isinstance(info, dict) else None
        md5 = info.get("md5_digest") if isinstance(info, dict) else None
        parts = str(path).split("/")
        if (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not 0 < size <= MAX_FILE_BYTES
            or not isinstance(md5, str)
            or not re.fullmatch(r"[0-9a-f]{32}", md5)
            or any(part in ("", ".", "..") for part in parts)
            or str(path).startswith("/")
        ):
            raise NetworkError(
                f"{index_url}: its entry for {voice_id}'s {name} is damaged "
                "(a path, a size and an MD5 digest are needed); try Piper's own repository"
            )
        found[name] = RemoteFile(str(path), size, md5)
    missing = sorted(wanted - set(found))
    if missing:
        raise NetworkError(
            f"{index_url}: lists no {', '.join(missing)} for {voice_id}; "
            "a voice needs its model, its config and its model card"
        )
    return tuple(found[name] for name in sorted(found))


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
                _fetch(base, file, partial / f"{file.name}.part", told, timeout)
        except KeyboardInterrupt:
            raise StoppedError(
                f"stopped getting {voice_id} at {_mb(_arrived(partial, wanted))} of "
                f"{_mb(wanted.size)}; "
                f"`coach voices get {voice_id}` again goes on from there"
            ) from None
        for file in wanted.files:
            _verify(partial / f"{file.name}.part", file, voice_id)
        return _install(folder, partial, wanted), wanted


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _arrived(partial: Path, wanted: Plan) -> int:
    """How many of the voice's bytes earlier tries (or this one) have kept."""
    return sum(_size(partial / f"{file.name}.part") for file in wanted.files)


def _check_room(partial: Path, wanted: Plan) -> None:
    need = wanted.size - _arrived(partial, wanted)
    free = shutil.disk_usage(partial).free
    if need + SPARE_BYTES > free:
        raise OutputError(
            f"{partial.parent.parent}: {_mb(free)} free, and {wanted.voice.id} needs "
            f"{_mb(need)} more; free some space and run `coach voices get` again"
        )


def _fetch(base: str, file: RemoteFile, part: Path, told: Progress | None, timeout: float) -> None:
    """``file`` whole into ``part``, going on from what ``part`` holds.

    Raises:
        NetworkError: the server broke off or timed out (what arrived is kept).
        DownloadError: the server sent a web page, or more than the file.
        OutputError: the disk is full or cannot be written.
    """
    if part.is_symlink() or (part.exists() and not part.is_file()):
        part.unlink()  # coach's own folder holds only files it wrote: never follow another
    have = _size(part)
    if have > file.size:  # not this file's: start again
        part.unlink()
        have = 0
    if told and have:
        told(have)
    if have == file.size:
        return
    url = base + urllib.parse.quote(file.path)
    response = _open(url, start=have, timeout=timeout)
    with contextlib.closing(response):
        status = getattr(response, "status", None) or response.getcode()
        if status == 416:  # nothing past what we have: the check below says if it is whole
            return
        if _web_page(response):
            raise DownloadError(
                f"{url}: the server sent a web page, not {file.name}; "
                "is voices-url (COACH_VOICES_URL) a Piper voice repository?"
            )
        if status != 206:  # the server sends it from the start
            have = 0
        try:
            with part.open("r+b" if have else "wb") as out:
                out.seek(have)
                out.truncate()
                _copy(response, out, file, have, told, url, timeout)
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise OutputError(
                    f"{part.parent.parent.parent}: no room for {file.name} ({err.strerror}); "
                    f"free {_mb(file.size - _size(part))} and run `coach voices get` again "
                    "(it goes on from where it stopped)"
                ) from err
            raise OutputError(f"{part}: cannot be written ({err.strerror})") from err


def _copy(
    response: http.client.HTTPResponse,
    out: BinaryIO,
    file: RemoteFile,
    have: int,
    told: Progress | None,
    url: str,
    timeout: float,
) -> None:
    window_at, window_bytes = time.monotonic(), 0
    while have < file.size:
        try:
            # what has arrived, not a whole chunk: a stalled server's bytes are kept
            chunk = response.read1(min(CHUNK, file.size - have))
        except TimeoutError as err:
            raise NetworkError(_timed_out(url, timeout)) from err
        except (OSError, http.client.HTTPException) as err:
            raise NetworkError(
                f"{_host(url)} broke off {file.name} at {_mb(have)} of {_mb(file.size)} ({err}); "
                "run `coach voices get` again: it goes on from there"
            ) from err
        if not chunk:
            raise NetworkError(
                f"{_host(url)} broke off {file.name} at {_mb(have)} of {_mb(file.size)}; "
                "run `coach voices get` again: it goes on from there"
            )
        out.write(chunk)
        have += len(chunk)
        if told:
            told(len(chunk))
        window_bytes += len(chunk)
        if (spent := time.monotonic() - window_at) >= timeout:
            if window_bytes < MIN_BYTES_PER_S * spent:
                out.flush()  # what came is kept for the next run
                raise NetworkError(
                    f"{_host(url)} sent {file.name} at under {MIN_BYTES_PER_S // 1024} kB/s "
                    f"for {spent:.0f} s ({_mb(have)} of {_mb(file.size)}); run `coach voices "
                    "get` again later: it goes on from there"
                )
            window_at, window_bytes = time.monotonic(), 0
    if response.read(1):
        raise DownloadError(
            f"{url}: the server sent more than the {file.size} bytes its voices.json says; "
            "nothing was installed (is voices-url a Piper voice repository?)"
        )


def _verify(part: Path, file: RemoteFile, voice_id: str) -> None:
    """``part`` is ``file``: its size and MD5 digest; a file that is not is removed.

    Raises:
        DownloadError: it is not.
    """
    size = _size(part)
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
