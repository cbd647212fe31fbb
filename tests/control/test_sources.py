"""The command-source seam: every open source heard, in the order commands arrive; quit wins."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest

from coach.control.sources import (
    Merged,
    SourceContext,
    open_sources,
    source_kind,
    source_names,
    wanted_sources,
)
from coach.errors import UsageError
from coach.play.transport import Command
from coach.timeline.events import Timeline


@dataclass
class Listed:
    """A source that has these commands waiting, one a poll."""

    waiting: list[Command] = field(default_factory=list)

    def poll(self) -> Command | None:
        return self.waiting.pop(0) if self.waiting else None


def test_commands_from_several_sources_are_heard_in_order() -> None:
    keys = Listed([Command.PAUSE, Command.FASTER])
    remote = Listed([Command.NEXT])
    merged = Merged([keys, remote])
    heard = [merged.poll() for _ in range(4)]
    assert heard == [Command.PAUSE, Command.FASTER, Command.NEXT, None]
    assert merged.interactive


def test_quit_from_any_source_wins_over_what_waits() -> None:
    merged = Merged([Listed([Command.NEXT, Command.SLOWER]), Listed([Command.QUIT])])
    assert merged.poll() is Command.QUIT
    assert merged.poll() is None


def test_no_open_source_means_no_one_to_wait_for() -> None:
    assert not Merged([]).interactive


def test_the_keys_are_a_source_like_any_other() -> None:
    assert "keys" in source_names()
    kind = source_kind("keys")
    assert kind.default
    context = SourceContext(io.StringIO(), {}, Timeline.__new__(Timeline))
    with open_sources([kind], context) as merged:  # not a terminal: the keys are quietly absent
        assert merged.sources == ()
        assert not merged.interactive


def test_a_session_opens_the_default_sources_those_named_and_those_its_settings_open() -> None:
    def names(named: list[str], options: dict[str, object]) -> list[str]:
        return [kind.name for kind in wanted_sources(named, options)]

    assert names([], {}) == ["keys", "mpris"]
    assert names(["voice"], {}) == ["keys", "mpris", "voice"]
    assert names([], {"listen": True, "wake-word": None}) == ["keys", "mpris", "voice"]
    assert names([], {"duck": True}) == ["keys", "mpris", "duck"]  # on unless --no-duck
    with pytest.raises(UsageError, match="unknown command source 'nope'"):
        wanted_sources(["nope"], {})


def test_an_unknown_source_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"use one of .*keys"):
        source_kind("nope")


class Gone:
    gone = True

    def poll(self) -> Command | None:
        return None


class There:
    def poll(self) -> Command | None:
        return None


def test_a_source_that_went_away_no_longer_counts_as_someone_who_can_answer() -> None:
    assert not Merged([]).interactive
    assert not Merged([Gone()]).interactive
    assert Merged([Gone(), There()]).interactive


def test_a_source_that_only_watches_is_no_one_to_wait_for() -> None:
    """Music lowered under cues is an open source too, but nobody answers through it: a
    hold until ready with only it open lasts its ready time instead of waiting for ever."""
    watcher = There()
    assert not Merged([watcher], watchers=[watcher]).interactive
    assert Merged([watcher, There()], watchers=[watcher]).interactive
    from coach.control.sources import source_kind

    assert not source_kind("duck").answers
    assert all(source_kind(name).answers for name in ("keys", "mpris", "voice"))
