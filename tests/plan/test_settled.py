"""A plan made before all its speech is rendered: what it settles is what the real plan says.

A live session starts on its first clips and plans the rest as they come
(``render.coming``); that is only sound if the events before ``settled_until`` are
the real plan's whatever the lengths not yet known turn out to be.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from coach.errors import PlanError
from coach.plan.placing import settled_until
from coach.plan.planner import plan_session, spoken_minutes
from coach.resources import bundled_routines
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Timeline
from tests.conftest import SOUND_S, fake_speech_s
from tests.strategies import PROPERTY, load_document, routines


def planned(routine: Any, pace: float, speech_s: Any, minutes: int) -> tuple[Timeline, list[Any]]:
    asked: list[tuple[str, float]] = []
    timeline = plan_session(routine, Pacing(pace), speech_s, SOUND_S, minutes=minutes, asked=asked)
    return timeline, asked


def check_prefixes(routine: Any, pace: float, real_s: Any, steps: int = 12) -> int:
    """For known prefixes of what the plan asks (in its order), the plan on estimates for
    the rest agrees with the real one before ``settled_until``; returns how many checked."""
    try:
        draft = plan_session(routine, Pacing(pace), fake_speech_s, SOUND_S)
        minutes = spoken_minutes(draft)
        real, order = planned(routine, pace, real_s, minutes)
    except PlanError:
        return 0
    texts = list(dict.fromkeys(text for text, _ in order))
    checked = 0
    cuts = sorted({round(k * len(texts) / steps) for k in range(steps + 1)})
    for cut in cuts:
        known = set(texts[:cut])
        try:
            partial, asked = planned(
                routine,
                pace,
                lambda text, known=known: real_s(text) if text in known else fake_speech_s(text),
                minutes,
            )
        except PlanError:
            continue  # the estimates for the rest do not fit: the real plan decides
        settled = settled_until(asked, known)
        assert [e for e in partial.events if e.at_s < settled] == [
            e for e in real.events if e.at_s < settled
        ], (cut, settled)
        if cut == len(texts):
            assert settled == float("inf")
            assert partial == real
        checked += 1
    return checked


lengths = st.dictionaries(
    st.sampled_from(["short", "long"]), st.floats(0.2, 3.0), min_size=2, max_size=2
)


@PROPERTY
@given(document=routines, pace=st.sampled_from([0.5, 1.0, 2.0]), scale=lengths)
def test_what_a_partial_plan_settles_is_the_real_plan(
    document: dict[str, Any], pace: float, scale: dict[str, float]
) -> None:
    routine = load_document(document)

    def real_s(text: str) -> float:  # real speech, longer or shorter than estimated
        return fake_speech_s(text) * (scale["long"] if len(text) % 2 else scale["short"])

    check_prefixes(routine, pace, real_s)


def test_the_bundled_routines_settle_as_they_render() -> None:
    checked = 0
    for name in bundled_routines():
        routine = load_routine(name)
        for factor in (0.7, 1.4):
            checked += check_prefixes(
                routine, 1.0, lambda text, f=factor: fake_speech_s(text) * f + 0.05, steps=30
            )
    assert checked > 100


def test_a_prefix_settles_the_start_and_nothing_unknown() -> None:
    routine = load_routine("smr-legs")
    draft = plan_session(routine, Pacing(1.0), fake_speech_s, SOUND_S)
    timeline, asked = planned(routine, 1.0, fake_speech_s, spoken_minutes(draft))
    texts = list(dict.fromkeys(text for text, _ in asked))
    chime, title = timeline.events[:2]
    # the title is asked first, at its time after the chime: only the chime is settled
    assert chime.at_s < settled_until(asked, set()) < title.at_s
    assert settled_until(asked, set(texts)) == float("inf")
    # the title and the next sentences known: the session is settled past the title
    settled = settled_until(asked, set(texts[:3]))
    assert title.end_s < settled < timeline.total_s
    # what is settled is said with the known clips only
    assert {e.text for e in timeline.events if e.at_s < settled and e.text} <= set(texts[:3])
