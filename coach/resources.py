"""Where the bundled routines, sounds and schema live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

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
