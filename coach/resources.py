"""Where routines, sounds and the schema live: the user's routines folder, and the bundled ones."""

from __future__ import annotations

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


_user_routines_dir: Path | None = None


def user_routines_dir() -> Path:
    """The folder a person keeps their own routines in (``~/.config/coach/routines`` on Linux).

    The config file's ``routines`` setting moves it (``set_user_routines_dir``).
    """
    if _user_routines_dir is not None:
        return _user_routines_dir
    return Path(platformdirs.user_config_dir("coach")) / "routines"


def set_user_routines_dir(folder: Path | None) -> None:
    global _user_routines_dir
    _user_routines_dir = folder


def routines_folder_problem(folder: Path) -> str | None:
    """What keeps ``folder`` from holding routines, said plainly; None when nothing does."""
    link = broken_link(folder)
    if link is not None:
        return f"{link} (or loops)"
    if folder.exists() and not folder.is_dir():
        return f"{folder}: is not a folder"
    return None


def user_routines() -> dict[str, Path]:
    """The user's routine names mapped to their files (``.yaml`` and ``.yml``), sorted by name.

    Only names: a file that cannot be read or parsed is still listed, so that
    ``coach list`` can say what is wrong with it.
    """
    folder = user_routines_dir()
    try:
        # a dot name is a draft `coach edit` is writing, or an editor's own file
        found = [
            p
            for p in folder.iterdir()
            if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
        ]
    except OSError:  # no folder yet (or not a folder): no user routines
        return {}
    return {p.stem: p for p in sorted(found, key=lambda p: (p.stem, p.suffix != ".yaml"))}


def routine_names() -> dict[str, Path]:
    """Every routine by name: the user's shadow bundled ones of the same name."""
    return bundled_routines() | user_routines()
