"""Where a kind of extension is found by name: the built-in ones, then installed packages'.

The three seams (speech engines, command sources, export formats) each keep one
``Registry``: a table of ``name → "module:ATTR"`` for what coach ships, and an
entry-point group through which another package adds its own. Nothing is
imported until it is asked for by name, so the command line starts light.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from coach.errors import CoachError, UsageError
from coach.settings import Key


class Kind(Protocol):
    """What every registered extension has: a name, and the settings it brings."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> tuple[Key, ...]: ...


T = TypeVar("T", bound=Kind)

NOTE_NAME = "plugins.json"


@functools.cache
def installed_entry_points() -> dict[str, dict[str, str]]:
    """Installed packages' ``coach.*`` entry points, by group, then name.

    Scanning every installed package costs ~30 ms (importlib.metadata reads each
    one's metadata), on the way to a session's first sound. The answer is noted in
    the user's cache under the modification times of the folders on ``sys.path``,
    which change as a package is installed or removed, and read from there while
    they stay the same; a note that is damaged or of other folders is made anew.
    """
    stamp = [[folder, _mtime_ns(folder)] for folder in sys.path if folder]
    note = _note_path()
    try:
        known = json.loads(note.read_text(encoding="utf-8")) if note else None
    except (OSError, ValueError, RecursionError):
        known = None
    if isinstance(known, dict) and known.get("stamp") == stamp:
        groups = known.get("groups")
        if isinstance(groups, dict) and all(
            isinstance(points, dict) and all(isinstance(v, str) for v in points.values())
            for points in groups.values()
        ):
            return groups
    from importlib.metadata import distributions

    found: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for dist in distributions():  # as entry_points() does: the first of a name on the path
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        for point in dist.entry_points:
            if point.group.startswith("coach."):
                found.setdefault(point.group, {}).setdefault(point.name, point.value)
    if note is not None:
        with contextlib.suppress(OSError):  # a read-only cache: scanned again next time
            from coach.files import write_text_atomic

            note.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(note, json.dumps({"stamp": stamp, "groups": found}))
    return found


def _mtime_ns(folder: str) -> int | None:
    try:
        return Path(folder).stat().st_mtime_ns
    except OSError:
        return None


def _note_path() -> Path | None:
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("coach")) / NOTE_NAME
    except Exception:  # no home to speak of: scan every time
        return None


@dataclass(frozen=True)
class Registry(Generic[T]):
    kind: str
    """What is registered, as a person would name it: "speech engine"."""
    type: type[T]
    built_in: dict[str, str]
    group: str
    """The entry-point group other packages register in: ``coach.engines``."""
    attr: str
    """The module attribute a plain ``module`` place names: ``ENGINE``."""

    @functools.cached_property
    def places(self) -> dict[str, str]:
        """Every name and where it is: the built-in ones first, then installed packages'."""
        found = dict(self.built_in)
        for name, place in installed_entry_points().get(self.group, {}).items():
            found.setdefault(name, place)
        return found

    def names(self) -> list[str]:
        return list(self.places)

    def load(self, name: str) -> T:
        """The extension of this name.

        Raises:
            UsageError: none has that name (the message lists those that do).
            CoachError: it is registered but cannot be loaded.
        """
        # a built-in name needs no scan of installed packages (it costs ~40 ms at start-up)
        place = self.built_in.get(name) or self.places.get(name)
        if place is None:
            known = ", ".join(sorted(self.places))
            raise UsageError(f"unknown {self.kind} {name!r}; use one of {known}")
        module, _, attr = place.partition(":")
        try:
            found = getattr(importlib.import_module(module), attr or self.attr)
        except Exception as err:  # a plugin's own code may raise anything as it is imported
            raise CoachError(f"{self.kind} {name!r} could not be loaded ({place}): {err}") from err
        if not isinstance(found, self.type) or getattr(found, "name", None) != name:
            raise CoachError(
                f"{self.kind} {name!r}: {place} is not a {self.type.__name__} named so"
            )
        return found

    def kinds(self, *, installed: bool = True) -> list[T]:
        """Every extension that loads: the built-in ones, then (``installed``) packages'.

        One that cannot load is left out here; it is said where it is asked for by name,
        so a broken plugin never stops what does not use it.
        """
        found = []
        for name in self.names() if installed else list(self.built_in):
            try:
                found.append(self.load(name))
            except CoachError:
                continue
        return found

    def settings(self, *, installed: bool = True) -> tuple[Key, ...]:
        """The settings every extension of this kind declares, in registry order."""
        return tuple(key for kind in self.kinds(installed=installed) for key in kind.settings)
