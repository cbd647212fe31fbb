"""The command line: parse options, call the core, pick a sink. Errors become one line here."""

from __future__ import annotations

import functools
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
import platformdirs

from coach import __version__
from coach.audio import SAMPLE_RATE_HZ
from coach.display import ExportProgress, LineDisplay, TerminalDisplay
from coach.errors import (
    AudioDeviceError,
    CoachError,
    OutputError,
    PlanError,
    Problem,
    RoutineError,
)
from coach.export import FORMATS, SAMPLE_RATES_HZ, check_target, export_session
from coach.files import write_text_atomic
from coach.history import Entry, append_entry, read_entries
from coach.keys import terminal_keys
from coach.live import Display, Fired, MonotonicClock, play_session, segment_at
from coach.output import SimpleaudioOutput
from coach.plan import Timeline
from coach.render import Session, build_session, load_sounds
from coach.resources import bundled_routines
from coach.routine import Routine, find_routine, format_duration, load_routine, parse_duration
from coach.schedule import (
    fired_json,
    format_schedule,
    format_vtt,
    minutes_seconds,
    timeline_json,
)
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
    # A plain SIGTERM would end the process without cleanup; as SystemExit, exports
    # remove their temporary file and a live session stops its sound on the way out.
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="coach")


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


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
    help="The audio file to write: .wav, .flac, .ogg or .mp3.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(FORMATS)),
    help="The format, whatever the file name says.",
)
@click.option(
    "--sample-rate",
    type=click.Choice([str(r) for r in SAMPLE_RATES_HZ]),
    default=str(SAMPLE_RATE_HZ),
    show_default=True,
    help="Samples a second; the default is the speech's own, smallest for the same quality.",
)
@click.option(
    "--cues",
    "cues_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.vtt",
    help="Also write every spoken cue with its time as WebVTT, to read along.",
)
@click.option("--force", is_flag=True, help="Replace the files if they exist.")
@session_options
def export(
    routine: str,
    target: Path,
    format_name: str | None,
    sample_rate: str,
    cues_path: Path | None,
    force: bool,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
) -> None:
    """Write a whole session to an audio file, to play on any device.

    MP3 files carry ID3 chapters and Ogg/FLAC files chapter comments, one per
    exercise side, so podcast and audiobook players can skip between them.

    \b
    Examples:
      coach export smr-legs -o legs.mp3
      coach export smr-full --length 20m -o short.ogg --cues short.vtt --force
    """
    check_target(target, force=force, format_name=format_name)
    if cues_path is not None and cues_path.exists() and not force:
        raise OutputError(f"{cues_path}: already exists; use --force to replace it")
    session = prepare(routine, pace, length, rate, voice)
    with ExportProgress(sys.stderr) as progress:
        result = export_session(
            session,
            target,
            force=force,
            format_name=format_name,
            sample_rate_hz=int(sample_rate),
            progress=progress.update,
        )
    if cues_path is not None:
        write_text_atomic(cues_path, format_vtt(session.timeline))
    click.echo(f"wrote {result.path} ({minutes_seconds(result.duration_s)})", err=True)


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE)
@session_options
@click.option("--from", "from_exercise", metavar="EXERCISE", help="Start at this exercise.")
@click.option(
    "--fallback",
    type=click.Path(path_type=Path),
    metavar="FILE.wav",
    help="With no audio output, write the session to this file instead of failing.",
)
@click.option("--quiet", is_flag=True, help="Show nothing while playing.")
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
    from_exercise: str | None,
    fallback: Path | None,
    quiet: bool,
    log_path: Path | None,
) -> None:
    """Play a session out loud: every cue and chime on time, hands-free.

    ROUTINE defaults to smr-legs. Keys, no Enter needed: space pauses and
    resumes, n skips to the next exercise, b restarts this one, q quits.
    Ctrl-C stops at once.

    \b
    Examples:
      coach play
      coach play smr-back --pace 0.75 --rate 140
      coach play smr-full --from lats
    """
    session = prepare(routine, pace, length, rate, voice)
    timeline = session.timeline
    from_s = start_of(timeline, from_exercise) if from_exercise else 0.0
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
    log = open_log(log_path)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    display = None if quiet else make_display(timeline)

    def record(fired: Fired) -> None:
        if log is not None:
            log.write(json.dumps(fired_json(fired)) + "\n")

    try:
        with terminal_keys() as controls:
            played = play_session(
                session,
                output,
                MonotonicClock(),
                controls=controls,
                display=display,
                on_fired=record,
                from_s=from_s,
            )
    finally:
        if log is not None:
            log.close()
    append_entry(
        history_path(),
        Entry(
            started=started,
            routine=timeline.routine,
            title=timeline.title,
            pace=round(timeline.pace, 3),
            total_s=timeline.total_s,
            reached_s=round(played.position_s, 3),
            completed=played.completed,
            stopped_by=played.stopped_by,
        ),
    )
    if played.completed:
        return
    where = stopped_where(timeline, played.position_s)
    if played.stopped_by in ("quit", "interrupt"):
        click.echo(f"coach: stopped at {where}", err=True)
        if played.stopped_by == "interrupt":
            sys.exit(EXIT_INTERRUPTED)
        return
    kept = f"; the log is in {log_path}" if log_path else ""
    raise AudioDeviceError(f"{played.stopped_by}, at {where}{kept}")


def start_of(timeline: Timeline, name: str) -> float:
    """Where ``--from`` starts: the exercise whose name begins with ``name`` (any case)."""
    wanted = name.casefold()
    for segment in timeline.segments:
        if segment.exercise.casefold().startswith(wanted):
            return segment.start_s
    names = ", ".join(dict.fromkeys(s.exercise for s in timeline.segments))
    raise PlanError(f'--from: no exercise "{name}" in {timeline.routine}; it has: {names}')


def stopped_where(timeline: Timeline, position_s: float) -> str:
    index = segment_at(timeline.segments, position_s)
    if index is not None:
        inside = timeline.segments[index].exercise
    elif not timeline.segments or position_s < timeline.segments[0].start_s:
        inside = "the introduction"
    else:
        inside = "the ending"
    return f"{minutes_seconds(position_s)} of {minutes_seconds(timeline.total_s)} ({inside})"


def make_display(timeline: Timeline) -> Display:
    if sys.stderr.isatty():
        return TerminalDisplay(timeline, sys.stderr)
    return LineDisplay(sys.stderr)


def history_path() -> Path:
    return Path(platformdirs.user_data_dir("coach")) / "history.jsonl"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON lines.")
def history(as_json: bool) -> None:
    """List the sessions you played: date, routine, pace, how far you got.

    \b
    Example:
      coach history | tail -5
    """
    for entry in read_entries(history_path()):
        if as_json:
            click.echo(json.dumps(asdict(entry)))
            continue
        if entry.completed:
            reached = "complete"
        else:
            share = entry.reached_s / entry.total_s if entry.total_s else 0
            reached = f"stopped at {minutes_seconds(entry.reached_s)} ({share:.0%})"
        click.echo(
            f"{entry.started[:16].replace('T', ' ')}  {entry.routine:<12} "
            f"pace {entry.pace:<5g} {minutes_seconds(entry.total_s):>6}  {reached}"
        )


def open_log(path: Path | None) -> TextIO | None:
    """The --log file, line-buffered: a killed session leaves every line it fired."""
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
