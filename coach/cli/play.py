"""Commands for sessions played: play, and the history of them."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click
import platformdirs

from coach.cli.group import (
    DEFAULT_ROUTINE,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    cli,
    configured,
)
from coach.cli.options import (
    check_speed,
    complete_routines,
    prepare,
    read_routine,
    routine_file,
    session_options,
    session_speech,
)
from coach.errors import (
    AudioDeviceError,
    CoachError,
    OutputError,
    PlanError,
    TargetError,
    UsageError,
)
from coach.export.writer import check_target, export_session
from coach.files import check_distinct, open_log
from coach.play.clock import MonotonicClock
from coach.play.display import LineDisplay, TerminalDisplay
from coach.play.history import (
    Damaged,
    Entry,
    append_entry,
    history_problem,
    newest_history,
    scan_history,
)
from coach.play.log import change_json, fired_json
from coach.play.output import LoggedOutput, Opening, Output, SimpleaudioOutput
from coach.play.player import play_session
from coach.play.recogniser import check_listening
from coach.play.sources import SourceContext, open_sources, source_kind
from coach.play.speaking import SpeakingLog
from coach.play.transport import Change, Display, Displays, Fired, StopReason
from coach.render.build import Draft, load_sounds, opening_text, time_to_ready
from coach.routine.model import Routine
from coach.speech.cache import SpeechCache
from coach.timeline.events import Timeline
from coach.timeline.schedule import minutes_seconds, stopped_where


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE, shell_complete=complete_routines)
@session_options
@click.option("--from", "from_exercise", metavar="EXERCISE", help="Start at this exercise.")
@click.option(
    "--fallback",
    type=click.Path(path_type=Path),
    metavar="FILE.wav",
    help="With no audio output, write the session to this file instead of failing.",
)
@click.option("--force", is_flag=True, help="Replace the --fallback file if it exists.")
@click.option("--quiet", is_flag=True, help="Show nothing while playing.")
@click.option(
    "--control",
    "controls",
    metavar="SOURCE",
    multiple=True,
    help="Also take commands from this source (the terminal's keys always count).",
)
@click.option(
    "--listen/--no-listen",
    default=None,
    help='Take spoken commands from the microphone: "pause", "resume", "next", "back", '
    '"slower", "faster", "longer", "stop" (config: listen).',
)
@click.option(
    "--wake-word",
    metavar="WORD",
    help='With --listen, obey only commands said after this word ("coach, pause").',
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write each fired event as a JSON line (planned and actual time), flushed as it goes.",
)
def play(
    routine: str,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
    engine: str,
    from_exercise: str | None,
    fallback: Path | None,
    force: bool,
    quiet: bool,
    controls: tuple[str, ...],
    listen: bool | None,
    wake_word: str | None,
    log_path: Path | None,
) -> None:
    """Play a session out loud: every cue and chime on time, hands-free.

    ROUTINE defaults to smr-legs. Keys, no Enter needed: space pauses and
    resumes, n skips to the next exercise, b restarts this one, q quits;
    with --listen, say "pause", "resume", "next", "back", "slower",
    "faster", "longer" or "stop".
    Ctrl-C stops at once. With no audio output, --fallback writes the session
    to a file instead (--force replaces one left by an earlier run).

    \b
    Examples:
      coach play
      coach play smr-back --pace 0.75 --rate 140
      coach play smr-full --from lats
      coach play --fallback legs.wav --force
      coach play --listen --wake-word coach
    """
    pace = check_speed(pace, length)
    check_distinct({"ROUTINE": routine_file(routine), "--fallback": fallback, "--log": log_path})
    if fallback is not None and fallback.is_dir():
        raise TargetError(f"{fallback}: is a folder; give a file name like session.wav")
    if fallback is not None:
        check_target(fallback, force=True)  # format and folder now; an existing file below
    if log_path is not None and not log_path.parent.is_dir():
        raise TargetError(f"{log_path}: cannot write the log: no such folder {log_path.parent}")
    for name in controls:
        source_kind(name)  # an unknown source is said before anything is rendered
    options: dict[str, str] = {}
    listening = configured("listen") if listen is None else listen
    if listening:
        controls = (*controls, "voice")
        wake_word = wake_word if wake_word is not None else configured("wake-word")
        options["wake-word"] = check_listening(wake_word)
    elif wake_word is not None:
        raise UsageError("--wake-word works with --listen; add --listen")
    loaded = read_routine(routine)
    if from_exercise is not None:
        exercise_named(loaded, from_exercise)  # a wrong name is said before anything else
    output: Output
    try:
        output = SimpleaudioOutput()
    except CoachError as err:
        if fallback is None:
            raise type(err)(
                f"{err}; add --fallback FILE.wav to write the session to a file instead, "
                "or use `coach export`"
            ) from err
        click.echo(f"coach: {err}", err=True)
        check_target(fallback, force=force)
        session = prepare(loaded, pace, length, rate, voice, engine)
        result = export_session(session, fallback, force=force)
        click.echo(
            f"coach: wrote the session to {result.path} instead "
            f"({minutes_seconds(result.duration_s)}); play it on any device",
            err=True,
        )
        return
    speaking = SpeakingLog()
    output = LoggedOutput(output, speaking)  # a microphone must not obey coach's own voice
    clock = MonotonicClock()
    speech = session_speech(loaded, rate, voice, engine)
    with contextlib.ExitStack() as stack:
        draft = None if from_exercise else draft_plan(loaded, speech, pace, length)
        opening = None if draft is None else open_early(loaded, speech, output, clock, draft)
        commands = None
        if draft is not None:  # opened as the title starts: heard while the rest renders
            context = SourceContext(sys.stdin, os.environ, draft.timeline, speaking, options)
            commands = stack.enter_context(open_sources(controls, context))
        try:
            session = prepare(loaded, pace, length, rate, voice, engine, live=True, speech=speech)
        except BaseException:
            if opening is not None:
                opening.playing.stop()
            raise
        timeline = session.timeline
        if commands is None:
            commands = stack.enter_context(
                open_sources(
                    controls, SourceContext(sys.stdin, os.environ, timeline, speaking, options)
                )
            )
        for observer in commands.observers:
            observer.replanned(timeline)  # the session as planned with its real speech
        from_s = start_of(timeline, exercise_named(loaded, from_exercise)) if from_exercise else 0
        log = open_log(log_path)
        if log is not None:
            stack.callback(log.close)
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        display = None if quiet else make_display(timeline)

        def record(fired: Fired) -> None:
            if log is not None:
                log.write(json.dumps(fired_json(fired)) + "\n")

        def record_change(change: Change) -> None:
            if log is not None:
                log.write(json.dumps(change_json(change)) + "\n")

        played = play_session(
            session,
            output,
            clock,
            controls=commands,
            display=Displays((*((display,) if display else ()), *commands.observers)),
            on_fired=record,
            on_change=record_change,
            from_s=from_s,
            opening=opening,
            # with no one at a terminal to press space, a hold until ready lasts
            # its ready time, as in show and export, instead of waiting for ever
            wait_when_ready=commands.interactive,
        )
    entry = Entry(
        started=started,
        routine=timeline.routine,
        title=timeline.title,
        pace=round(timeline.pace, 3),
        total_s=timeline.total_s,
        reached_s=round(played.position_s, 3),
        completed=played.completed,
        stopped_by=played.stopped_by.value if played.stopped_by else "",
        pace_end=round(played.pace, 3) if played.pace is not None else None,
    )
    try:
        append_entry(history_path(), entry)
    except OutputError as err:  # the session itself worked: that is not a failure
        click.echo(f"coach: warning: {err}; the session was not recorded", err=True)
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


def draft_plan(
    routine: Routine, speech: SpeechCache, pace: float | None, length: float | None
) -> Draft | None:
    """The session planned on estimated speech, and how soon the real one is surely ready;
    None when it may not plan (it is then prepared whole first, and says why)."""
    return time_to_ready(
        routine, speech, load_sounds(), pace=pace or 1.0, length_s=length, live=True
    )


def open_early(
    routine: Routine,
    speech: SpeechCache,
    output: Output,
    clock: MonotonicClock,
    draft: Draft,
) -> Opening | None:
    """Start saying the session's title at once, if the rest is surely ready before it ends.

    The rest renders and plans while the title plays; the title is the timeline's
    first event at any pace, so what is heard is still what `export` writes. With
    too much still to render, the session is prepared whole first (nothing waits
    during a session, only before it).
    """
    text = opening_text(routine)
    clip = speech.clip(text)
    if clip.duration_s < draft.ready_s:
        return None
    return Opening(text, clock.now(), output.play(clip))


def exercise_named(routine: Routine, name: str) -> str:
    """The exercise ``--from`` means: the first whose name begins with ``name`` (any case).

    Raises:
        PlanError: no exercise has such a name; the message lists them.
    """
    wanted = name.casefold()
    for exercise in routine.exercises:
        if exercise.name.casefold().startswith(wanted):
            return exercise.name
    names = ", ".join(dict.fromkeys(e.name for e in routine.exercises))
    raise PlanError(f'--from: no exercise "{name}" in {routine.name}; it has: {names}')


def start_of(timeline: Timeline, exercise: str) -> float:
    """Where the exercise's lead-in starts on the timeline."""
    return next(s.start_s for s in timeline.segments if s.exercise == exercise)


