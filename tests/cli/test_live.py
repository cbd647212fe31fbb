"""The live session as `coach play` runs it: stopped at any moment, it is said and recorded."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.alsa_capture import capture_home, sounded
from tests.conftest import as_at_a_shell, coach_command


@pytest.mark.parametrize(
    ("signum", "status", "stopped_by"),
    [(signal.SIGINT, 130, "interrupt"), (signal.SIGTERM, 143, "terminated")],
)
def test_stopped_while_the_title_plays_is_said_and_recorded(
    tmp_path: Path, signum: int, status: int, stopped_by: str
) -> None:
    """With a cold cache the title plays while the rest renders; a stop then is a session."""
    env, capture = capture_home(tmp_path)
    env |= {"XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [*coach_command(), "play", "smr-legs", "--quiet"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_at_a_shell,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not sounded(capture):
        time.sleep(0.01)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == status, stderr
    assert stderr.startswith("coach: stopped at 0:0"), stderr
    assert "(the introduction)" in stderr
    assert "Traceback" not in stderr
    history = subprocess.run(
        [*coach_command(), "history", "--json"], env=env, capture_output=True, text=True
    )
    entry = json.loads(history.stdout.splitlines()[-1])
    assert (entry["routine"], entry["stopped_by"], entry["completed"]) == (
        "smr-legs",
        stopped_by,
        False,
    )
    assert entry["reached_s"] < 5


def test_a_fallback_of_a_format_coach_cannot_write_offers_only_what_play_has(
    tmp_path: Path,
) -> None:
    env, capture = capture_home(tmp_path)
    done = subprocess.run(
        [*coach_command(), "play", "--fallback", str(tmp_path / "s.aac")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"coach: {tmp_path / 's.aac'}: cannot write '.aac' files; use .wav"
    )
    assert "--format" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert not capture.exists()
