"""Plan: turn a routine and pacing options into a timeline of events, purely and deterministically.

Every timing decision lives here. The planner never speaks, sleeps or reads a
clock: it is told how long each spoken text and each sound lasts, and places them
so that no clip overlaps another and every hold lasts exactly as written ÷ pace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from coach.durations import format_duration
from coach.errors import PlanError
from coach.language.table import phrases_for
from coach.plan.ceiling import MAX_SESSION_S, check_length, too_long
from coach.plan.counting import beats
from coach.plan.packing import GAP_S, Cue, ms, ms_up, pack_cues
from coach.plan.placing import Placing, Where
from coach.routine.model import Exercise, Routine, Side, Step
from coach.timeline.events import (
    EPSILON_S,
    Dropped,
    Event,
    Hold,
    Pacing,
    Priority,
    Rest,
    Segment,
    Sound,
    SpeechLength,
    Switch,
    Timeline,
)

AFTER_SOUND_S = 0.25
"""Silence between a chime and the speech that follows it."""
SETTLE_S = 2.0
"""Least time between the last setup instruction and the start chime: time to get into position."""
TAIL_S = 1.0
"""Silence after the last clip, so the session never ends mid-breath on a player."""
HALFWAY_MIN_HOLD_S = 60.0
TEN_LEFT_MIN_HOLD_S = 30.0


@dataclass(frozen=True, slots=True)
class _Turn:
    """One side of one step of an exercise: what a hold is of."""

    exercise: Exercise
    step: Step
    side: Side | None

    @property
    def step_name(self) -> str | None:
        return self.step.name if self.exercise.has_steps else None

    @property
    def where(self) -> Where:
        return Where(self.exercise.name, self.step_name, self.side)


class _Planner(Placing):
    """Walks a routine into a timeline: its introduction, exercises, sides, holds and rests."""

    def __init__(
        self,
        routine: Routine,
        pacing: Pacing,
        speech_s: SpeechLength,
        sound_s: Mapping[Sound, float],
        extend: Mapping[int, float] | None = None,
    ) -> None:
        super().__init__(speech_s, sound_s)
        self.routine = routine
        self.extend = extend or {}
        """Extra written seconds for some holds, by their index (the `h` key in play)."""
        self.phrases = phrases_for(routine.language)
        self.pace = pacing.pace
        self.holds: list[Hold] = []
        self.dropped: list[Dropped] = []
        self.segments: list[Segment] = []
        self.rests: list[Rest] = []
        self.switches: list[Switch] = []

    # -- the session --

    def plan(self, minutes: int | None) -> Timeline:
        say = self.phrases
        intro = [say.title(self.routine.title)]
        if minutes is not None:
            intro.append(say.session_length(minutes))
        if self.routine.equipment:
            intro.append(say.equipment(self.routine.equipment))
        # a chime first, heard at once while a voice gets ready (and a sink wakes)
        opened = self.sound(0.0, Sound.OPEN)
        cursor = self.say_in_turn(opened + AFTER_SOUND_S, intro) + GAP_S
        first = True
        for section in self.routine.sections:
            rounds = section.repeat.rounds
            for number in range(1, rounds + 1):
                prefix: list[str] = []
                if section.repeat.repeated:
                    if number > 1 and section.repeat.rest_s > 0:
                        # the next exercise's lead-in follows: the rest ends on the round
                        cursor = self.rest(
                            cursor,
                            section.repeat.rest_s,
                            Where(),
                            [say.round(number, rounds)],
                            number,
                            go=False,
                        )
                    else:
                        prefix = [say.round(number, rounds)]
                for index, exercise in enumerate(section.exercises):
                    outer = number if section.repeat.repeated else None
                    end = self.exercise(
                        cursor,
                        exercise,
                        first=first,
                        prefix=prefix if index == 0 else [],
                        outer=outer,
                    )
                    self.segments.append(Segment(exercise.name, ms(cursor), end))
                    cursor, first = end, False
        end = self.sound(cursor, Sound.FINISH)
        end = self.say(end + AFTER_SOUND_S, say.ending)
        return Timeline(
            routine=self.routine.name,
            language=self.routine.language,
            title=self.routine.title,
            pace=self.pace,
            total_s=ms(end + TAIL_S),
            holds=tuple(self.holds),
            events=tuple(sorted(self.events, key=lambda e: e.at_s)),
            dropped=tuple(self.dropped),
            segments=tuple(self.segments),
            rests=tuple(self.rests),
            switches=tuple(self.switches),
            minutes=minutes,
        )

    def exercise(
        self,
        start_s: float,
        exercise: Exercise,
        *,
        first: bool,
        prefix: list[str] | None = None,
        outer: int | None = None,
    ) -> float:
        """Lead-in (next up, setup), then every round of every side's holds; returns its end.

        ``prefix`` is said first (a section's round); ``outer`` is the section's
        round, for holds that no repeat of their own numbers.
        """
        sides: tuple[Side | None, ...] = exercise.sides or (None,)
        first_step = exercise.steps[0].name if exercise.has_steps else None
        where = Where(exercise.name, first_step, sides[0])
        say = self.phrases
        rounds = exercise.repeat.rounds
        lead = [
            *(prefix or []),
            say.first(exercise.name, sides[0]) if first else say.next_up(exercise.name, sides[0]),
        ]
        if exercise.repeat.repeated:
            lead.append(say.round(1, rounds))
        if exercise.has_steps:
            if exercise.setup:
                lead.append(exercise.setup)
            lead.append(self.step_opening(exercise.steps[0], say.start_with))
        else:
            lead.append(exercise.setup)
        spoken_end = self.say_in_turn(start_s, lead, where)
        earliest = start_s + exercise.transition_s / self.pace
        cursor = self.settled(earliest, spoken_end, exercise, exercise.steps[0], where)
        # back to the first side (and step) for each new round
        again: list[str] = [say.switch(sides[0])] if len(sides) > 1 and sides[0] else []
        if exercise.has_steps:
            again.append(self.step_opening(exercise.steps[0], say.start_with))
        for number in range(1, rounds + 1):
            round_opening: list[str] = []
            if number > 1:
                announce = [say.round(number, rounds)]
                if exercise.repeat.rest_s > 0:
                    cursor = self.rest(cursor, exercise.repeat.rest_s, where, announce, number)
                    round_opening = list(again)
                else:
                    round_opening = announce + again
            in_round = number if exercise.repeat.repeated else outer
            for side_index, side in enumerate(sides):
                for step_index, step in enumerate(exercise.steps):
                    if step_index == 0 and side_index == 0:
                        opening, sound = round_opening, Sound.START
                    elif step_index == 0:
                        assert side is not None
                        cursor = self.switch(cursor, _Turn(exercise, step, side))
                        opening, sound = [], Sound.START
                    else:
                        opening, sound = [self.step_opening(step, say.now)], Sound.START
                    turn = _Turn(exercise, step, side)
                    cursor = self.step_rounds(cursor, turn, sound, opening, in_round)
        return cursor

    @staticmethod
    def step_opening(step: Step, named: Callable[[str], str]) -> str:
        """What moves a person to a step: its setup, as a coach says it ("Now move the ball
        just above your kneecap"), or, with none written, its name in a sentence."""
        return step.setup or named(step.name)

    def settled(
        self, earliest_s: float, spoken_end: float, exercise: Exercise, step: Step, where: Where
    ) -> float:
        """When a hold starts after getting into position: at ``earliest_s``, and never before
        time to settle after the last words; with a count-in, counted into it one a second
        ("Three. Two. One.") after that time. A counted or until-ready hold has none: it has
        no clock to count into."""
        counts = exercise.count_in if not (step.reps or step.until_ready) else 0
        texts = [self.phrases.count(k) for k in range(counts, 0, -1)]
        self.floor_s = spoken_end
        beat = max([1.0, *(self.length(t) + GAP_S for t in texts)])
        start = ms_up(max(earliest_s, spoken_end + SETTLE_S + counts * beat))
        for k, text in enumerate(texts):
            self.say(start - (counts - k) * beat, text, where)
        return start

    def switch(self, start_s: float, turn: _Turn) -> float:
        """The change to the next side: its chime, what to do, time to settle; returns when
        that side's hold starts (its full length follows, as the first side's did)."""
        exercise, step, side = turn.exercise, turn.step, turn.side
        assert side is not None
        say = self.phrases
        opening = [exercise.switch or say.switch(side)]
        if exercise.has_steps:
            opening.append(self.step_opening(step, say.start_with))
        spoken_end = self.sound(start_s, Sound.SWITCH, turn.where)
        spoken_end = self.say_in_turn(spoken_end + AFTER_SOUND_S, opening, turn.where)
        earliest = start_s + exercise.switch_s / self.pace
        end_s = self.settled(earliest, spoken_end, exercise, step, turn.where)
        self.switches.append(Switch(exercise.name, side, ms(start_s), end_s))
        return end_s

    def step_rounds(
        self, start_s: float, turn: _Turn, sound: Sound, opening: list[str], outer: int | None
    ) -> float:
        """A step's holds: once, or in rounds with rests between them."""
        repeat = turn.step.repeat
        if not repeat.repeated:
            return self.hold(start_s, turn, sound, opening, outer)
        say = self.phrases
        cursor = self.hold(start_s, turn, sound, [*opening, say.round(1, repeat.rounds)], 1)
        for number in range(2, repeat.rounds + 1):
            announce = [say.round(number, repeat.rounds)]
            if repeat.rest_s > 0:
                cursor = self.rest(cursor, repeat.rest_s, turn.where, announce, number)
                announce = []
            cursor = self.hold(cursor, turn, Sound.START, announce, number)
        return cursor

    def rest(
        self,
        start_s: float,
        rest_s: float,
        where: Where,
        closing: list[str],
        number: int,
        *,
        go: bool = True,
    ) -> float:
        """A rest: its sound and "Rest." at the start; ``closing`` and "Go." just before its end."""
        say = self.phrases
        end_s = ms(start_s + rest_s / self.pace)
        spoken_end = self.sound(start_s, Sound.REST, where)
        spoken_end = self.say(spoken_end + AFTER_SOUND_S, say.rest, where)
        texts = [*closing, say.go] if go else closing
        self.floor_s = spoken_end
        length = sum(self.length(t) for t in texts) + GAP_S * (len(texts) - 1)
        at_s = ms(end_s - GAP_S - length)
        if at_s < spoken_end + GAP_S - EPSILON_S:
            name = where.exercise or "the section"
            raise PlanError(
                f'the rest before round {number} of "{name}" lasts '
                f"{format_duration(end_s - start_s)} at pace {self.pace:g}, too short for what "
                f"is said in it ({spoken_end + GAP_S + length - start_s:.1f}s); use a longer "
                "'rest' or a slower pace"
            )
        self.say_in_turn(at_s, texts, where)
        self.rests.append(Rest(where.exercise, ms(start_s), end_s, number))
        return end_s

    def hold(
        self,
        start_s: float,
        turn: _Turn,
        sound: Sound,
        opening: list[str],
        number: int | None = None,
    ) -> float:
        """One hold: its chime and opening, then its cues, counts or countdown; returns its end."""
        exercise, step, side = turn.exercise, turn.step, turn.side
        step_name, where = turn.step_name, turn.where
        spoken_end = self.sound(start_s, sound, where)
        if opening:
            spoken_end = self.say_in_turn(spoken_end + AFTER_SOUND_S, opening, where)
        if step.reps:
            # counted reps: the hold is the counting, from the first beat to the last one's end
            first_s, end_s = self.counts(spoken_end, exercise, step, where)
            self.holds.append(
                Hold(exercise.name, step_name, side, first_s, end_s, number, reps=step.reps)
            )
            return end_s
        # a hold until ready lasts its ready time in a file, whatever the pace
        written_s = step.hold_s + self.extend.get(len(self.holds), 0.0)
        end_s = ms(start_s + (written_s if step.until_ready else written_s / self.pace))
        self.holds.append(
            Hold(exercise.name, step_name, side, start_s, end_s, number, step.until_ready)
        )
        last_allowed = end_s - GAP_S
        if spoken_end > last_allowed:
            name = exercise.name + (f" ({step.name})" if step_name else "")
            raise PlanError(
                f'"{name}" lasts {format_duration(end_s - start_s)} at pace {self.pace:g}, too '
                f"short for its instructions ({spoken_end - start_s:.1f}s); use a slower pace "
                "or a longer --length"
            )
        if exercise.countdown and not step.until_ready:
            ticks = [
                ms(end_s - k)
                for k in range(exercise.countdown, 0, -1)
                if end_s - k >= spoken_end + GAP_S
            ]
            for at_s in ticks:
                self.sound(at_s, Sound.TICK, where)
            if ticks:
                last_allowed = min(last_allowed, ticks[0] - GAP_S)
        hold_s = end_s - start_s
        # a cue's time scales with its hold: a hold until ready keeps its length at any pace
        scale = 1.0 if step.until_ready else self.pace
        cues = [
            Cue(c.say, None if c.at_s is None else start_s + c.at_s / scale, Priority.NORMAL)
            for c in step.cues
        ]
        timed: list[Cue] = []
        if not step.until_ready and hold_s >= HALFWAY_MIN_HOLD_S:
            timed.append(Cue(self.phrases.halfway, start_s + hold_s / 2, Priority.LOW))
        if not step.until_ready and hold_s >= TEN_LEFT_MIN_HOLD_S:
            timed.append(Cue(self.phrases.ten_seconds_left, end_s - 10.0, Priority.LOW))
        self.place_cues(spoken_end, last_allowed, cues, timed, where)
        return end_s

    def counts(
        self, spoken_end: float, exercise: Exercise, step: Step, where: Where
    ) -> tuple[float, float]:
        """Count each rep on its beat; returns the first beat and the last beat's end."""
        self.floor_s = spoken_end
        beat = beats(step, exercise, self.pace, self.phrases, self.length, self.sound_s)
        first_s = ms_up(spoken_end + GAP_S)
        for k in range(step.reps):
            at_s = ms(first_s + k * beat.beat_s)
            if beat.texts:
                self.say(at_s, beat.texts[k], where)
            else:
                self.sound(at_s, Sound.TICK, where)
        return first_s, ms(first_s + step.reps * beat.beat_s)

    def place_cues(
        self, from_s: float, until_s: float, cues: list[Cue], timed: list[Cue], where: Where
    ) -> None:
        self.floor_s = from_s
        placed, lost = pack_cues(from_s, until_s, cues, timed, self.length)
        for at, cue in placed:
            self.say(at, cue.text, where, cue.priority)
        for cue in lost:
            self.dropped.append(Dropped(cue.text, str(where.exercise), where.side, cue.priority))


def plan_session(
    routine: Routine,
    pacing: Pacing,
    speech_s: SpeechLength,
    sound_s: Mapping[Sound, float],
    *,
    minutes: int | None = None,
    extend: Mapping[int, float] | None = None,
    asked: list[tuple[str, float]] | None = None,
) -> Timeline:
    """The whole session as a timeline.

    ``minutes`` fixes what the introduction says the session takes (re-planning a
    session under way keeps the introduction it had); ``extend`` adds written
    seconds to holds by index (a hold made longer during play). ``asked`` hears every
    length the plan asked, in order, each with its floor: no event that depends on that
    length starts before it (``settled_until``).

    Raises:
        PlanError: a hold is too short for its instructions at this pace, or the
            session would be longer than ``MAX_SESSION_S``.
    """
    check_length(routine, pacing)
    if minutes is None:
        # The intro says how long the session takes, which depends on the intro: two passes.
        draft = _Planner(routine, pacing, speech_s, sound_s, extend).plan(minutes=None)
        minutes = spoken_minutes(draft)
    planner = _Planner(routine, pacing, speech_s, sound_s, extend)
    timeline = planner.plan(minutes=minutes)
    if asked is not None:
        asked.extend(planner.asks)
    if timeline.total_s > MAX_SESSION_S:
        raise too_long(routine, pacing, timeline.total_s)
    check_timeline(timeline)
    return timeline


def check_timeline(timeline: Timeline) -> None:
    """The invariants every sink relies on: clips in order, none overlapping another."""
    previous: Event | None = None
    for event in timeline.events:
        if previous is not None and event.at_s < previous.end_s:
            raise AssertionError(f"planner bug: {event} overlaps {previous}")
        previous = event
    if previous is not None and previous.end_s > timeline.total_s:
        raise AssertionError("planner bug: a clip runs past the end of the session")


def spoken_minutes(timeline: Timeline) -> int:
    """What a timeline's introduction says the session takes (its planned length, rounded)."""
    return max(1, round(timeline.total_s / 60))
