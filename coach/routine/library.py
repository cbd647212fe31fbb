"""The routine library: every routine by name, the user's and the bundled, as `coach list` shows it.

Listing a routine means knowing its length at pace 1, which takes its speech.
What was measured is kept in a small cache keyed by each file's size and
modification time (the routine's own and every file it includes), so a list of
hundreds of routines reads only what changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from coach.errors import CoachError, RoutineError
from coach.files import write_text_atomic
from coach.language.table import DEFAULT_LANGUAGE
from coach.resources import bundled_routines
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.routine.shelf import Shelf, find_routine

CACHE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Listed:
    """One routine as the library lists it."""

    name: str
    source: str
    """"user" or "bundled"."""
    path: Path
    shadows: bool
    """A user routine that hides the bundled one of the same name."""
    title: str = ""
    language: str = ""
    length_s: float | None = None
    """At pace 1; None when the routine has a problem."""
    problem: str = ""
    """The first thing wrong with it, as ``file:line: what, how to fix``."""

    def as_json(self) -> dict[str, Any]:
        item = asdict(self)
        item["path"] = str(self.path)
        return item


def list_library(
    measure: Callable[[Routine], float],
    cache_path: Path | None,
    settings_key: str,
    shelf: Shelf,
    *,
    language: str = DEFAULT_LANGUAGE,
    prepare: Callable[[list[Routine]], None] = lambda routines: None,
) -> list[Listed]:
    """Every routine, bundled first then the user's, each with its length or first problem.

    ``measure`` gives a routine's length at pace 1; ``settings_key`` names what that
    depends on besides the files (speech rate, engine), so a change of either
    measures again. A user routine that cannot be read is listed with its problem,
    never hiding the others. ``prepare`` is given, at once, every routine that is
    about to be measured (to render their speech together, in parallel).
    """
    cache = _LengthCache(cache_path, settings_key)
    bundled, users = bundled_routines(), shelf.user_routines()
    read = _Read(shelf, language)
    wanted = [
        *((name, "bundled", path, False) for name, path in bundled.items() if name not in users),
        *((name, "user", path, name in bundled) for name, path in users.items()),
    ]
    known = {path: cache.get(path) for _, _, path, _ in wanted}
    loaded: dict[Path, Routine | RoutineError] = {}
    for path in (path for path, found in known.items() if found is None):
        try:
            loaded[path] = load_routine(path, read.shelf, language=read.language)
        except RoutineError as err:
            loaded[path] = err
    prepare([routine for routine in loaded.values() if isinstance(routine, Routine)])
    listed = [
        _entry(name, source, path, shadows, measure, cache, known[path] or loaded[path], read)
        for name, source, path, shadows in wanted
    ]
    cache.save()
    return sorted(listed, key=lambda item: item.name)


def _entry(
    name: str,
    source: str,
    path: Path,
    shadows: bool,
    measure: Callable[[Routine], float],
    cache: _LengthCache,
    found: dict[str, Any] | Routine | RoutineError,
    read: _Read,
) -> Listed:
    """One routine's line: as the cache has it, or measured from the routine read."""
    if isinstance(found, dict):
        return Listed(name, source, path, shadows, **found)
    files: list[Path] = [path]
    try:
        if isinstance(found, RoutineError):
            raise found
        routine = found
        files = list(routine.files)
        details: dict[str, Any] = {
            "title": routine.title,
            "language": routine.language,
            "length_s": round(measure(routine), 3),
        }
    except RoutineError as err:
        files += [Path(p.path) for p in err.problems if p.path != str(path)]
        details = {"problem": str(err.problems[0])}
    except CoachError as err:  # it loads, but cannot be planned (too long, too fast)
        details = {"problem": f"{path}: {str(err).splitlines()[0]}"}
    if len(files) > 1 or "problem" in details:
        # An include by name finds whatever the folders hold now: a routine of yours
        # added, removed or renamed changes what it means, and so must measure again.
        files += [*(f.parent for f in files), read.shelf.user_dir]
    cache.put(path, files, details)
    return Listed(name, source, path, shadows, **details)


@dataclass(frozen=True, slots=True)
class _Read:
    """How the library reads its routines: where names are found, and the default language."""

    shelf: Shelf
    language: str


def _stamp(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_size]


class _LengthCache:
    """``{routine file: {files and their stamps, what was found}}`` as one JSON file.

    A damaged or foreign cache is ignored and rewritten: it only ever costs time.
    """

    def __init__(self, path: Path | None, settings_key: str) -> None:
        self.path = path
        self.key = settings_key
        self.entries: dict[str, Any] = {}
        self.changed = False
        if path is None:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return
        if (
            isinstance(data, dict)
            and data.get("version") == CACHE_VERSION
            and data.get("key") == settings_key
            and isinstance(data.get("entries"), dict)
        ):
            self.entries = data["entries"]

    def get(self, path: Path) -> dict[str, Any] | None:
        entry = self.entries.get(str(path))
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), list):
            return None
        for item in entry["files"]:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                return None
            if _stamp(Path(item[0])) != item[1]:
                return None
        details = entry.get("details")
        if not isinstance(details, dict) or not set(details) <= _DETAILS:
            return None
        return details

    def put(self, path: Path, files: list[Path], details: dict[str, Any]) -> None:
        self.entries[str(path)] = {
            "files": [[str(f), _stamp(f)] for f in dict.fromkeys(files)],
            "details": details,
        }
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        data = {"version": CACHE_VERSION, "key": self.key, "entries": self.entries}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(data))
        except OSError:
            pass  # a cache that cannot be written only costs time on the next list


_DETAILS = {"title", "language", "length_s", "problem"}


def user_file_for(name: str, folder: Path) -> Path:
    """Where ``coach new NAME`` writes: ``NAME.yaml`` in the user's routines folder."""
    return folder / f"{name}.yaml"


MAX_NAME_CHARS = 100
"""Longer names leave no room for the hidden files a safe write makes beside the routine."""


def valid_name(name: str) -> bool:
    """A routine name is a plain file name: letters, digits, ``-`` and ``_``."""
    return bool(name) and all(ch.isalnum() or ch in "-_" for ch in name) and name[0].isalnum()


def moved_includes(text: str, origin: Path, shelf: Shelf) -> str:
    """A routine's text for a copy in ``folder``: each include that would find another
    file from there (a path beside the original) is rewritten to the file it means.

    Everything else, comments included, stays as written.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # the pure parser: marks count characters
    edits: list[tuple[int, int, str]] = []
    for node in _include_values(root):
        meant = find_routine(node.value, shelf, relative_to=origin.parent).resolve()
        try:
            there: Path | None = find_routine(
                node.value, shelf, relative_to=shelf.user_dir
            ).resolve()
        except RoutineError:
            there = None
        if there != meant:
            # a JSON string is a YAML double-quoted scalar: any path spelled safely
            edits.append((node.start_mark.index, node.end_mark.index, json.dumps(str(meant))))
    for start, end, value in sorted(edits, reverse=True):
        text = text[:start] + value + text[end:]
    return text


def _include_values(root: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """The value of every ``include:`` among a routine's sections."""
    if not isinstance(root, yaml.MappingNode):
        return
    for key, value in root.value:
        if key.value != "sections" or not isinstance(value, yaml.SequenceNode):
            continue
        for section in value.value:
            if not isinstance(section, yaml.MappingNode):
                continue
            for inner_key, inner in section.value:
                if inner_key.value == "include" and isinstance(inner, yaml.ScalarNode):
                    yield inner
