"""Where routines, sounds and the schema live: the user's routines folder, and the bundled ones."""

from __future__ import annotations

from pathlib import Path

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


def routines_folder_problem(folder: Path) -> str | None:
    """What keeps ``folder`` from holding routines, said plainly; None when nothing does."""
    link = broken_link(folder)
    if link is not None:
        return f"{link} (or loops)"
    if folder.exists() and not folder.is_dir():
        return f"{folder}: is not a folder"
    return None
