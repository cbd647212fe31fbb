"""Where a kind of extension is found by name: the built-in ones, then installed packages'.

The three seams (speech engines, command sources, export formats) each keep one
``Registry``: a table of ``name → "module:ATTR"`` for what coach ships, and an
entry-point group through which another package adds its own. Nothing is
imported until it is asked for by name, so the command line starts light.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
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
        # importlib.metadata costs ~20 ms to import: only when a name is not built in
        from importlib.metadata import entry_points

        found = dict(self.built_in)
        for point in entry_points(group=self.group):
            found.setdefault(point.name, point.value)
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
