"""A setting's declaration: its parsers accept what they should and say what they refuse."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from coach.settings import Key, choice, flag, folder, in_force, number, text


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(150, 150), ("150", 150), (80.0, 80), ("400", 400)],
)
def test_a_whole_number_in_range(value: Any, parsed: int) -> None:
    assert number(int, 80, 400)(value) == parsed


@pytest.mark.parametrize(
    "value", [79, 401, 150.5, "150.9", "fast", True, None, math.inf, math.nan, "9" * 400, [1]]
)
def test_a_whole_number_out_of_range_or_not_one_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="must be a whole number from 80 to 400"):
        number(int, 80, 400)(value)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(True, True), (False, False), ("yes", True), (" On ", True), ("0", False), ("no", False)],
)
def test_a_flag(value: Any, parsed: bool) -> None:
    assert flag(value) is parsed


@pytest.mark.parametrize("value", ["maybe", "", 1, None])
def test_a_flag_that_is_not_one(value: Any) -> None:
    with pytest.raises(ValueError, match="must be true or false"):
        flag(value)


def test_text_is_trimmed_and_must_say_something() -> None:
    assert text("  gmw/de ") == "gmw/de"
    for value in ("", "   ", 3, None):
        with pytest.raises(ValueError, match="must be text in quotes"):
            text(value)


def test_a_choice_is_asked_for_its_options_only_when_a_value_comes() -> None:
    asked: list[int] = []

    def options() -> list[str]:
        asked.append(1)
        return ["wav", "mp3"]

    parse = choice(options)
    assert asked == []
    assert parse(" MP3 ") == "mp3"
    with pytest.raises(ValueError, match="must be one of wav, mp3"):
        parse("aac")


def test_a_folder_expands_the_home_and_refuses_nonsense() -> None:
    assert folder("~/coach") == Path.home() / "coach"
    with pytest.raises(ValueError, match="must name a folder"):
        folder(" ")
    with pytest.raises(ValueError, match="NUL"):
        folder("a\0b")
    with pytest.raises(ValueError, match="not a user here"):
        folder("~nosuchuser-at-all/x")


def test_a_key_names_its_variable_and_parameter() -> None:
    key = Key("wake-word", "A word.", text, option="--wake-word", commands=("play",))
    assert (key.variable, key.param, key.is_flag) == ("COACH_WAKE_WORD", "wake_word", False)
    assert Key("listen", "Listen.", flag, False, option="--listen/--no-listen").is_flag


def test_in_force_takes_what_is_given_else_the_default() -> None:
    keys = (Key("a", "A.", flag, False), Key("b", "B.", text, "x"), Key("c", "C.", text))
    assert in_force(keys, {"a": True, "b": None}) == {"a": True, "b": "x", "c": None}
