"""A registry of one kind of extension: built-in names first, then installed packages';
anything wrong with one is a CoachError naming it, never a traceback, never in another's way."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from coach.errors import CoachError, UsageError
from coach.registry import Registry
from coach.settings import Key, flag


@dataclass(frozen=True)
class Widget:
    name: str
    settings: tuple[Key, ...] = ()


GOOD = Widget("good", (Key("shiny", "Shiny.", flag, False),))
WRONG_NAME = Widget("other")
NOT_A_WIDGET = object()


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path for the plugins' modules, each test's own."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def registry(built_in: dict[str, str]) -> Registry[Widget]:
    return Registry("widget", Widget, built_in, "coach.test_widgets_none", attr="WIDGET")


def test_a_built_in_widget_loads_by_name() -> None:
    widgets = registry({"good": f"{__name__}:GOOD"})
    assert widgets.load("good") is GOOD
    assert widgets.names() == ["good"]
    assert widgets.settings() == GOOD.settings


def test_an_unknown_name_lists_those_there_are() -> None:
    with pytest.raises(UsageError, match="unknown widget 'nope'; use one of good"):
        registry({"good": f"{__name__}:GOOD"}).load("nope")


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("raise RuntimeError('boom')\n", "boom"),
        ("def broken(:\n", "invalid syntax"),
        ("import no_such_module_anywhere\n", "no_such_module_anywhere"),
        ("WIDGET = 3\n", "is not a Widget named so"),
    ],
)
def test_a_broken_widget_is_one_coach_error_naming_it(
    modules: Path, source: str, said: str
) -> None:
    name = f"broken_widget_{abs(hash(source))}"
    (modules / f"{name}.py").write_text(source)
    widgets = registry({"good": f"{__name__}:GOOD", "broken": name})
    with pytest.raises(CoachError, match="widget 'broken'") as raised:
        widgets.load("broken")
    assert said in str(raised.value)
    # where it is not asked for by name, it is left out, and the others are there
    assert widgets.kinds() == [GOOD]
    assert widgets.settings() == GOOD.settings
    sys.modules.pop(name, None)


@pytest.mark.parametrize("place", ["", ".relative", f"{__name__}:WRONG_NAME", f"{__name__}:NOPE"])
def test_a_place_that_names_nothing_usable_is_a_coach_error(place: str) -> None:
    with pytest.raises(CoachError, match="widget 'x'"):
        registry({"x": place}).load("x")
