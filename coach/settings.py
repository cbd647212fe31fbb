"""What a setting is, declared once: by coach's core and by each kind (engine, source, format).

A ``Key`` names a setting, says what it means, parses a value (from the config
file's TOML, the environment's text or the command line alike) and, where a
command takes it as an option, how that option is spelt. ``coach config``, the
commands' options, completion and the README's table are all made from these
declarations, as a mopidy extension brings its own config schema.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    """As written in the config file; the variable is ``COACH_`` + its upper case."""
    meaning: str
    parse: Callable[[Any], Any]
    """The value as read (TOML type, text from the environment or the command line) to the
    value used; raises ValueError with what it must be ("must be true or false")."""
    default: Any = None
    unset: str = "unset"
    """How ``coach config`` shows it when it has no value (``by the file name``)."""
    option: str | None = None
    """Its command-line option (``--wake-word``, ``--listen/--no-listen``); None: config only."""
    commands: tuple[str, ...] = ()
    """The commands that take the option."""
    metavar: str | None = None
    needs: str | None = None
    """A flag setting without which the option does nothing (``listen`` for the wake word)."""

    @property
    def variable(self) -> str:
        return "COACH_" + self.name.upper().replace("-", "_")

    @property
    def param(self) -> str:
        """The option's parameter name: ``wake_word``."""
        return self.name.replace("-", "_")

    @property
    def is_flag(self) -> bool:
        return self.option is not None and "/" in self.option


def in_force(keys: Sequence[Key], given: Mapping[str, Any]) -> dict[str, Any]:
    """Each key's value: as ``given`` (by name, None for unset), else its default."""
    return {
        key.name: given[key.name] if given.get(key.name) is not None else key.default
        for key in keys
    }


def number(kind: type, low: float, high: float) -> Callable[[Any], Any]:
    """A number in range; the same rule for the file's numbers and the environment's text."""
    whole = kind is int
    what = f"must be a {'whole ' if whole else ''}number from {low:g} to {high:g}"

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(what)
        try:
            found = float(value)
        except (ValueError, OverflowError) as err:  # "fast", a 400-digit integer
            raise ValueError(what) from err
        if not math.isfinite(found) or not low <= found <= high:
            raise ValueError(what)
        if whole:
            if not found.is_integer():  # 150.9: refused, in the file as in COACH_RATE
                raise ValueError(what)
            return int(found)
        return found

    return parse


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be text in quotes")
    return value.strip()


def flag(value: Any) -> bool:
    """true or false; from the environment also 1/0, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    said = str(value).strip().lower() if isinstance(value, str) else None
    if said in ("1", "true", "yes", "on"):
        return True
    if said in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def choice(options: Callable[[], Sequence[str]]) -> Callable[[Any], Any]:
    """A value from ``options()``, asked only when a value is given (the list may cost)."""

    def parse(value: Any) -> str:
        said = str(value).strip().lower()
        if said not in options():
            raise ValueError(f"must be one of {', '.join(options())}")
        return said

    return parse


def folder(value: Any) -> Path:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must name a folder, like ~/coach; leave it out for the usual one")
    said = text(value)
    if "\0" in said:
        raise ValueError("must be a folder's path; it holds a NUL character")
    try:
        return Path(said).expanduser()
    except RuntimeError as err:  # ~nosuchuser
        user = said[1:].split("/", 1)[0]
        raise ValueError(
            f"names the home folder of '{user}', who is not a user here; "
            "write the folder out, like ~/coach"
        ) from err
