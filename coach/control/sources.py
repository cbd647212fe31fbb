"""The command-source seam: where a live session's commands come from, merged into one stream.

A source is anything with ``poll() -> Command | None`` that never blocks: the
terminal's keys, a D-Bus media player, a microphone. Each is a module that
defines ``SOURCE = SourceKind(...)`` plus one line, in ``BUILT_IN`` below or as
a ``coach.command_sources`` entry point of another package. The player sees one
merged source and runs one loop over one transport state.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, TextIO

from coach.play.speaking import SpeakingLog
from coach.play.transport import Command, Controls, Display
from coach.registry import Registry
from coach.settings import Key
from coach.timeline.events import Timeline

BUILT_IN = {
    "keys": "coach.control.keys",
    "mpris": "coach.control.mpris",
    "voice": "coach.control.listen",
    "duck": "coach.control.duck",
}
"""The command sources coach ships: name → the module that defines its ``SOURCE``."""


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source may need to open: the terminal, the environment, what is playing."""

    stdin: TextIO
    env: Mapping[str, str]
    timeline: Timeline
    speaking: SpeakingLog | None = None
    """When coach's own sound plays: what a microphone hears then is not a command."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """The sources' settings in force, by name (``wake-word``): each source's ``settings``
    from its option, the config or its default."""


@dataclass(frozen=True, slots=True)
class SourceKind:
    name: str
    open: Callable[[SourceContext], AbstractContextManager[Controls | None]]
    """Yields the open source, or None where it cannot work here (no terminal, no bus):
    the session then plays without it, and says nothing alarming."""
    help: str = ""
    default: bool = True
    """Opened for every session; otherwise only when asked for by name (``--control``)."""
    settings: tuple[Key, ...] = ()
    """What it can be told: config settings, and the options ``coach play`` gains for them."""
    opened_by: str | None = None
    """A flag among its settings that opens it too (``listen``), like ``--control NAME``."""
    check: Callable[[Mapping[str, Any]], None] = lambda options: None
    """Raises a CoachError, before any sound, where it cannot work as asked (its library
    missing, a setting it cannot use): given the settings in force, by name."""
    way: str = ""
    """How a person goes on with it after a pause, as coach says it (``space``: "press
    space"), a name in the phrase tables' ``ways``; empty: it names none."""
    answers: bool = True
    """A person can answer through it; False for one that only watches what plays (music
    lowered under cues), so a hold until ready never waits on it."""

    def wanted(self, named: Sequence[str], options: Mapping[str, Any]) -> bool:
        """Opened for this session: by default, by name, or by its own flag."""
        flag = self.opened_by is not None and bool(options.get(self.opened_by))
        return self.default or self.name in named or flag


SOURCES: Registry[SourceKind] = Registry(
    "command source", SourceKind, BUILT_IN, "coach.command_sources", attr="SOURCE"
)


source_names = SOURCES.names
"""Every source's name: the built-in ones, then those of installed packages."""
source_kind = SOURCES.load
"""The command source of this name (UsageError: none has it; CoachError: it cannot load)."""


class Merged:
    """Every open source's commands, in the order they arrive; a quit from any one wins."""

    def __init__(
        self,
        sources: Sequence[Controls],
        ways: Sequence[str] = (),
        watchers: Sequence[Controls] = (),
    ) -> None:
        self.sources = tuple(sources)
        self.watchers = tuple(watchers)
        """Open sources nobody answers through: they watch what plays, and give no command."""
        self.ways = tuple(dict.fromkeys(way for way in ways if way))
        """How the open sources go on after a pause: what coach tells the person to do."""
        self.queue: deque[Command] = deque()

    @property
    def observers(self) -> tuple[Display, ...]:
        """The sources that also show what plays (a media player's status, for one)."""
        return tuple(s for s in self.sources if callable(getattr(s, "fired", None)))  # type: ignore[misc]

    @property
    def interactive(self) -> bool:
        """Someone can answer: at least one source is open and has not gone away under way
        (a bus that died), so a hold until ready may wait for it."""
        return any(
            not getattr(source, "gone", False)
            for source in self.sources
            if source not in self.watchers
        )

    def poll(self) -> Command | None:
        for source in self.sources:
            while (command := source.poll()) is not None:
                if command is Command.QUIT:
                    self.queue.clear()
                    return command
                self.queue.append(command)
        return self.queue.popleft() if self.queue else None


def wanted_sources(names: Sequence[str], options: Mapping[str, Any]) -> list[SourceKind]:
    """The sources a session opens, each checked: the default ones, those named, and those
    whose own flag is on. Said before any sound: an unknown name, a source that cannot work.

    A broken plugin that is not asked for is left out, never in the way.
    """
    kinds = {kind.name: kind for kind in SOURCES.kinds()}
    for name in names:
        kinds[name] = source_kind(name)  # an unknown or broken one named is refused
    wanted = [kind for kind in kinds.values() if kind.wanted(names, options)]
    for kind in wanted:
        kind.check(options)
    return wanted


@contextlib.contextmanager
def open_sources(wanted: Sequence[SourceKind], context: SourceContext) -> Iterator[Merged]:
    """The sources ``wanted_sources`` chose, open while the block runs, merged into one."""
    with contextlib.ExitStack() as stack:
        opened = [(kind, stack.enter_context(kind.open(context))) for kind in wanted]
        yield Merged(
            [source for _, source in opened if source is not None],
            [kind.way for kind, source in opened if source is not None],
            [source for kind, source in opened if source is not None and not kind.answers],
        )
