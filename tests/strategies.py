"""Routines for the tests: hypothesis strategies that write them, and small planned sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from coach.errors import PlanError
from coach.language.table import TABLE
from coach.plan.planner import plan_session
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Timeline
from tests.conftest import SOUND_S, fake_speech_s

EN = TABLE["en"]


def load_text(tmp_path: Path, text: str) -> Routine:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return load_routine(path)


def plan(routine: Routine, pace: float = 1.0) -> Timeline:
    return plan_session(routine, Pacing(pace), fake_speech_s, SOUND_S)


HEAD = "title: T\nsections:\n  - name: S\n    exercises:\n      - name: A\n        setup: x\n"


steps = st.fixed_dictionaries(
    {"name": st.sampled_from(["Bends", "Rolls", "Hold"]), "setup": st.just("Get set.")},
    optional={"repeat": st.integers(1, 3), "rest": st.sampled_from(["0s", "12s", "20s"])},
).flatmap(
    lambda base: st.one_of(
        st.builds(lambda h: {**base, "hold": h}, st.sampled_from(["10s", "30s", "75s"])),
        st.builds(
            lambda n, t, c: {**base, "reps": n, "tempo": t, "count": c},
            st.integers(1, 12),
            st.sampled_from(["2s", "3s", "4s"]),
            st.booleans(),
        ),
        st.just({**base, "hold": "until-ready"}),
    )
)


def _exercise(name: str, parts: list[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    exercise: dict[str, Any] = {"name": name, "setup": "Lie down.", **extra}
    if len(parts) == 1:
        only = {k: v for k, v in parts[0].items() if k not in ("name", "setup", "repeat", "rest")}
        exercise |= only
    else:
        exercise["steps"] = parts
    if "rest" in exercise and "repeat" not in exercise:
        del exercise["rest"]
    return exercise


def _clean(step: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k != "rest" or "repeat" in step}


exercises = st.builds(
    _exercise,
    st.sampled_from(["Knees", "Calves", "Back"]),
    st.lists(steps.map(_clean), min_size=1, max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "sides": st.just("both"),
            "repeat": st.integers(1, 3),
            "rest": st.sampled_from(["15s", "30s"]),
            "countdown": st.integers(0, 3),
            "transition": st.sampled_from(["0s", "10s"]),
        },
    ),
)


routines = st.builds(
    lambda parts, section, top: {
        "title": "Generated",
        **top,
        "sections": [
            {"name": "Main", **section, "exercises": parts}
            if "rest" not in section or "repeat" in section
            else {"name": "Main", "exercises": parts}
        ],
    },
    st.lists(exercises, min_size=1, max_size=3),
    st.fixed_dictionaries(
        {}, optional={"repeat": st.integers(1, 2), "rest": st.sampled_from(["20s", "40s"])}
    ),
    st.fixed_dictionaries({}, optional={"countdown": st.integers(0, 3), "ready": st.just("15s")}),
)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_document(document: dict[str, Any]) -> Routine:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        return load_routine(path)


def attempt(make: Any) -> tuple[Timeline | None, str]:
    """The timeline, or None and the planner's refusal."""
    try:
        return make(), ""
    except PlanError as err:
        return None, str(err)


def counts_said(reps: int) -> list[str]:
    return [EN.count(k) for k in range(1, reps + 1)]


def ready_session(tmp_path: Path, ways: tuple[str, ...] = ("space",)) -> Any:
    """A hold until ready, then a timed one, in a session that goes on by ``ways``."""
    from coach.audio import Clip
    from coach.render.session import Session

    routine = load_text(
        tmp_path,
        "title: T\nready: 12s\nsections:\n  - name: S\n    exercises:\n"
        "      - name: Breathe\n        setup: Lie still.\n        hold: until-ready\n"
        "      - name: Stretch\n        setup: Reach up.\n        hold: 20s\n",
    )
    timeline = plan(routine)
    clips = {
        t: Clip(bytes(2 * round(fake_speech_s(t) * 22050)))
        for t in (*timeline.texts(), *EN.live(ways))
    }
    sounds = {s: Clip(bytes(2 * round(d * 22050))) for s, d in SOUND_S.items()}
    return Session(timeline, clips, sounds, ways=ways)
