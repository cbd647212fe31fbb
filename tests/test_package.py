"""A real wheel carries the routines, sounds and schema, and finds them from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("coach-*.whl")
    return built


def test_wheel_contains_the_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("smr-legs", "smr-back", "smr-full"):
        assert f"coach/routines/{name}.yaml" in names
    for sound in ("start", "switch", "finish"):
        assert f"coach/sounds/{sound}.wav" in names
    assert "coach/schema/routine.schema.json" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_works_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import coach;"
        "assert coach.__file__.startswith(sys.argv[1]), coach.__file__;"
        "from coach.cli import main; sys.argv[1:] = ['show', 'smr-full']; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        # an empty cache: the render workers must find the installed package too
        env={**os.environ, "PYTHONPATH": "", "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stderr
    assert "Self-myofascial release for the legs and back (smr-full)" in result.stdout
    assert "chime  switch" in result.stdout
    assert len(list((tmp_path / "cache").rglob("*.wav"))) >= 60
