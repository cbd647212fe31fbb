"""Shared fixtures: an isolated speech cache, fake clip lengths for the pure core, routine files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from coach.render.build import load_sounds
from coach.timeline.events import Sound

DATA = Path(__file__).parent / "data"
SHORT = DATA / "short.yaml"
"""A small routine (sides, steps, timed cues) that plays in seconds at pace 4."""


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One speech cache for the whole run (real renders happen once), never the user's own."""
    keys = ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "DBUS_SESSION_BUS_ADDRESS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data"))
    # no user routines or config of the machine's own: each test that needs them makes them
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    # no desktop's session bus either: a test that wants one starts its own (test_mpris)
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path_factory.mktemp('nobus')}/bus"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


SOUND_S = {
    Sound.OPEN: 0.35,
    Sound.START: 0.8,
    Sound.SWITCH: 1.2,
    Sound.FINISH: 1.8,
    Sound.REST: 0.9,
    Sound.TICK: 0.07,
}
"""Stand-in sound lengths for the pure core (about the bundled sounds')."""


from coach.testing import fake_speech_s  # noqa: E402  (shared with the tone engine)

__all__ = ["fake_speech_s"]


@pytest.fixture
def sound_s() -> dict[Sound, float]:
    return {sound: clip.duration_s for sound, clip in load_sounds().items()}


class WriteRoutine(Protocol):
    def __call__(self, text: str, name: str = "routine.yaml") -> Path: ...


@pytest.fixture
def write_routine(tmp_path: Path) -> WriteRoutine:
    def write(text: str, name: str = "routine.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def as_at_a_shell() -> None:
    """For a child coach that tests interrupt: Ctrl-C as a shell's foreground job gets it.

    A suite started in the background (``make test &``) inherits SIGINT ignored, and
    Python then never turns it into KeyboardInterrupt; a user's coach is in the foreground.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def coach_command() -> list[str]:
    """The installed console script, run as a user would."""
    return [str(Path(sys.executable).with_name("coach"))]


def last_history(env: dict[str, str]) -> dict[str, Any]:
    """The newest entry of `coach history --json`, as a user with this environment sees it."""
    listed = subprocess.run(
        [*coach_command(), "history", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(listed.stdout.splitlines()[-1]))


def written_holds(routine: object) -> list[tuple[float, bool, int]]:
    """Each hold a routine plans, in order, as written: (seconds at pace 1, until ready, reps)."""
    from coach.routine.model import Routine
    from coach.routine.walk import turns

    assert isinstance(routine, Routine)
    return [(t.step.written_s, t.step.until_ready, t.step.reps) for t in turns(routine)]
