"""Fetching a voice's files from a repository with Piper's layout: its index read, each
file downloaded into a ``.part`` file and resumed with an HTTP range where a download
broke off, over plain urllib (what to do with them once whole is ``voice_get``'s).

The repository's root ``voices.json`` lists each voice by id with its files
(``LANG_FAMILY/LANG_CODE/NAME/QUALITY/ID.onnx``, ``.onnx.json``, ``MODEL_CARD``), their
sizes and MD5 digests. A server that does not answer, trickles, breaks off, sends a web
page or more than the file is one line, and what arrived is kept for the next try.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from coach.errors import CoachError, OutputError
from coach.speech.catalogue import CatalogueVoice, catalogued

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
Progress = Callable[[int], None]
"""Told each count of bytes as they arrive (and those a resume already had, first)."""


class NetworkError(CoachError):
    """The voice repository cannot be reached, or answered what no repository does."""


class DownloadError(CoachError):
    """What arrived is not the voice: its size, digest, card or config (nothing installed)."""


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


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def fetch_file(
    base: str, file: RemoteFile, part: Path, told: Progress | None, timeout: float
) -> None:
    """``file`` whole into ``part``, going on from what ``part`` holds.

    Raises:
        NetworkError: the server broke off or timed out (what arrived is kept).
        DownloadError: the server sent a web page, or more than the file.
        OutputError: the disk is full or cannot be written.
    """
    if part.is_symlink() or (part.exists() and not part.is_file()):
        part.unlink()  # coach's own folder holds only files it wrote: never follow another
    have = size_of(part)
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
                    f"free {mb(file.size - size_of(part))} and run `coach voices get` again "
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
                f"{_host(url)} broke off {file.name} at {mb(have)} of {mb(file.size)} ({err}); "
                "run `coach voices get` again: it goes on from there"
            ) from err
        if not chunk:
            raise NetworkError(
                f"{_host(url)} broke off {file.name} at {mb(have)} of {mb(file.size)}; "
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
                    f"for {spent:.0f} s ({mb(have)} of {mb(file.size)}); run `coach voices "
                    "get` again later: it goes on from there"
                )
            window_at, window_bytes = time.monotonic(), 0
    if response.read(1):
        raise DownloadError(
            f"{url}: the server sent more than the {file.size} bytes its voices.json says; "
            "nothing was installed (is voices-url a Piper voice repository?)"
        )