def make_display(timeline: Timeline) -> Display:
    if sys.stderr.isatty():
        return TerminalDisplay(timeline, sys.stderr)
    return LineDisplay(sys.stderr, timeline.phrases)


def history_path() -> Path:
    return Path(platformdirs.user_data_dir("coach")) / "history.jsonl"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON lines.")
@click.option(
    "--last",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only the newest N sessions, newest first.",
)
def history(as_json: bool, last: int | None) -> None:
    """List the sessions you played: date, routine, pace, how far you got.

    Oldest first; --last N shows the newest N, newest first.

    \b
    Examples:
      coach history --last 5
      coach history --json | tail -1
    """
    path = history_path()
    found = scan_history(path) if last is None else iter(newest_history(path, last))
    damaged: list[int] = []
    shown = 0
    for item in found:
        if isinstance(item, Damaged):
            damaged.append(item.line)
            continue
        shown += 1
        click.echo(json.dumps(asdict(item)) if as_json else _history_line(item))
    if not shown and not damaged:
        problem = history_problem(path)
        if problem is not None:
            click.echo(f"coach: warning: {problem}; move it away to record sessions", err=True)
        else:
            click.echo(f"coach: no sessions yet; each `coach play` adds one to {path}", err=True)
    if damaged:
        damaged.sort()
        lines = ", ".join(str(n) for n in damaged[:5]) + (", …" if len(damaged) > 5 else "")
        click.echo(
            f"coach: warning: {path}: skipped {len(damaged)} damaged "
            f"line{'s' * (len(damaged) > 1)} ({lines}); they stay in the file",
            err=True,
        )


def _history_line(entry: Entry) -> str:
    pace = f"{entry.pace:g}" + (f"→{entry.pace_end:g}" if entry.pace_end is not None else "")
    if entry.completed:
        reached = "complete"
    else:
        share = entry.reached_s / entry.total_s if entry.total_s else 0
        reached = f"stopped at {minutes_seconds(entry.reached_s)} ({share:.0%})"
    return (
        f"{entry.started[:16].replace('T', ' ')}  {entry.routine:<12} "
        f"pace {pace:<9} {minutes_seconds(entry.total_s):>6}  {reached}"
    )
