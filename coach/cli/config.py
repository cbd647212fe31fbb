"""Your defaults: a TOML config file, then COACH_* environment variables; options beat both.

Each setting remembers where its value came from, so `coach config` can say so,
and a bad value is reported like a bad routine: ``file:line: what, how to fix``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.errors import UsageError
from coach.files import broken_link
from coach.language.table import DEFAULT_LANGUAGE, TABLE, is_supported
from coach.routine.shelf import Shelf
from coach.settings import Key, choice, folder, in_force, number, text
from coach.speech.engine import DEFAULT_ENGINE, DEFAULT_RATE_WPM, MAX_RATE_WPM, MIN_RATE_WPM
from coach.timeline.events import MAX_PACE, MIN_PACE

MAX_CONFIG_BYTES = 100_000


class ConfigError(UsageError):
    """The config file or a COACH_* variable holds something coach cannot use."""


def _language(value: Any) -> str:
    tag = text(value)
    if not is_supported(tag):
        raise ValueError(f"must be one of {', '.join(sorted(TABLE))} (a region may follow)")
    return tag


def _engine(value: Any) -> str:
    from coach.speech.engine import engine_names

    name = text(value)
    if name not in engine_names():
        raise ValueError(f"is not a speech engine; use one of {', '.join(sorted(engine_names()))}")
    return name


def keys(
    formats: Callable[[], Sequence[str]], sample_rates: Callable[[], Sequence[int]]
) -> tuple[Key, ...]:
    """coach's own settings, in the order `coach config` shows them (each kind's follow)."""
    return (
        Key(
            "pace",
            "Time runs this many times faster (like --pace).",
            number(float, MIN_PACE, MAX_PACE),
            1.0,
        ),
        Key(
            "rate",
            "Speaking rate in words a minute (like --rate).",
            number(int, MIN_RATE_WPM, MAX_RATE_WPM),
            DEFAULT_RATE_WPM,
        ),
        Key(
            "voice",
            "The voice for every routine (like --voice); unset: the language's own.",
            text,
            unset="the language's own",
        ),
        Key(
            "engine",
            "The speech engine (like --engine); `coach voices --engine NAME` lists its voices.",
            _engine,
            DEFAULT_ENGINE,
        ),
        Key(
            "language",
            "What coach speaks for a routine that does not say.",
            _language,
            DEFAULT_LANGUAGE,
        ),
        Key(
            "sample-rate",
            "Export's samples a second (like --sample-rate); unset: the format's own.",
            choice(lambda: tuple(str(r) for r in sample_rates())),
            unset="the format's own",
        ),
        Key(
            "format",
            "Export's format when the file name has no known ending.",
            choice(formats),
            unset="by the file name",
        ),
        Key("routines", "The folder your own routines live in.", folder),
    )


@dataclass(frozen=True, slots=True)
class Setting:
    key: Key
    value: Any
    source: str
    """``default``, ``FILE:LINE`` or ``COACH_RATE``."""


def default_settings(all_keys: tuple[Key, ...]) -> dict[str, Setting]:
    """Every setting at its default: where the config says nothing, or cannot be read."""
    return {key.name: Setting(key, key.default, "default") for key in all_keys}


def load_config(
    path: Path,
    environ: Mapping[str, str],
    all_keys: tuple[Key, ...],
    installed: Callable[[], tuple[Key, ...]] = tuple,
) -> dict[str, Setting]:
    """Every setting with its value and where it came from (file, then environment).

    ``installed``: the settings of installed packages' kinds, asked for only when the
    file or a ``COACH_*`` variable names one that ``all_keys`` does not (it costs a scan).

    Raises:
        ConfigError: the file is not TOML, names an unknown setting, or a value
            (in the file or the environment) cannot be used; every problem at once.
    """
    content = _read(path)
    data = _parse(path, content) if content is not None else {}
    variables = {key.variable for key in all_keys} | {"COACH_CONFIG"}
    known = {key.name for key in all_keys}
    if any(name not in known for name in data) or any(
        name.startswith("COACH_") and name not in variables for name in environ
    ):
        all_keys = (*all_keys, *(key for key in installed() if key.name not in known))
    by_name = {key.name: key for key in all_keys}
    settings = default_settings(all_keys)
    problems: list[str] = []
    if content is not None:
        for name, value in data.items():
            where = f"{path}:{_line_of(content, name)}"
            key = by_name.get(name)
            if key is None:
                close = difflib.get_close_matches(name, list(by_name), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"settings: {', '.join(by_name)}"
                problems.append(f"{where}: unknown setting '{name}'; {hint}")
                continue
            try:
                settings[name] = Setting(key, key.parse(value), where)
            except ValueError as err:
                problems.append(f"{where}: '{name}' {err}, got {value!r}")
    for key in all_keys:
        if key.variable in environ:
            raw = environ[key.variable]
            try:
                settings[key.name] = Setting(key, key.parse(raw), key.variable)
            except ValueError as err:
                problems.append(f"{key.variable}: {err}, got {raw!r}")
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError as err:  # arrays in arrays, hundreds deep
        raise ConfigError(
            f"{path}: not valid TOML for coach (it nests too deep); "
            'write settings as name = value, text in quotes: voice = "gmw/de"'
        ) from err
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"line (\d+)", str(err))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise ConfigError(
            f"{where}: not valid TOML ({str(err).split(' (at')[0]}); "
            'write settings as name = value, text in quotes: voice = "gmw/de"'
        ) from err


def _read(path: Path) -> str | None:
    """The file's text; None when there is none (no config is the usual case)."""
    try:
        link = broken_link(path)
        if link is not None:
            raise ConfigError(
                f"{link}; point it at your config file, or remove it to use the defaults"
            )
        if not path.exists():
            return None
        if not path.is_file():
            raise ConfigError(f"{path}: is not a regular file; a config file is TOML text")
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: over {MAX_CONFIG_BYTES} bytes; a config file is a few lines"
            )
        # utf-8-sig: a byte-order mark (Windows Notepad writes one) is not a setting
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}:1: not UTF-8 text; save the file as UTF-8") from err
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the file: {err.strerror}") from err


def _line_of(text: str, name: str) -> int:
    """The line a top-level key is set on (tomllib keeps no positions)."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
    for at, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return at
    return 1


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting in force and where it came from: one value the command line passes down."""

    values: Mapping[str, Setting]

    def in_force(self, keys: Sequence[Key]) -> dict[str, Any]:
        """Each of ``keys``' values, by name: as the config or environment set it, else its
        default."""
        return in_force(keys, {key.name: self.configured(key.name) for key in keys})

    def configured(self, name: str) -> Any:
        """A setting's value from the config file or environment; None when not set there."""
        setting = self.values.get(name)
        return None if setting is None or setting.source == "default" else setting.value

    @property
    def shelf(self) -> Shelf:
        """Where routines are found by name (the config's ``routines`` folder)."""
        folder = self.configured("routines")
        return Shelf(folder) if folder is not None else Shelf()

    @property
    def language(self) -> str:
        """The language of a routine that does not say."""
        return str(self.configured("language") or DEFAULT_LANGUAGE)
