"""Where routines, sounds and the schema live: the user's routines folder, and the bundled ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from coach.files import broken_link

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The bundled ``routines`` or ``sounds`` folder.

    A wheel carries them inside the package; a source checkout (editable install)
    keeps them at the top level, beside ``coach/``.
    """
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def bundled_routines() -> dict[str, Path]:
    """Bundled routine names mapped to their files, sorted by name."""
    folder = bundled_dir("routines")
    return {p.stem: p for p in sorted(folder.glob("*.yaml"), key=lambda p: p.stem)}


def schema_path() -> Path:
    """The JSON Schema for routine files."""
    return _PACKAGE / "schema" / "routine.schema.json"


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


def routines_folder_problem(folder: Path) -> str | None:
    """What keeps ``folder`` from holding routines, said plainly; None when nothing does."""
    link = broken_link(folder)
    if link is not None:
        return f"{link} (or loops)"
    if folder.exists() and not folder.is_dir():
        return f"{folder}: is not a folder"
    return None
