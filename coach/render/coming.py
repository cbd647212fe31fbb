"""A live session started on its first clips: the rest of its speech rendered in the order it
is said, while it plays.

Planning a session needs the length of everything it says, and a neural voice takes
seconds to render it all; waiting for it before the second cue made every cold start
late. The plan is settled from its start, though (``plan.planner.settled_until``):
with the lengths of its first texts known and estimates for the rest, everything before
a point is already the real plan. So the session starts on its first clips, and these
render the rest in the order the plan asks for them, in worker processes at a lower
priority than playback; as they come, the plan is made again and the player takes the
session settled further (``Player.settle``). Once everything is rendered the session is
the one `export` writes, clip for clip and to the millisecond.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence

from coach.audio import Clip
from coach.errors import PlanError
from coach.plan.placing import settled_until
from coach.plan.planner import plan_session
from coach.render.behind import Behind
from coach.render.build import estimated_speech_s
from coach.render.session import Session
from coach.routine.model import Routine
from coach.speech.cache import SpeechCache
from coach.timeline.events import Pacing, Sound, Timeline

NICE = 5
"""How much lower than playback's the rendering's priority is (its workers inherit it);
above ``render.later``'s, whose texts are only needed for a change of pace."""
REPLAN_EVERY_S = 0.2
"""At most this often, the session is planned again with what has come (a plan costs
milliseconds of this process's time)."""


def plan_partly(
    routine: Routine,
    pace: float,
    minutes: int | None,
    known: Mapping[str, Clip],
    sound_s: Mapping[Sound, float],
    rate_wpm: int,
) -> tuple[Timeline, float, tuple[str, ...]]:
    """The session planned with the ``known`` clips' lengths and estimates for the rest:
    the timeline, how far it is the real plan, and what it still needs, in the order the
    plan asks for it.

    Raises:
        PlanError: it cannot be planned so (with every length known: the session cannot).
    """
    asked: list[tuple[str, float]] = []

    def speech_s(text: str) -> float:
        clip = known.get(text)
        return clip.duration_s if clip is not None else estimated_speech_s(text, rate_wpm)

    timeline = plan_session(routine, Pacing(pace), speech_s, sound_s, minutes=minutes, asked=asked)
    unknown = tuple(dict.fromkeys(text for text, _ in asked if text not in known))
    return timeline, settled_until(asked, known), unknown


ROOM = 1.5
"""A session starts on its first clips only if it still fits with speech this many times as
long as estimated: then real speech cannot make it refuse once it has started."""


def roomy(
    routine: Routine,
    pace: float,
    minutes: int | None,
    sounds: Mapping[Sound, Clip],
    rate_wpm: int,
) -> bool:
    """Whether the session fits with speech half as long again as estimated."""
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    try:
        plan_session(
            routine,
            Pacing(pace),
            lambda text: estimated_speech_s(text, rate_wpm) * ROOM,
            sound_s,
            minutes=minutes,
        )
    except PlanError:
        return False
    return True


def start_partly(
    routine: Routine,
    speech: SpeechCache,
    sounds: Mapping[Sound, Clip],
    *,
    pace: float,
    minutes: int | None,
    order: Sequence[str],
    extra: Sequence[str],
    ways: tuple[str, ...] = (),
    until: Callable[[], bool] = lambda: False,
) -> Session:
    """The session as far as ``speech`` renders it here before ``until`` says stop: its
    texts in ``order`` first (one by one, in this process, whose engine is warm), then
    ``extra`` (the live phrases). What is cached already is taken whatever the time.

    The result holds every clip of ``extra`` and every clip its settled part says
    (``settled_s`` can be as early as the end of the title, on a slow machine).

    Raises:
        PlanError: the session cannot be planned with the lengths known.
        SpeechError: a text could not be rendered.
    """
    for text in (*extra, *order):
        if text in extra or speech.has(text) or not until():
            speech.clip(text)
    known = {t: clip for t in (*order, *extra) if (clip := speech.cached(t)) is not None}
    sound_s = {sound: clip.duration_s for sound, clip in sounds.items()}
    timeline, settled_s, _ = plan_partly(
        routine, pace, minutes, known, sound_s, speech.settings.rate_wpm
    )
    return Session(timeline, known, sounds, routine, ways, settled_s)


class ComingSpeech(Behind):
    """Renders the rest of a session started partly settled (``start_partly``), in a thread
    of its own; ``take`` hands over each more settled session, the last one whole (``error``:
    why it could not be made whole; the player stops on it)."""

    def __init__(
        self,
        speech: SpeechCache,
        session: Session,
        pace: float,
        minutes: int | None,
        then: Callable[[], object] = lambda: None,
    ) -> None:
        super().__init__("coach-coming-speech", NICE)
        assert session.routine is not None
        self.speech = speech
        self.routine = session.routine
        self.sounds = session.sounds
        self.ways = session.ways
        self.pace = pace
        self.minutes = minutes
        self.known = dict(session.speech)
        self.then = then
        """Started once the session is whole (``render.later``: what a change may say)."""
        self.lock = threading.Lock()
        self.newer: Session | None = None
        self.latest = session
        """The most settled session made (the whole one once it is done): what was played."""
        self.settled_s = session.settled_s
        self.sound_s = {sound: clip.duration_s for sound, clip in self.sounds.items()}
        self.replanned_at = 0.0

    def start(self) -> ComingSpeech:
        self.thread.start()
        return self

    def take(self) -> Session | None:
        """A session settled further than the last one taken, if one has come.

        Raises:
            CoachError: the rest of the session could not be rendered or planned.
        """
        with self.lock:
            newer, self.newer = self.newer, None
        if newer is None and self.error is not None:
            raise self.error
        return newer

    def _replan(self, *, force: bool = False) -> tuple[str, ...]:
        """Plan again with what has come; hand it over if it is settled further. Returns what
        the plan still needs."""
        now = time.monotonic()
        if not force and now - self.replanned_at < REPLAN_EVERY_S:
            return ()
        self.replanned_at = now
        try:
            timeline, settled_s, unknown = plan_partly(
                self.routine, self.pace, self.minutes, self.known, self.sound_s, self.rate
            )
        except PlanError:
            if force:
                raise  # with what was asked rendered: the session itself does not fit
            return ()  # the estimates for the rest do not fit: wait for the real lengths
        if settled_s > self.settled_s:
            self.settled_s = settled_s
            session = Session(timeline, self.known, self.sounds, self.routine, self.ways, settled_s)
            with self.lock:
                self.newer = self.latest = session
        return unknown

    @property
    def rate(self) -> int:
        return self.speech.settings.rate_wpm

    def _watching(self, texts: Sequence[str]) -> Callable[[float], None]:
        return lambda fraction: self._came(texts)

    def _came(self, texts: Sequence[str]) -> None:
        """Count in what the workers have written, in order, and plan again if it grew."""
        self.check()
        grew = False
        for text in texts:
            if text in self.known:
                continue
            clip = self.speech.cached(text)
            if clip is None:
                break  # in the order said: what follows a gap settles nothing yet
            self.known[text] = clip
            grew = True
        if grew:
            self._replan()

    def work(self) -> None:
        todo = self._replan(force=True)
        while todo and self.settled_s != float("inf"):
            wanted = todo
            self.speech.render_all(wanted, self._watching(wanted), apart=True, ordered=True)
            self._came(wanted)
            for text in wanted:  # what the workers did not leave (a read-only cache)
                if text not in self.known:
                    self.known[text] = self.speech.clip(text)
            todo = self._replan(force=True)
        self.check()
        self.then()  # before ``pending`` ends: the player then finds it started
