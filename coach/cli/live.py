"""The live session as `coach play` runs it: the title at once, the command sources, the log,
the history, and a file instead where there is no audio output."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import platformdirs

from coach.audio import Clip
from coach.cli.group import EXIT_INTERRUPTED, EXIT_TERMINATED
from coach.cli.options import (
    SessionOptions,
    prepare,
    routine_file,
    session_speech,
    spoken_credit,
)
from coach.control.sources import Merged, SourceContext, SourceKind, open_sources
from coach.errors import (
    AudioDeviceError,
    CoachError,
    OutputError,
    PlanError,
    TargetError,
    Terminated,
)
from coach.export.writer import check_target, export_session
from coach.files import check_distinct, open_log
from coach.history import Entry, append_entry
from coach.language.table import phrases_for
from coach.play.clock import MonotonicClock
from coach.play.display import LineDisplay, TerminalDisplay
from coach.play.done import parts_of
from coach.play.log import change_json, fired_json
from coach.play.output import LoggedOutput, Opening, Output, started_s
from coach.play.player import play_session
from coach.play.speaking import SpeakingLog
from coach.play.transport import Clock, Display, Displays, PlayResult, StopReason
from coach.render.build import Draft, draft_session, load_sounds, opening_text, with_ways
from coach.render.coming import ComingSpeech, roomy, start_partly
from coach.render.later import LaterSpeech
from coach.render.session import Session
from coach.routine.model import Routine
from coach.speech.cache import SpeechCache
from coach.timeline.events import Sound, Timeline
from coach.timeline.schedule import minutes_seconds, stopped_where


def check_live_outputs(
    routine: str, fallback: Path | None, log_path: Path | None, *, force: bool = False
) -> None:
    """Refuse before any work: the same path twice, a fallback that cannot be written, a log
    with no folder or one that would replace a file without --force (an existing fallback
    file is said only when it is needed; a FIFO or terminal log is streamed to)."""
    check_distinct({"ROUTINE": routine_file(routine), "--fallback": fallback, "--log": log_path})
    if fallback is not None and fallback.is_dir():
        raise TargetError(f"{fallback}: is a folder; give a file name like session.wav")
    if fallback is not None:
        # format and folder now, an existing file below; play has no --format to offer
        check_target(fallback, force=True, by_option=False)
    if log_path is not None and not log_path.parent.is_dir():
        raise TargetError(f"{log_path}: cannot write the log: no such folder {log_path.parent}")
    if log_path is not None and not force and log_path.is_file() and log_path.stat().st_size:
        raise TargetError(
            f"{log_path}: already exists; use --force to replace it, or give another --log"
        )


def export_instead(
    err: CoachError, routine: Routine, options: SessionOptions, fallback: Path | None, force: bool
) -> None:
    """No audio output: the session written to ``fallback``, or the reason with what to do.

    Raises:
        CoachError: there is no fallback file to write instead.
    """
    if fallback is None:
        raise type(err)(
            f"{err}; add --fallback FILE.wav to write the session to a file instead, "
            "or use `coach export`"
        ) from err
    click.echo(f"coach: {err}", err=True)
    check_target(fallback, force=force)
    speech = session_speech(routine, options.rate, options.voice, options.engine)
    session = prepare(routine, *options.as_args(), speech=speech)
    result = export_session(session, fallback, force=force, credit=spoken_credit(speech))
    click.echo(
        f"coach: wrote the session to {result.path} instead "
        f"({minutes_seconds(result.duration_s)}); play it on any device",
        err=True,
    )


OPENING_MARGIN_S = 0.25
"""This process stops rendering this long before the title ends, to plan and go on."""


@dataclass
class LiveRun:
    """One session on the speakers: its title heard while the rest renders, then every clip
    on time, driven by the command sources, logged as it goes."""

    routine: Routine
    options: SessionOptions
    output: Output
    sources: Sequence[SourceKind]
    settings: Mapping[str, Any]
    log_path: Path | None
    quiet: bool
    started: str = field(
        default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds")
    )

    def play(self) -> tuple[PlayResult, Timeline]:
        """The session played; what happened, and the timeline it was planned as."""
        speaking = SpeakingLog()
        output = LoggedOutput(self.output, speaking)  # a microphone must not obey coach itself
        clock = MonotonicClock()
        o = self.options
        speech = session_speech(self.routine, o.rate, o.voice, o.engine)
        with contextlib.ExitStack() as stack:
            draft = self._draft(speech)
            opening = None
            commands = None
            partly = self._partly(draft, speech)
            if draft.timeline is not None:
                opening = open_early(
                    self.routine, speech, output, clock, draft, self.sounds, always=partly
                )
            try:
                if opening is not None:
                    assert draft.timeline is not None
                    opening = say_title(opening, speech, output, clock)
                    # opened as the title starts: heard while the rest renders
                    commands = stack.enter_context(self._open(draft.timeline, speaking))
                ways = commands.ways if commands is not None else ()
                session = None
                if partly and opening is not None:
                    session = self._start_partly(speech, draft, ways, opening, clock)
                if session is None:
                    session = prepare(
                        self.routine, *o.as_args(), live=True, speech=speech, draft=draft, ways=ways
                    )
            except (KeyboardInterrupt, Terminated) as stop:
                if opening is None or draft.timeline is None:
                    raise
                # stopped while the chime rang or the title played: a session all the same,
                # said and recorded
                opening.playing.stop()
                position_s = min(max(clock.now() - opening.started_s, 0.0), draft.timeline.total_s)
                reason = (
                    StopReason.INTERRUPT
                    if isinstance(stop, KeyboardInterrupt)
                    else StopReason.TERMINATED
                )
                return PlayResult((), position_s, reason), draft.timeline
            except BaseException:
                if opening is not None:
                    opening.playing.stop()
                raise
            timeline = session.timeline
            rest = [t for t in (*draft.texts, *draft.later) if t not in session.speech]
            later = LaterSpeech(speech, rest)
            stack.callback(later.close)
            coming = None
            if not session.settled:  # the rest of it first, then what a change may say
                coming = ComingSpeech(speech, session, o.pace or 1.0, draft.minutes, later.start)
                stack.callback(coming.close)
            if commands is None:
                commands = stack.enter_context(self._open(timeline, speaking))
                session = with_ways(session, commands.ways, speech)
            for observer in commands.observers:
                observer.replanned(timeline)  # the session as planned with its real speech
            log = open_log(self.log_path)
            if log is not None:
                stack.callback(log.close)
            display = None if self.quiet else make_display(timeline, commands.ways)

            def write(line: dict[str, Any]) -> None:
                if log is not None:
                    log.write(json.dumps(line) + "\n")

            played = play_session(
                session,
                output,
                clock,
                controls=commands,
                display=Displays((*((display,) if display else ()), *commands.observers)),
                on_fired=lambda fired: write(fired_json(fired)),
                on_change=lambda change: write(change_json(change)),
                opening=opening,
                # with no one at a terminal to press space, a hold until ready lasts
                # its ready time, as in show and export, instead of waiting for ever
                wait_when_ready=commands.interactive,
                later=later if coming is not None else later.start(),
                coming=coming.start() if coming is not None else None,
            )
            if coming is not None:  # as far as it was made: whole, unless stopped early
                timeline = coming.latest.timeline
        return played, timeline

    @functools.cached_property
    def sounds(self) -> dict[Sound, Clip]:
        """The chimes, read once for the draft, the start and the checks before it."""
        return load_sounds()

    def _partly(self, draft: Draft, speech: SpeechCache) -> bool:
        """Whether the session can start on its first clips and plan the rest as they come:
        at a pace (not fitted to a length) that leaves room for its speech."""
        return (
            draft.timeline is not None
            and draft.minutes is not None
            and self.options.length is None
            and roomy(
                self.routine,
                self.options.pace or 1.0,
                draft.minutes,
                self.sounds,
                speech.settings.rate_wpm,
            )
        )

    def _start_partly(
        self,
        speech: SpeechCache,
        draft: Draft,
        ways: tuple[str, ...],
        opening: Opening,
        clock: MonotonicClock,
    ) -> Session | None:
        """The session as far as this process renders it while the title plays (None: it
        does not plan so; it is prepared whole, and says why if it cannot be)."""
        title_s = speech.clip(opening.text).duration_s
        stop_at = opening.started_s + opening.title_at_s + title_s - OPENING_MARGIN_S
        try:
            return start_partly(
                self.routine,
                speech,
                self.sounds,
                pace=self.options.pace or 1.0,
                minutes=draft.minutes,
                order=draft.order,
                extra=phrases_for(self.routine.language).live(ways),
                ways=ways,
                until=lambda: clock.now() >= stop_at,
            )
        except PlanError:
            return None

    def _draft(self, speech: SpeechCache) -> Draft:
        """The session planned on estimated speech, and how soon the real one is surely ready
        (without a timeline where it may not plan: it is prepared whole first, and says why)."""
        pace = self.options.pace or 1.0
        return draft_session(
            self.routine, speech, self.sounds, pace=pace, length_s=self.options.length, live=True
        )

    def _open(
        self, timeline: Timeline, speaking: SpeakingLog
    ) -> contextlib.AbstractContextManager[Merged]:
        context = SourceContext(sys.stdin, os.environ, timeline, speaking, self.settings)
        return open_sources(self.sources, context)


def open_early(
    routine: Routine,
    speech: SpeechCache,
    output: Output,
    clock: MonotonicClock,
    draft: Draft,
    sounds: Mapping[Sound, Clip],
    *,
    always: bool = False,
) -> Opening | None:
    """Ring the opening chime at once, if the rest is surely ready before the title ends
    (``always``: the session starts on its first clips, ``render.coming``); ``say_title``
    then says the title on time after it.

    The chime needs no voice, so it sounds while a cold engine gets ready; it also
    wakes a sleeping sink before the first word. The rest renders and plans while the
    title plays; the chime and title open the timeline at any pace, so what is heard
    is still what `export` writes. With too much still to render, the session is
    prepared whole first (nothing waits during a session, only before it).
    """
    assert draft.timeline is not None
    text = opening_text(routine)
    title_at_s = draft.timeline.events[1].at_s  # after the chime, whatever speech lasts
    if not always and title_at_s + speech.clip(text).duration_s < draft.ready_s:
        return None
    playing = output.play(sounds[Sound.OPEN])
    return Opening(text, started_s(playing, clock.now()), playing, title_at_s)


def say_title(opening: Opening, speech: SpeechCache, output: Output, clock: Clock) -> Opening:
    """The title of an ``open_early`` session, started on time after its chime (late where
    a cold voice is not ready by then): the opening the player takes over from."""
    clip = speech.clip(opening.text)  # a cold voice gets ready while the chime rings
    deadline = opening.started_s + opening.title_at_s
    clock.sleep_until(deadline)
    if opening.playing.is_playing():  # a device behind the clock: never over the chime
        opening.playing.wait_done()
    playing = output.play(clip, opening.started_s, opening.title_at_s)
    late_s = max(0.0, started_s(playing, clock.now()) - deadline)
    return dataclasses.replace(opening, playing=playing, late_s=late_s)


def make_display(timeline: Timeline, ways: Sequence[str]) -> Display:
    """A block on a terminal (its keys line only where the keys are on), lines elsewhere."""
    if sys.stderr.isatty():
        return TerminalDisplay(timeline, sys.stderr, ways)
    return LineDisplay(sys.stderr, timeline.phrases)


def history_path() -> Path:
    return Path(platformdirs.user_data_dir("coach")) / "history.jsonl"


def record_played(started: str, timeline: Timeline, played: PlayResult) -> None:
    """The session in the history; a history that cannot be written is a warning only.

    It is complete when it reached its end with nothing skipped on the way.
    """
    parts = parts_of(timeline, played.done, played.completed) if played.done else None
    entry = Entry(
        started=started,
        routine=timeline.routine,
        title=timeline.title,
        pace=round(timeline.pace, 3),
        total_s=timeline.total_s,
        reached_s=round(played.position_s, 3),
        completed=played.completed and not (parts and parts.skipped),
        stopped_by=played.stopped_by.value if played.stopped_by else "",
        pace_end=round(played.pace, 3) if played.pace is not None else None,
        played_s=round(played.played_s, 3),
        done=list(parts.done) if parts else None,
        skipped=list(parts.skipped) if parts else None,
        repeated=list(parts.repeated) if parts else None,
    )
    try:
        append_entry(history_path(), entry)
    except OutputError as err:  # the session itself worked: that is not a failure
        click.echo(f"coach: warning: {err}; the session was not recorded", err=True)


def say_stopped(played: PlayResult, timeline: Timeline, log_path: Path | None) -> None:
    """Where a session that did not reach its end stopped, with the exit status it earns.

    Raises:
        AudioDeviceError: the audio output failed mid-session.
    """
    if played.stopped_by is None:
        return
    # where it stopped, on the timeline it was playing (a change of pace makes a new one)
    where = stopped_where(played.timeline or timeline, played.position_s)
    if played.stopped_by is StopReason.DEVICE:
        kept = f"; the log is in {log_path}" if log_path else ""
        raise AudioDeviceError(f"{played.error}, at {where}{kept}")
    click.echo(f"coach: stopped at {where}", err=True)
    if played.stopped_by is StopReason.INTERRUPT:
        sys.exit(EXIT_INTERRUPTED)
    if played.stopped_by is StopReason.TERMINATED:
        sys.exit(EXIT_TERMINATED)
