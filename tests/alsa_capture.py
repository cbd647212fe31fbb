"""Capture what ALSA plays on a machine with no sound card (used by tests and bench)."""

from __future__ import annotations

import os
from pathlib import Path


def capture_home(root: Path) -> tuple[dict[str, str], Path]:
    """An environment whose HOME's ``.asoundrc`` sends the default device's audio to a file.

    ALSA's ``type file`` plugin over the ``null`` device writes exactly the raw
    samples played; returns that environment and the capture file's path.
    """
    home = root / "home"
    home.mkdir()
    capture = root / "capture.raw"
    # "|cat >> file": a plain file path is truncated on every open (every clip)
    (home / ".asoundrc").write_text(
        'pcm.!default {\n  type file\n  slave.pcm "null"\n'
        f'  file "|cat >> {capture}"\n  format "raw"\n}}\n'
    )
    return {**os.environ, "HOME": str(home)}, capture
