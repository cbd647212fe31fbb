"""Your defaults: a TOML config file, then COACH_* environment variables; options beat both.

Each setting remembers where its value came from, so `coach config` can say so,
and a bad value is reported like a bad routine: ``file:line: what, how to fix``.
"""

from __future__ import annotations

import difflib
import math
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

PACE_RANGE = (0.25, 4.0)
RATE_RANGE = (80, 400)
MAX_CONFIG_BYTES = 100_000


class ConfigError(UsageError):
    """The config file or a COACH_* variable holds something coach cannot use."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    """As written in the file; the variable is ``COACH_`` + its upper case, ``-`` as ``_``."""
    meaning: str
    parse: Callable[[Any], Any]
    """The value as read (TOML type, or text from the environment) to the value used."""
    default: Any

    @property
    def variable(self) -> str:
        return "COACH_" + self.name.upper().replace("-", "_")


def _number(kind: type, low: float, high: float) -> Callable[[Any], Any]:
    """A number in range; the same rule for the file's numbers and the environment's text."""
    whole = kind is int
    what = f"must be a {'whole ' if whole else ''}number from {low:g} to {high:g}"

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(what)
        try:
            number = float(value)
        except (ValueError, OverflowError) as err:  # "fast", a 400-digit integer
            raise ValueError(what) from err
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(what)
        if whole:
            if not number.is_integer():  # 150.9: refused, in the file as in COACH_RATE
                raise ValueError(what)
            return int(number)
        return number

    return parse


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be text in quotes")
    return value.strip()


def _language(value: Any) -> str:
    tag = _text(value)
    if not is_supported(tag):
        raise ValueError(f"must be one of {', '.join(sorted(TABLE))} (a region may follow)")
    return tag


def _flag(value: Any) -> bool:
    """true or false; from the environment also 1/0, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _wake_word(value: Any) -> str:
    from coach.play.recogniser import ListenError, check_wake_word

    try:
        return check_wake_word(_text(value))
    except ListenError as err:
        raise ValueError(str(err).partition(": ")[2]) from err


def _engine(value: Any) -> str:
    from coach.speech.engine import engine_names

    name = _text(value)
    if name not in engine_names():
        raise ValueError(f"is not a speech engine; use one of {', '.join(sorted(engine_names()))}")
    return name


def _choice(options: Callable[[], Sequence[str]]) -> Callable[[Any], Any]:
    """A value from ``options()``, asked only when a value is given (the list may cost)."""

    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in options():
            raise ValueError(f"must be one of {', '.join(options())}")
        return text

    return parse


def _folder(value: Any) -> Path:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must name a folder, like ~/coach; leave it out for the usual one")
    text = _text(value)
    if "\0" in text:
        raise ValueError("must be a folder's path; it holds a NUL character")
    try:
        return Path(text).expanduser()
    except RuntimeError as err:  # ~nosuchuser
        user = text[1:].split("/", 1)[0]
        raise ValueError(
            f"names the home folder of '{user}', who is not a user here; "
            "write the folder out, like ~/coach"
        ) from err


def keys(formats: Callable[[], Sequence[str]], sample_rates: tuple[int, ...]) -> tuple[Key, ...]:
    """Every setting, in the order `coach config` shows them."""
    return (
        Key(
            "pace",
            "time runs this many times faster (like --pace)",
            _number(float, *PACE_RANGE),
            1.0,
        ),
        Key(
            "rate", "speaking rate in words a minute (like --rate)", _number(int, *RATE_RANGE), 160
        ),
        Key(
            "voice",
            "the voice for every routine (like --voice); unset: the language's",
            _text,
            None,
        ),
        Key(
            "engine",
            "the speech engine (like --engine); `coach voices --engine NAME` lists its voices",
            _engine,
            "espeak",
        ),
        Key(
            "neural",
            "speak with your Piper voice for the routine's language, when you have one "
            "(needs coach[neural])",
            _flag,
            False,
        ),
        Key(
            "language",
            "what coach speaks for a routine that does not say",
            _language,
            DEFAULT_LANGUAGE,
        ),
        Key(
            "sample-rate",
            "export's samples a second (like --sample-rate)",
            _choice(lambda: tuple(str(r) for r in sample_rates)),
            None,
        ),
        Key(
            "format",
            "export's format when the file name has no known ending",
            _choice(formats),
            None,
        ),
        Key("routines", "the folder your own routines live in", _folder, None),
        Key("listen", "coach play takes spoken commands (like --listen)", _flag, False),
        Key(
            "wake-word",
            'said before each spoken command (like --wake-word), e.g. "coach"; unset: none',
            _wake_word,
            None,
        ),
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
    path: Path, environ: Mapping[str, str], all_keys: tuple[Key, ...]
) -> dict[str, Setting]:
    """Every setting with its value and where it came from (file, then environment).

    Raises:
        ConfigError: the file is not TOML, names an unknown setting, or a value
            (in the file or the environment) cannot be used; every problem at once.
    """
    by_name = {key.name: key for key in all_keys}
    settings = default_settings(all_keys)
    problems: list[str] = []
    text = _read(path)
    if text is not None:
        try:
            data = tomllib.loads(text)
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
        for name, value in data.items():
            where = f"{path}:{_line_of(text, name)}"
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
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting in force and where it came from: one value the command line passes down."""

    values: Mapping[str, Setting]

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
