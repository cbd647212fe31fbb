"""eSpeak NG through a private copy of libespeak-ng: code that runs is verified before it runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from coach.speech.espeak import COPY_NAME
from tests.conftest import DATA, coach_command


def export(env: dict[str, str], target: Path) -> subprocess.CompletedProcess[str]:
    args = ["export", str(DATA / "tiny.yaml"), "-o", str(target), "--force"]
    return subprocess.run(
        [*coach_command(), *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("harm", ["noise at the same size", "cut short", "empty", "not ELF"])
def test_a_damaged_copy_of_the_library_is_replaced_not_run(tmp_path: Path, harm: str) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = export(env, tmp_path / "first.wav")
    assert first.returncode == 0, first.stderr
    (copy,) = (tmp_path / "cache" / "coach" / "espeak").glob(f"*/{COPY_NAME}")
    whole = copy.read_bytes()
    damaged = {
        "noise at the same size": whole[:4096] + os.urandom(65_536) + whole[4096 + 65_536 :],
        "cut short": whole[: len(whole) // 2],
        "empty": b"",
        "not ELF": b"#!/bin/sh\n" + bytes(len(whole) - 10),
    }[harm]
    copy.write_bytes(damaged)
    # the speech of the first export is cached: a new rate makes every text render again
    again = export({**env, "COACH_RATE": "150"}, tmp_path / "again.wav")
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("\n") == 1  # "wrote ...", nothing else
    assert copy.read_bytes() == whole
