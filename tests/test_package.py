"""A real wheel carries the routines, sounds and schema, and finds them from any folder."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tokenize
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import soundfile
from packaging.requirements import Requirement

from coach import DISTRIBUTION, __version__

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob(f"{DISTRIBUTION}-*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    code = "import sys; from hatchling.build import build_sdist; print(build_sdist(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out / done.stdout.strip().splitlines()[-1]


def test_wheel_is_coach_under_its_own_name(wheel: Path) -> None:
    """Installed as floorcoach (``coach`` on PyPI is another project's); the command is coach."""
    with zipfile.ZipFile(wheel) as zipped:
        (metadata,) = (n for n in zipped.namelist() if n.endswith(".dist-info/METADATA"))
        text = zipped.read(metadata).decode()
        (points,) = (n for n in zipped.namelist() if n.endswith(".dist-info/entry_points.txt"))
        scripts = zipped.read(points).decode()
    assert f"Name: {DISTRIBUTION}\n" in text
    assert f"Version: {__version__}\n" in text
    assert "License-Expression: MIT" in text
    assert "coach = coach.cli:main" in scripts


def test_licences_travel_with_both_artefacts(wheel: Path, sdist: Path) -> None:
    ours = {name: (ROOT / name).read_bytes() for name in ("LICENSE", "THIRD-PARTY.md")}
    with zipfile.ZipFile(wheel) as zipped:
        for name, content in ours.items():
            (inside,) = (n for n in zipped.namelist() if n.endswith(f".dist-info/licenses/{name}"))
            assert zipped.read(inside) == content
    with tarfile.open(sdist) as packed:
        for name, content in ours.items():
            member = packed.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/{name}")
            assert member is not None
            assert member.read() == content
    assert "MIT" in ours["LICENSE"].decode().splitlines()[0]


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


HINT = re.compile(
    r"pip install\s+(?:-[-\w]+\s+)*'?\"?([A-Za-z][\w.-]*)|\b([A-Za-z][\w-]*)\[(?:listen|neural|dev)\]"
)
"""A distribution named in an install hint: ``pip install X`` or ``X[extra]``."""


def named_distributions(text: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in HINT.finditer(text)}


def words_of(path: Path) -> str:
    """What a file says to people: a Python file's strings and comments, or the whole text."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return text
    said = (tokenize.STRING, tokenize.COMMENT)
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return "\n".join(token.string for token in tokens if token.type in said)


def test_hints_find_what_they_should() -> None:
    assert named_distributions("pip install 'coach[neural]' or pip install -q foo") == {
        "coach",
        "foo",
    }
    assert named_distributions("needs coach[listen]; pip install -e '.[dev]'") == {"coach"}


def test_every_hint_names_coach_under_its_own_name() -> None:
    """No message, docstring or README line sends a user to another project's package."""
    texts = [ROOT / "README.md", ROOT / "THIRD-PARTY.md", ROOT / "setup.sh"]
    texts += sorted((ROOT / "coach").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in texts
        for name in named_distributions(words_of(path))
        if name not in {DISTRIBUTION, "pip"}
    }
    assert not wrong
    # and what the messages say once built, from the settings users read
    from coach.speech.piper import NeuralMissingError

    assert f"pip install '{DISTRIBUTION}[neural]'" in str(NeuralMissingError())
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == DISTRIBUTION


# --- pipx and twine, offline ------------------------------------------------------------------


def repack(dist: metadata.Distribution, folder: Path) -> None:
    """An installed distribution as a wheel again, so pip can install it with no index.

    The test may not reach the package registry; every dependency is already installed
    here, so each is zipped back from its own RECORD (``py3-none-any``: this machine).
    """
    name = dist.metadata["Name"]
    wheel = folder / f"{re.sub(r'[-_.]+', '_', name).lower()}-{dist.version}-py3-none-any.whl"
    rows: list[str] = []
    with zipfile.ZipFile(wheel, "w") as packed:
        info = ""
        for file in dist.files or ():
            where = str(file)
            if where.startswith("..") or "__pycache__" in where or where.endswith(".pyc"):
                continue  # scripts outside site-packages, and bytecode, are made by pip
            if where.endswith(".dist-info/RECORD"):
                info = where.rsplit("/", 1)[0]
                continue
            data = Path(str(dist.locate_file(file))).read_bytes()
            packed.writestr(where, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            rows.append(f"{where},sha256={digest.decode()},{len(data)}")
        rows.append(f"{info}/RECORD,,")
        packed.writestr(f"{info}/RECORD", "\n".join(rows) + "\n")


def needed(name: str, seen: set[str]) -> set[str]:
    """``name`` and every distribution it needs here (no extras), by their installed metadata."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    seen.add(key)
    for line in metadata.requires(name) or ():
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            needed(requirement.name, seen)
    return seen


@pytest.mark.slow
def test_pipx_installs_the_wheel_and_it_exports_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    """As a user installs a CLI today: ``pipx install`` of the built wheel, in a fresh
    environment of its own, then a routine exported from an unrelated folder."""
    house = tmp_path / "wheels"
    house.mkdir()
    shutil.copy(wheel, house)
    for name in needed(DISTRIBUTION, set()) - {DISTRIBUTION}:
        repack(metadata.distribution(name), house)
    env = {
        **os.environ,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE": "1",  # no registry: its bundled pip will do
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(house),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    installed = subprocess.run(
        [sys.executable, "-m", "pipx", "install", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    coach = tmp_path / "bin" / "coach"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [str(coach), "export", "smr-back", "--pace", "4", "-o", "back.ogg"],
        cwd=elsewhere,
        env={k: v for k, v in env.items() if k != "VIRTUAL_ENV"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # the pipx environment's own coach, not this checkout's
    assert str(tmp_path / "pipx") in coach.resolve().read_text(errors="replace")
    info = soundfile.info(elsewhere / "back.ogg")
    assert info.duration > 60


def test_twine_finds_both_artefacts_fit_to_publish(wheel: Path, sdist: Path) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_a_plain_install_brings_only_what_coach_imports() -> None:
    """A dependency only the bench or the tests use belongs in their extra: simpleaudio, the
    bench's baseline, made every plain install compile C against the ALSA headers."""
    plain = set()
    for line in metadata.requires(DISTRIBUTION) or ():
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            plain.add(re.sub(r"[-_.]+", "-", requirement.name).lower())
    imported: set[str] = set()
    for path in (ROOT / "coach").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    providers = metadata.packages_distributions()
    used = {
        re.sub(r"[-_.]+", "-", dist).lower()
        for name in imported
        for dist in providers.get(name, ())
    }
    assert plain - used == set()
