"""A user of their own for the neural-voice tests: cache, data (the voices folder) and
config in a test's folder, and coach run as that user would run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import coach_command


def own_user(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose cache, data and config are in ``tmp_path``."""
    for name in ("cache", "data", "config"):
        (tmp_path / name).mkdir()
    return {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def coach(
    *args: str, env: dict[str, str], timeout: float = 240, **kw: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args], env=env, capture_output=True, text=True, timeout=timeout, **kw
    )


def one_line(run: subprocess.CompletedProcess[str], status: int) -> str:
    """A refusal: this status, one line on stderr, nothing on stdout, no traceback."""
    assert run.returncode == status, run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]
