"""Load, where routines come from: names found in the user's folder, then the bundled ones."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from coach.errors import Problem, RoutineError
from coach.resources import bundled_routines


def default_user_routines_dir() -> Path:
    """The folder a person keeps their own routines in (``~/.config/coach/routines`` on Linux)."""
    return Path(platformdirs.user_config_dir("coach")) / "routines"


@dataclass(frozen=True, slots=True)
class Shelf:
    """Where routines are found by name: the user's folder (the config's ``routines``), then
    the bundled ones. A value passed down from the command line, never module state."""

    user_dir: Path = field(default_factory=default_user_routines_dir)

    def user_routines(self) -> dict[str, Path]:
        """The user's routine names mapped to their files (``.yaml`` and ``.yml``), by name.

        Only names: a file that cannot be read or parsed is still listed, so that
        ``coach list`` can say what is wrong with it.
        """
        try:
            # a dot name is a draft `coach edit` is writing, or an editor's own file
            found = [
                p
                for p in self.user_dir.iterdir()
                if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
            ]
        except OSError:  # no folder yet (or not a folder): no user routines
            return {}
        return {p.stem: p for p in sorted(found, key=lambda p: (p.stem, p.suffix != ".yaml"))}

    def names(self) -> dict[str, Path]:
        """Every routine by name: the user's shadow bundled ones of the same name."""
        return bundled_routines() | self.user_routines()


def find_routine(ref: str, shelf: Shelf, *, relative_to: Path | None = None) -> Path:
    """Turn a routine's name or a path into a file path.

    A name is looked up beside the including file (for ``include``), then in the
    user's routines folder, then among the bundled routines.

    Raises:
        RoutineError: nothing by that name or path.
    """
    as_path = Path(ref)
    if relative_to is not None and not as_path.is_absolute():
        beside = relative_to / as_path
        for candidate in (beside, beside.with_suffix(".yaml")):
            if candidate.is_file():
                return candidate
        # an include's relative path means beside its file, never the working folder: a
        # routine must find what it includes from wherever coach is started
        as_path = beside
    # a name with a path's shape, or anything there but a folder, is a path: the reader judges it
    if (
        as_path.suffix in (".yaml", ".yml")
        or "/" in ref
        or (as_path.exists() and not as_path.is_dir())
    ):
        if as_path.exists() or as_path.is_symlink():
            return as_path
        raise RoutineError([Problem(ref, 0, "no such file; give a routine file or a bundled name")])
    known = shelf.names()
    if ref in known:
        return known[ref]
    close = difflib.get_close_matches(ref, list(known), n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    names = ", ".join(sorted(known)) or "none"
    raise RoutineError(
        [
            Problem(
                ref,
                0,
                f"no such routine; {hint}routines: {names} "
                "(`coach list` shows them; or give a file path)",
            )
        ]
    )
