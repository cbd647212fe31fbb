"""Render: the clips a timeline plays, with speech lengths fed back to the planner."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from coach.audio import SAMPLE_RATE_HZ, Clip, read_wav
from coach.errors import CoachError, PlanError, SessionTooLongError
from coach.language.table import phrases_for
from coach.plan.ceiling import MAX_SESSION_S
from coach.plan.fitting import fit_length
from coach.plan.planner import plan_session, spoken_minutes
from coach.render.session import Session
from coach.resources import bundled_dir
from coach.routine.model import Routine
from coach.speech.cache import DEFAULT_RATE_WPM, SpeechCache
from coach.speech.workers import worker_count
from coach.timeline.events import MIN_PACE, Pacing, Sound, SpeechLength, Timeline


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


def build_session(
    routine: Routine,
    speech: SpeechCache,
    sounds: Mapping[Sound, Clip],
    *,
    pace: float = 1.0,
    length_s: float | None = None,
    progress: Callable[[float], None] = lambda fraction: None,
    live: bool = False,
    draft: Draft | None = None,
    ways: tuple[str, ...] = (),
    defer: bool = False,
) -> Session:
    """Plan the routine with real clip lengths: every text is rendered (or found cached) first.

    The planner asks for the length of each text it may say. A draft, planned on
    estimated lengths, collects those texts so that the ones not cached can be
    rendered together (in parallel); the real plan then finds nearly all of them
    ready, and renders any stragglers (such as a different "about N minutes") itself.
    The session holds every clip a sink may play, the live phrases included.
    ``progress`` hears the share of the texts rendered so far, when any are.
    ``draft``: the one ``draft_session`` made for these same options, if there is one
    (play makes it first, to start on the title), so the routine is not drafted twice.
    ``ways``: how a live session goes on after a pause (its sources' ways), as it says.
    ``defer``: a live session leaves out what only a change of pace says (``Draft.later``)
    where it is not cached yet, so it starts sooner; ``render.later`` renders it while
    the session plays.
    """
    if draft is None or draft.live != live:
        draft = draft_session(routine, speech, sounds, pace=pace, length_s=length_s, live=live)
    speech.render_all(list(draft.texts if defer else (*draft.texts, *draft.later)), progress)
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    rate = speech.settings.rate_wpm
    plan = session_plan(routine, sound_s, pace, length_s, rate_wpm=rate, minutes=draft.minutes)
    timeline = plan(speech.length_s)
    phrases = phrases_for(routine.language)
    later = [text for text in draft.later if not defer or speech.has(text)]
    wanted = (*timeline.texts(), *phrases.live(ways), *((*draft.texts, *later) if live else ()))
    clips = {text: speech.clip(text) for text in wanted}
    return Session(timeline, clips, sounds, routine if live else None, ways)


def with_ways(session: Session, ways: tuple[str, ...], speech: SpeechCache) -> Session:
    """The same session, saying how to go on by ``ways`` (its phrases rendered now, before
    it plays): the sources a live session opened may differ from those it was built for."""
    if ways == session.ways:
        return session
    texts = session.timeline.phrases.live(ways)
    clips = {**session.speech, **{text: speech.clip(text) for text in texts}}
    return dataclasses.replace(session, speech=clips, ways=ways)


RENDER_S_PER_TEXT = 0.02
"""A cautious time to render one text on one core (eSpeak NG takes about 6 ms, pyttsx3 25)."""
PREPARE_S = 0.3
"""A cautious time to plan a session and gather its clips, besides rendering them."""


def opening_text(routine: Routine) -> str:
    """What every session says first, at any pace and with any voice: its title."""
    return phrases_for(routine.language).title(routine.title)


@dataclass(frozen=True, slots=True)
class Draft:
    """A session planned on estimated speech: what it will about be, before any rendering."""

    timeline: Timeline | None
    """None where it may not plan on estimates (the real plan says why, with real lengths)."""
    texts: tuple[str, ...]
    """Every text the real session may ask for at its pace (and, live, every confirmation of
    a change): to render together, before it is planned."""
    ready_s: float
    """A cautious bound on how long ``build_session`` takes, from what is not yet cached
    in ``texts`` (``later`` is not waited for)."""
    live: bool
    """It holds what a change of pace under way may say."""
    later: tuple[str, ...] = ()
    """Live: what only a change of pace may come to say (the cues of other paces, every
    "N minutes left"), not in ``texts``: it can be rendered once the session plays."""
    order: tuple[str, ...] = ()
    """What the session says, in the order the plan asks its lengths: rendered in this
    order, the plan is settled from its start (``render.coming``)."""
    minutes: int | None = None
    """What the introduction says the session takes (``stated_minutes``)."""


def draft_session(
    routine: Routine,
    speech: SpeechCache,
    sounds: Mapping[Sound, Clip],
    *,
    pace: float = 1.0,
    length_s: float | None = None,
    live: bool = False,
) -> Draft:
    """The session planned once on estimated speech: what it says, and how soon the real
    one is ready.

    Raises:
        SessionTooLongError: the session is over the ceiling, whatever its speech.
    """
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    rate = speech.settings.rate_wpm
    minutes = stated_minutes(routine, sound_s, pace, rate) if length_s is None else None
    plan = session_plan(routine, sound_s, pace, length_s, rate_wpm=rate, minutes=minutes)
    texts, timeline = speakable(plan, rate, neighbours=length_s is not None)
    order = tuple(dict.fromkeys(texts))
    phrases = phrases_for(routine.language)
    texts += phrases.live()  # the sources' ways are not known yet
    if live:
        texts += phrases.changes  # `h` confirms at the session's own pace
    wanted = tuple(dict.fromkeys(texts))
    later: tuple[str, ...] = ()
    if live:
        later = tuple(
            text
            for text in dict.fromkeys(changeable_texts(routine, sound_s, rate))
            if text not in wanted
        )
    missing = sum(1 for text in wanted if not speech.has(text))
    cores = worker_count(missing) if speech.kind.parallel else 1
    ready_s = PREPARE_S + missing * RENDER_S_PER_TEXT / cores
    return Draft(timeline, wanted, ready_s, live, later, order, minutes)


def session_plan(
    routine: Routine,
    sound_s: Mapping[Sound, float],
    pace: float = 1.0,
    length_s: float | None = None,
    *,
    rate_wpm: int = DEFAULT_RATE_WPM,
    minutes: int | None = None,
) -> Callable[[SpeechLength], Timeline]:
    """The routine's plan at ``pace`` (or fitted to ``length_s``), given speech lengths.

    At a pace, the introduction says the length of the session planned on estimated
    speech (``stated_minutes``), so that the plan is settled from its start as its
    speech renders (``plan.planner.settled_until``): a live session starts on its
    first clips. A fitted session says the length asked for, give or take its speech.
    ``minutes``: the stated minutes, where they are known already (a draft's).
    """
    if minutes is None and length_s is None:
        minutes = stated_minutes(routine, sound_s, pace, rate_wpm)

    def plan(speech_s: SpeechLength) -> Timeline:
        if length_s is not None:
            return fit_length(routine, length_s, speech_s, sound_s)
        return plan_session(routine, Pacing(pace), speech_s, sound_s, minutes=minutes)

    return plan


def stated_minutes(
    routine: Routine, sound_s: Mapping[Sound, float], pace: float, rate_wpm: int
) -> int | None:
    """What the introduction says a session at ``pace`` takes: its length planned on
    estimated speech, to the minute (None: it cannot be planned on estimates; the real
    lengths then decide).

    Known before any speech renders. Holds, rests and transitions are most of a session,
    so real speech moves it by seconds: 0.1 to 0.2 minutes for every bundled routine, with
    eSpeak NG and with a Piper voice (measured at 175 wpm), and "about" holds.
    """
    try:
        draft = plan_session(
            routine, Pacing(pace), lambda text: estimated_speech_s(text, rate_wpm), sound_s
        )
    except PlanError:
        return None
    return spoken_minutes(draft)


SHORTEST_SPEECH_S = 0.01
"""No clip is shorter than this: speech this short plans the shortest session possible."""


def check_ceiling(plan: Callable[[SpeechLength], Timeline]) -> None:
    """Refuse, before any speech is rendered, a session too long even if speech took no time.

    Everything but speech is counted: holds, rests, transitions, counts, lead-ins
    and sounds. Speech only ever adds time, so a session over the ceiling here is
    over it with any voice; one near it is checked again with the real lengths.

    Raises:
        SessionTooLongError: the session would be longer than ``MAX_SESSION_S``.
    """
    try:
        plan(lambda text: SHORTEST_SPEECH_S)
    except SessionTooLongError as err:
        raise err.lower_bound() from None
    except PlanError:
        pass  # whether a hold is too short for its words is asked with the real lengths


def session_texts(routine: Routine, sounds: Mapping[Sound, Clip], rate_wpm: int) -> list[str]:
    """What ``build_session`` renders for ``routine`` at pace 1, to render many routines' at
    once; nothing for a session over the ceiling (it is refused without speech)."""
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    plan = session_plan(routine, sound_s, rate_wpm=rate_wpm)
    try:
        texts = speakable(plan, rate_wpm, neighbours=False)[0]
    except SessionTooLongError:
        return []
    return [*texts, *phrases_for(routine.language).live()]


def changeable_texts(routine: Routine, sound_s: Mapping[Sound, float], rate_wpm: int) -> list[str]:
    """What a live session may come to say when its pace changes under way.

    The slowest pace drops no cue that a faster one keeps; the confirmations and
    every "N minutes left" up to the slowest plan's length come with them.
    """
    phrases = phrases_for(routine.language)
    texts, slowest = estimated_plan(
        lambda speech_s: plan_session(routine, Pacing(MIN_PACE), speech_s, sound_s), rate_wpm
    )
    longest_s = slowest.total_s if slowest is not None else MAX_SESSION_S
    minutes = math.ceil(longest_s / 60) + 1
    return [*texts, *phrases.changes, *(phrases.minutes_left(n) for n in range(1, minutes + 1))]


def texts_to_speak(plan: Callable[[SpeechLength], Timeline], rate_wpm: int) -> list[str]:
    """Every text ``plan`` asks the length of, when speech takes about the usual time."""
    return speakable(plan, rate_wpm)[0]


def speakable(
    plan: Callable[[SpeechLength], Timeline], rate_wpm: int, *, neighbours: bool = True
) -> tuple[list[str], Timeline | None]:
    """``texts_to_speak``, and the timeline planned on estimated speech (None: it may not plan).

    ``neighbours``: the plan's introduction says the length its real speech gives (a
    fitted one), which can round to the minute either side of the estimate, so "about N
    minutes" comes with both neighbours (a plan at a pace says the estimate's).
    """
    texts, timeline = estimated_plan(plan, rate_wpm)
    if timeline is None:
        # over the ceiling, or a hold too short for its words: the ceiling is said now,
        # before anything renders (a planned estimate is under it already)
        check_ceiling(plan)
    if timeline is not None and neighbours:
        minutes = spoken_minutes(timeline)
        texts += [timeline.phrases.session_length(n) for n in (minutes - 1, minutes + 1) if n]
    return texts, timeline


def estimated_plan(
    plan: Callable[[SpeechLength], Timeline], rate_wpm: int
) -> tuple[list[str], Timeline | None]:
    """``plan`` run on estimated speech lengths: every text it asked about, and the timeline
    (None when it could not be planned; the real plan reports why, with real lengths)."""
    asked: dict[str, None] = {}

    def estimate_s(text: str) -> float:
        asked[text] = None
        return estimated_speech_s(text, rate_wpm)

    timeline = None
    with contextlib.suppress(PlanError):
        timeline = plan(estimate_s)
    return list(asked), timeline


END_PAUSE_S = 0.35


def estimated_speech_s(text: str, rate_wpm: int) -> float:
    """About how long eSpeak NG takes to say ``text`` at ``rate_wpm`` words a minute."""
    words = len(text.split())
    return END_PAUSE_S + words * 60 / rate_wpm
