"""Load, first step: a routine file's text as a YAML node tree, read safely or refused plainly.

One reader for every command. Only a regular file is read, only up to a size
limit, and never blocking: a FIFO, a device (/dev/zero, /dev/urandom) or a folder
is refused before a byte is read. Aliases and deep nesting are refused from the
parser's events, before composing, so a "billion laughs" or a file of 100,000
brackets costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from coach.files import UnreadableError, read_small_file

MAX_FILE_BYTES = 1_000_000
MAX_NESTING = 32
"""Lists and mappings inside each other; a routine needs about eight."""

# libyaml where PyYAML was built with it (its wheels are): 20x faster on big files.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class SourceProblem:
    line: int
    """0: about the file as a whole."""
    message: str


class SourceError(Exception):
    """The file cannot be read as YAML; carries every problem found."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in problems))


def read_yaml(path: Path) -> yaml.Node:
    """The file's YAML node tree.

    Raises:
        SourceError: the file cannot be read, is not UTF-8 YAML, is empty, or uses
            aliases or nesting that routines never need.
    """
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _fail(1, f"not UTF-8 text ({err.reason}); save the file as UTF-8") from err
    try:
        _prescan(text)
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if "nesting" in (err.problem or ""):
            # libyaml (PyYAML >= 6.0.4) stops runaway nesting itself, scanning ahead of
            # the events the pre-scan counts: the same problem, said the same way
            raise _too_deep(mark.line + 1 if mark else 1) from err
        what = err.problem or err.context or "invalid YAML"
        raise _fail(
            mark.line + 1 if mark else 1,
            f"invalid YAML: {what}; check the indentation and quoting",
        ) from err
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, max(err.position, 0)) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        raise _fail(
            line, f"invalid YAML: character U+{code:04X} is not allowed; remove it"
        ) from err
    except yaml.YAMLError as err:
        raise _fail(1, "invalid YAML: " + " ".join(str(err).split())) from err
    if root is None:
        raise _fail(1, "the file is empty; a routine needs a title and sections")
    return root


def _fail(line: int, message: str) -> SourceError:
    return SourceError([SourceProblem(line, message)])


def _too_deep(line: int) -> SourceError:
    return _fail(
        line,
        f"lists and mappings nest deeper than {MAX_NESTING} levels; "
        "a routine needs a handful: check the brackets and indentation",
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return read_small_file(path, MAX_FILE_BYTES, "a routine file (.yaml)")
    except UnreadableError as err:
        raise _fail(0, str(err)) from err


def _prescan(text: str) -> None:
    """Refuse aliases (all of them) and nesting deeper than ``MAX_NESTING`` (at the first).

    Raises:
        SourceError: what was found.
        yaml.YAMLError: the text is not YAML.
    """
    problems: list[SourceProblem] = []
    depth = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent):
            problems.append(
                SourceProblem(
                    line, f"YAML alias *{event.anchor} is not supported; write the value out"
                )
            )
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise _too_deep(line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    if problems:
        raise SourceError(problems)
