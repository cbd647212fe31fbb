"""The command line: parse options, call the core, pick a sink. Errors become one line here."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
import platformdirs

from coach import __version__
from coach.errors import CoachError, OutputError, PlanError, Problem, RoutineError
from coach.export import check_target, export_session
from coach.live import Fired, MonotonicClock, play_session
from coach.output import SimpleaudioOutput
from coach.render import Session, build_session, load_sounds
from coach.resources import bundled_routines
from coach.routine import Routine, find_routine, format_duration, load_routine, parse_duration
from coach.schedule import fired_json, format_schedule, minutes_seconds, place, timeline_json
from coach.speech import DEFAULT_RATE_WPM, Pyttsx3Engine, SpeechCache, SpeechSettings

DEFAULT_ROUTINE = "smr-legs"
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


class CoachGroup(click.Group):
    """The one place where errors turn into messages: no traceback unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except CoachError as err:
            if debug:
                raise
            for line in str(err).splitlines():
                click.echo(
                    f"coach: {line}" if not isinstance(err, RoutineError) else line, err=True
                )
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            if debug:
                raise
            click.echo("coach: stopped", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=CoachGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coach")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def cli(debug: bool) -> None:
    """A voice-guided audio coach: it speaks a routine's cues on time, offline.

    \b
    Examples:
      coach play                     # the default routine, out loud
      coach show smr-back --pace 2   # the schedule, twice as fast
      coach export smr-full -o full.wav
    """


def main() -> None:
    cli(prog_name="coach")


# --- shared options ---------------------------------------------------------------------


def _length(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    seconds = parse_duration(value)
    if not seconds:
        raise click.BadParameter(f'"{value}" is not a duration; use one like 8m, 90s or 1m30s')
    return seconds


def session_options(command: F) -> F:
    """--pace/--length/--rate/--voice: the same on show, export and play."""
    options = [
        click.option(
            "--pace",
            type=click.FloatRange(0.25, 4.0),
            default=None,
            help="Time runs this many times faster: holds and rests last 1/PACE (0.25 to 4).",
        ),
        click.option(
            "--length",
            callback=_length,
            metavar="DURATION",
            help="Fit the whole session to this length, like 8m (instead of --pace).",
        ),
        click.option(
            "--rate",
            type=click.IntRange(80, 400),
            default=DEFAULT_RATE_WPM,
            show_default=True,
            help="Speaking rate in words a minute.",
        ),
        click.option("--voice", metavar="ID", help="Voice to speak with (see `coach voices`)."),
    ]
    return functools.reduce(lambda cmd, opt: opt(cmd), reversed(options), command)


def make_speech(rate: int, voice: str | None) -> SpeechCache:
    folder = Path(platformdirs.user_cache_dir("coach")) / "speech"
    return SpeechCache(folder, SpeechSettings(voice=voice, rate_wpm=rate))


def prepare(
    routine_ref: str, pace: float | None, length: float | None, rate: int, voice: str | None
) -> Session:
    if pace is not None and length is not None:
        raise PlanError("--pace and --length both set the speed; give one of them")
    routine = load_routine(routine_ref)
    return build_session(
        routine, make_speech(rate, voice), load_sounds(), pace=pace or 1.0, length_s=length
    )


# --- commands ---------------------------------------------------------------------------


@cli.command("list")
@click.option("--rate", type=click.IntRange(80, 400), default=DEFAULT_RATE_WPM, hidden=True)
def list_routines(rate: int) -> None:
    """List the bundled routines with their lengths at normal pace.

    \b
    Example:
      coach list
    """
    speech, sounds = make_speech(rate, None), load_sounds()
    for name, path in bundled_routines().items():
        routine = load_routine(path)
        timeline = build_session(routine, speech, sounds).timeline
        click.echo(f"{name:<12} {minutes_seconds(timeline.total_s):>6}  {routine.title}")


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE)
@session_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
def show(
    routine: str,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
    as_json: bool,
) -> None:
    """Show the schedule of a session: every cue and chime with its time.

    ROUTINE is a bundled name (see `coach list`) or a routine file.

    \b
    Examples:
      coach show smr-legs --pace 2
      coach show smr-legs --length 10m --json > legs.json
    """
    session = prepare(routine, pace, length, rate, voice)
    if as_json:
        click.echo(json.dumps(timeline_json(session.timeline), indent=2))
    else:
        click.echo(format_schedule(session.timeline))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Check routine files: every problem, as file:line: what is wrong.

    \b
    Example:
      coach check my-routine.yaml
    """
    problems: list[Problem] = []
    for path in files:
        try:
            routine = load_routine(path if path.exists() else find_routine(str(path)))
        except RoutineError as err:
            problems += err.problems
            continue
        click.echo(f"{path}: ok ({_summary(routine)})")
    if problems:
        raise RoutineError(problems)


def _summary(routine: Routine) -> str:
    holds = sum(len(e.steps) * max(len(e.sides), 1) for e in routine.exercises)
    hold_s = sum(s.hold_s * max(len(e.sides), 1) for e in routine.exercises for s in e.steps)
    return (
        f"{len(routine.exercises)} exercises, {holds} holds, {format_duration(hold_s)} on the ball"
    )


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE)
@click.option(
    "-o",
    "--output",
    "target",
    required=True,
    type=click.Path(path_type=Path),
    help="The audio file to write (.wav).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@session_options
def export(
    routine: str,
    target: Path,
    force: bool,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
) -> None:
    """Write a whole session to an audio file, to play on any device.

    \b
    Examples:
      coach export smr-legs -o legs.wav
      coach export smr-full --length 20m -o short.wav --force
    """
    check_target(target, force=force)
    session = prepare(routine, pace, length, rate, voice)
    result = export_session(session, target, force=force)
    click.echo(f"wrote {result.path} ({minutes_seconds(result.duration_s)})", err=True)


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE)
@session_options
@click.option(
    "--fallback",
    type=click.Path(path_type=Path),
    metavar="FILE.wav",
    help="With no audio output, write the session to this file instead of failing.",
)
@click.option("--quiet", is_flag=True, help="Print nothing while playing.")
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
    fallback: Path | None,
    quiet: bool,
    log_path: Path | None,
) -> None:
    """Play a session out loud: every cue and chime on time, hands-free.

    ROUTINE defaults to smr-legs. Ctrl-C stops at once.

    \b
    Examples:
      coach play
      coach play smr-back --pace 0.75 --rate 140
    """
    session = prepare(routine, pace, length, rate, voice)
    try:
        output = SimpleaudioOutput()
    except CoachError as err:
        if fallback is None:
            raise type(err)(f"{err}; use `coach export` to write the session to a file") from err
        click.echo(f"coach: {err}", err=True)
        check_target(fallback, force=False)
        result = export_session(session, fallback)
        click.echo(
            f"coach: wrote the session to {result.path} instead "
            f"({minutes_seconds(result.duration_s)}); play it on any device",
            err=True,
        )
        return
    timeline = session.timeline
    if not quiet:
        click.echo(f"{timeline.title}: {minutes_seconds(timeline.total_s)}", err=True)
    log = open_log(log_path)

    def show_fired(fired: Fired) -> None:
        if log is not None:
            log.write(json.dumps(fired_json(fired)) + "\n")
            log.flush()
        if quiet:
            return
        event = fired.event
        what = event.text if event.text else f"({event.sound_name} chime)"
        where = place(event.exercise, event.step, event.side)
        click.echo(f"{minutes_seconds(fired.fired_s):>6}  {where:<40} {what}", err=True)

    try:
        played = play_session(session, output, MonotonicClock(), on_fired=show_fired)
    finally:
        if log is not None:
            log.close()
    if not played.completed:
        last = played.fired[-1].event if played.fired else None
        at = minutes_seconds(played.fired[-1].fired_s) if played.fired else "0:00"
        where = place(last.exercise, last.step, last.side) if last else "the start"
        click.echo(
            f"coach: stopped at {at} of {minutes_seconds(timeline.total_s)}, "
            f"in {where or 'the introduction'}",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)


def open_log(path: Path | None) -> TextIO | None:
    if path is None:
        return None
    try:
        return path.open("w", encoding="utf-8", buffering=1)
    except OSError as err:
        raise OutputError(f"{path}: cannot write the log: {err.strerror}") from err


@cli.command()
def voices() -> None:
    """List the voices you can pass to --voice.

    \b
    Example:
      coach voices | grep en-
    """
    for voice in Pyttsx3Engine().voices():
        click.echo(f"{voice.id:<24} {voice.name}")
