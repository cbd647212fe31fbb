"""Render: the clips a timeline plays, with speech lengths fed back to the planner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.audio import SAMPLE_RATE_HZ, Clip, read_wav
from coach.errors import CoachError
from coach.plan import Event, EventKind, Pacing, Sound, Timeline, fit_length, plan_session
from coach.resources import bundled_dir
from coach.routine import Routine
from coach.speech import SpeechCache


def load_sounds() -> dict[Sound, Clip]:
    """The bundled chimes, one per sound.

    Raises:
        CoachError: a chime is missing or not at the session's sample rate.
    """
    folder = bundled_dir("sounds")
    sounds: dict[Sound, Clip] = {}
    for sound in Sound:
        path = folder / f"{sound.value}.wav"
        if not path.is_file():
            raise CoachError(f"{path}: missing; reinstall coach or run `make sounds`")
        clip = read_wav(path)
        if clip.sample_rate_hz != SAMPLE_RATE_HZ:
            raise CoachError(f"{path}: must be {SAMPLE_RATE_HZ} Hz; run `make sounds`")
        sounds[sound] = clip
    return sounds


@dataclass(frozen=True, slots=True)
class Session:
    """A planned timeline and the audio for each of its events."""

    timeline: Timeline
    speech: SpeechCache
    sounds: Mapping[Sound, Clip]

    def clip(self, event: Event) -> Clip:
        if event.kind is EventKind.SOUND:
            assert event.sound is not None
            return self.sounds[event.sound]
        return self.speech.clip(event.text)


def build_session(
    routine: Routine,
    speech: SpeechCache,
    sounds: Mapping[Sound, Clip],
    *,
    pace: float = 1.0,
    length_s: float | None = None,
) -> Session:
    """Plan the routine with real clip lengths: every text is rendered (or found cached) first."""
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    if length_s is not None:
        timeline = fit_length(routine, length_s, speech.length_s, sound_s)
    else:
        timeline = plan_session(routine, Pacing(pace), speech.length_s, sound_s)
    return Session(timeline, speech, sounds)
