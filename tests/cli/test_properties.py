"""Generated routines and option values, fed to `coach check` and `coach show`.

Whatever a person (or a fuzzer) writes, coach answers with a document and exit 0,
or with messages and exit 2: never a traceback, never a hang. Speech here is a
stand-in tone of the planner's estimated length, so that hundreds of examples
run in seconds; real speech is tested in test_speech.py and test_live.py.
"""

from __future__ import annotations

import json
import math
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import coach.cli.options
from coach.cli.group import cli
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.testing import ToneEngine

EXAMPLE_LIMIT_S = 30
"""One example taking this long is a hang."""


@pytest.fixture(scope="module")
def tone_speech() -> Iterator[None]:
    folder = Path(tempfile.mkdtemp(prefix="coach-tone-"))
    saved = coach.cli.options.make_speech

    def make_speech(rate: int, voice: str | None, engine: str = "espeak") -> SpeechCache:
        return SpeechCache(folder, SpeechSettings(voice=voice, rate_wpm=rate), ToneEngine)

    coach.cli.options.make_speech = make_speech
    yield
    coach.cli.options.make_speech = saved


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError(f"an example ran past {EXAMPLE_LIMIT_S} s: a hang")


def invoke(args: list[str]) -> Any:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(EXAMPLE_LIMIT_S)
    try:
        return CliRunner().invoke(cli, args, catch_exceptions=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_answered(result: Any) -> None:
    """Exit 0 with the document, or exit 2 with messages; never a traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.stderr.strip(), "an error with no message"


# --- what people write --------------------------------------------------------------------

words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40
)
plain = st.from_regex(r"[A-Z][a-z]{1,12}( [a-z]{1,10}){0,6}\.", fullmatch=True)
good_durations = st.one_of(
    st.builds(lambda n: f"{n}s", st.integers(min_value=10, max_value=200)),
    st.integers(min_value=10, max_value=300),
    st.sampled_from(["90s", "2m", "1m30s", "1 minute"]),
)
odd_durations = st.one_of(
    st.sampled_from(
        [
            "0",
            "0s",
            "-5",
            "1h",
            "2h",
            "inf",
            "Infinity",
            "1e309",
            "nan",
            ".inf",
            "",
            "soon",
            "1e12",
            "3600",
            "3601",
            "0.001",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10, max_value=10**15),
)


class _NoAliases(yaml.SafeDumper):
    """A routine as a person writes it: a repeated value is written out, not aliased."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_NoAliases, allow_unicode=True)


def _drop_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def routines_of(
    durations: st.SearchStrategy[Any], sides: st.SearchStrategy[Any], texts: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    """Routine documents whose durations, sides and texts come from these strategies."""
    cues = st.lists(
        st.one_of(texts, st.fixed_dictionaries({"say": texts}, optional={"at": durations})),
        max_size=4,
    )
    steps = st.lists(
        st.builds(
            lambda name, setup, hold, said: _drop_none(
                {"name": name, "setup": setup, "hold": hold, "cues": said or None}
            ),
            plain,
            texts,
            durations,
            cues,
        ),
        min_size=1,
        max_size=3,
    )
    exercises = st.lists(
        st.builds(
            lambda name, setup, side, hold, said, parts, transition, stepped: _drop_none(
                {
                    "name": name,
                    "setup": setup,
                    "sides": side,
                    "transition": transition,
                    **({"steps": parts} if stepped else {"hold": hold, "cues": said or None}),
                }
            ),
            texts,
            texts,
            sides,
            durations,
            cues,
            steps,
            st.one_of(st.none(), durations),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
    return st.builds(
        lambda title, equipment, transition, parts: _drop_none(
            {
                "title": title,
                "equipment": equipment,
                "transition": transition,
                "sections": [
                    {"name": f"Part {i}", "exercises": part} for i, part in enumerate(parts)
                ],
            }
        ),
        texts,
        st.one_of(st.none(), plain, st.lists(plain, max_size=3)),
        st.one_of(st.none(), durations),
        st.lists(exercises, min_size=1, max_size=2),
    )


# Half written as meant (so planning is reached often), half with anything in any field.
routines = st.one_of(
    routines_of(good_durations, st.sampled_from([None, "both", ["left", "right"]]), plain),
    routines_of(
        st.one_of(good_durations, odd_durations),
        st.sampled_from([None, "both", ["left", "right"], ["right"], ["up"], ["left", "left"], 3]),
        st.one_of(plain, words),
    ),
)
documents = st.one_of(
    routines.map(dump),
    words,  # not a routine at all
    st.text(alphabet="[]{}:- \n'\"&*!#|>%@`,?ab0", max_size=200),  # YAML's own punctuation
)
paces = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from(["0.5", "1", "2", "3"]),
    st.sampled_from(["0.25", "1", "4", "0", "-1", "nan", "inf", "1e309", "fast", "4.0001"]),
    st.floats(min_value=0.1, max_value=5).map(repr),
)
lengths = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.sampled_from(["8m", "30s", "1h", "7h", "inf", "nan", "0", "1e309", "-3m", "soon", ""]),
)
rates = st.one_of(
    st.none(), st.none(), st.sampled_from(["80", "160", "400", "79", "401", "1e3", "x"])
)


def options(pace: str | None, length: str | None, rate: str | None) -> list[str]:
    args: list[str] = []
    for name, value in (("--pace", pace), ("--length", length), ("--rate", rate)):
        if value is not None:
            args += [name, value]
    return args


COMMON = settings(
    max_examples=120,
    deadline=None,  # the alarm above catches a hang; slow machines are not failures
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@COMMON
@given(document=documents)
def test_check_answers_any_document(tone_speech: None, tmp_path: Path, document: str) -> None:
    path = tmp_path / "routine.yaml"
    path.write_text(document, encoding="utf-8")
    result = invoke(["check", str(path)])
    event(f"exit {result.exit_code}")
    assert_answered(result)
    if result.exit_code == 0:
        assert result.stdout.startswith(f"{path}: ok (")
    else:
        assert all(line.startswith(f"{path}") for line in result.stderr.splitlines())


@COMMON
@given(routine=routines, pace=paces, length=lengths, rate=rates)
def test_show_answers_any_routine_and_options(
    tone_speech: None,
    tmp_path: Path,
    routine: dict[str, Any],
    pace: str | None,
    length: str | None,
    rate: str | None,
) -> None:
    path = tmp_path / "routine.yaml"
    path.write_text(dump(routine), encoding="utf-8")
    result = invoke(["show", str(path), "--json", *options(pace, length, rate)])
    event(f"exit {result.exit_code}")
    assert_answered(result)
    if result.exit_code == 0:
        timeline = json.loads(result.stdout)  # nothing but the document on stdout
        assert timeline["total_s"] <= 6 * 3600 + 60
        assert all(math.isfinite(e["at_s"]) for e in timeline["events"])
