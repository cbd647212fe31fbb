"""A Piper voice repository on the loopback address, for `coach voices get` tests.

``build_repository`` lays out a voice made by ``tests/piper_voice.py`` under a real
catalogue id as Piper's repository does (``en/en_US/ljspeech/medium/ID.onnx``,
``.onnx.json``, ``MODEL_CARD``) with a ``voices.json`` of its own (sizes and MD5
digests). ``VoiceServer`` serves a folder over HTTP with byte ranges, as a mirror
would, and can misbehave as a real network does: stall, break off, send a web page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.piper_voice import build_voice

VOICE_ID = "en_US-ljspeech-medium"
VOICE_DIR = "en/en_US/ljspeech/medium"
CARD = """# Model card for ljspeech (medium)

* Language: en_US (English, United States)
* Speakers: 1
* Quality: medium
* Samplerate: 22,050Hz

## Dataset

* URL: https://keithito.com/LJ-Speech-Dataset/
* License: {licence}

## Training

Made by tests/piper_voice.py: tones, no recorded speech.
"""


def build_repository(root: Path, *, licence: str = "public domain", padding: int = 0) -> Path:
    """A repository at ``root`` with the catalogue's voice; ``root``."""
    folder = root / VOICE_DIR
    build_voice(folder, VOICE_ID, padding=padding)
    (folder / "MODEL_CARD").write_text(CARD.format(licence=licence), encoding="utf-8")
    write_index(root)
    return root


def write_index(root: Path) -> None:
    """``voices.json`` for what ``root`` holds, as Piper writes it."""
    files = {}
    for path in sorted((root / VOICE_DIR).iterdir()):
        data = path.read_bytes()
        files[f"{VOICE_DIR}/{path.name}"] = {
            "size_bytes": len(data),
            "md5_digest": hashlib.md5(data).hexdigest(),
        }
    index = {
        VOICE_ID: {
            "key": VOICE_ID,
            "name": "ljspeech",
            "language": {"code": "en_US", "family": "en", "region": "US"},
            "quality": "medium",
            "num_speakers": 1,
            "speaker_id_map": {},
            "files": files,
            "aliases": [],
        }
    }
    (root / "voices.json").write_text(json.dumps(index, indent=2), encoding="utf-8")


@dataclass
class Behaviour:
    """How the server misbehaves (all off: a faithful mirror)."""

    web_page: bool = False
    """Answer every request with an HTML page (a captive portal, a login wall)."""
    break_after: int | None = None
    """Close the connection after this many bytes of a model file."""
    stall_after: int | None = None
    """Send this many bytes of a model file, then nothing for ``stall_s``."""
    stall_s: float = 30.0
    trickle_s: float | None = None
    """Send a model file one byte at a time, this long apart (never a whole read's silence),
    for its first 40 bytes, then close the connection (a test without a limit would hang)."""
    ranges: bool = True
    """Honour Range requests (a server without them sends the whole file again)."""
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """Each request's path and Range header, in order."""


class VoiceServer:
    def __init__(self, root: Path, behaviour: Behaviour | None = None) -> None:
        self.root = root
        self.behaviour = behaviour or Behaviour()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        b = self.behaviour
        b.requests.append((request.path, request.headers.get("Range")))
        if b.web_page:
            body = b"<!doctype html><html><body>Please log in</body></html>"
            self._send(request, 200, body, "text/html; charset=utf-8")
            return
        path = (self.root / request.path.lstrip("/").split("?")[0]).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            self._send(request, 404, b"not found", "text/plain")
            return
        data = path.read_bytes()
        start = 0
        said = request.headers.get("Range")
        if said and b.ranges and said.startswith("bytes="):
            start = int(said.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self._send(request, 416, b"", "text/plain")
                return
        request.send_response(206 if start else 200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(data) - start))
        if start:
            request.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        request.end_headers()
        body = data[start:]
        model = path.name.endswith(".onnx")
        if model and b.break_after is not None:
            request.wfile.write(body[: b.break_after])
            request.wfile.flush()
            request.close_connection = True
            return
        if model and b.trickle_s is not None:
            with contextlib.suppress(OSError):  # the client gave up
                for byte in body[:40]:
                    request.wfile.write(bytes([byte]))
                    request.wfile.flush()
                    time.sleep(b.trickle_s)
            request.close_connection = True
            return
        if model and b.stall_after is not None:
            request.wfile.write(body[: b.stall_after])
            request.wfile.flush()
            time.sleep(b.stall_s)
            return
        request.wfile.write(body)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


@contextmanager
def serving(root: Path, behaviour: Behaviour | None = None) -> Iterator[VoiceServer]:
    """``root`` served on the loopback address while the block runs, stopped after it."""
    server = VoiceServer(root, behaviour)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
