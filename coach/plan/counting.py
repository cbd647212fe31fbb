"""Plan, counted reps: one count (or tick) a beat, each said inside its beat, none dropped."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from coach.errors import PlanError
from coach.language.phrases import Phrases
from coach.plan.packing import GAP_S
from coach.routine.model import Exercise, Step
from coach.timeline.events import EPSILON_S, MIN_PACE, Sound, SpeechLength


@dataclass(frozen=True, slots=True)
class Beats:
    beat_s: float
    texts: tuple[str, ...]
    """What is said on each beat ("One.", "Two."…); empty: a tick on each."""


def beats(
    step: Step,
    exercise: Exercise,
    pace: float,
    phrases: Phrases,
    speech_s: SpeechLength,
    sound_s: Mapping[Sound, float],
) -> Beats:
    """The beat of a step's reps at ``pace``, and what is said on each.

    Raises:
        PlanError: the pace is too fast to say the longest count inside a beat;
            the message names the fastest pace that works, or the tempo that would.
    """
    beat_s = step.tempo_s / pace
    texts = tuple(phrases.count(k) for k in range(1, step.reps + 1)) if step.count else ()
    longest = max(texts, key=speech_s) if texts else ""
    needed_s = (speech_s(longest) if texts else sound_s[Sound.TICK]) + GAP_S
    if needed_s > beat_s + EPSILON_S:
        name = exercise.name + (f" ({step.name})" if exercise.has_steps else "")
        said = f'to say "{longest}"' if texts else "for its ticks"
        fastest = math.floor(step.tempo_s / needed_s * 100) / 100
        least_s = math.ceil(needed_s * 10) / 10
        fix = (
            f"the fastest pace that works is {fastest:g}"
            if fastest >= MIN_PACE
            else f"no pace is slow enough: make 'tempo' at least {least_s:g}s"
        )
        raise PlanError(
            f'"{name}" counts {step.reps} reps of {step.tempo_s:g}s at pace '
            f"{pace:g}: a beat of {beat_s:.2f}s is too short {said}; {fix}"
        )
    return Beats(beat_s, texts)
