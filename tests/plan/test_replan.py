"""Re-planning under way: a position maps onto the new plan; a longer hold is only that hold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.plan.planner import plan_session
from coach.plan.replan import equivalent_position
from coach.routine.reader import load_routine
from coach.timeline.events import Pacing, Sound
from tests.conftest import SOUND_S, fake_speech_s


@settings(max_examples=200, deadline=None)
@given(
    fraction=st.floats(0, 1),
    old_pace=st.sampled_from([0.5, 1.0, 2.0]),
    factor=st.sampled_from([0.8, 1.25]),
)
def test_a_position_maps_onto_the_new_plan(fraction: float, old_pace: float, factor: float) -> None:
    routine = load_routine("smr-legs")
    old = plan_session(routine, Pacing(old_pace), fake_speech_s, SOUND_S)
    new = plan_session(
        routine,
        Pacing(old_pace * factor),
        fake_speech_s,
        SOUND_S,
        minutes=max(1, round(old.total_s / 60)),
    )
    position = fraction * old.total_s
    moved = equivalent_position(old, new, position)
    assert 0 <= moved <= new.total_s
    # the introduction is said as before
    assert new.events[:3] == old.events[:3]
    for was, now in zip(old.holds, new.holds, strict=True):
        if was.start_s <= position < was.end_s:
            # inside a hold: the part done stays done, in written seconds
            assert now.start_s <= moved <= now.end_s
            done_written = (position - was.start_s) * old.pace
            assert (moved - now.start_s) * new.pace == pytest.approx(done_written, abs=0.002)
    # later positions never map earlier
    later = min(old.total_s, position + 7.3)
    assert equivalent_position(old, new, later) >= moved - 1e-9


def test_extend_lengthens_only_that_hold(sound_s: dict[Sound, float]) -> None:
    routine = load_routine("smr-legs")
    plain = plan_session(routine, Pacing(1.0), fake_speech_s, sound_s, minutes=17)
    longer = plan_session(
        routine, Pacing(1.0), fake_speech_s, sound_s, minutes=17, extend={3: 30.0}
    )
    lengths = [round(h.end_s - h.start_s, 3) for h in plain.holds]
    assert [round(h.end_s - h.start_s, 3) for h in longer.holds] == [
        length + (30.0 if i == 3 else 0.0) for i, length in enumerate(lengths)
    ]
    assert longer.total_s == pytest.approx(plain.total_s + 30.0, abs=0.01)
