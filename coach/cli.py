"""The command line: parse options, call the core, pick a sink. Errors become one line here."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs
from click.core import ParameterSource
from click.shell_completion import CompletionItem, get_completion_class

from coach import __version__
from coach.audio import SAMPLE_RATE_HZ
from coach.chapters import format_vtt
from coach.config import Setting, keys, load_config
from coach.console import run_guarded
from coach.display import LineDisplay, Progress, TerminalDisplay
from coach.durations import format_duration, parse_duration
from coach.errors import (
    AudioDeviceError,
    CoachError,
    OutputError,
    PlanError,
    Problem,
    RoutineError,
    TargetError,
    UsageError,
)
from coach.export import FORMATS, SAMPLE_RATES_HZ, check_target, export_session
from coach.files import check_distinct, check_new_file, open_log, write_text_atomic
from coach.history import Entry, append_entry, read_history
from coach.keys import terminal_keys
from coach.library import list_library, user_file_for, valid_name
from coach.live import MonotonicClock, play_session
from coach.loader import find_routine, load_routine, set_default_language
from coach.output import SimpleaudioOutput
from coach.phrases import DEFAULT_LANGUAGE, REGIONAL_VOICES, TABLE, primary, voice_for
from coach.plan import MAX_SESSION_S
from coach.render import build_session, load_sounds
from coach.resources import (
    bundled_routines,
    routine_names,
    set_user_routines_dir,
    user_routines,
    user_routines_dir,
)
from coach.routine import Routine
from coach.schedule import (
    change_json,
    fired_json,
    format_schedule,
    minutes_seconds,
    stopped_where,
    timeline_json,
)
from coach.session import Session
from coach.speech import (
    DEFAULT_RATE_WPM,
    Pyttsx3Engine,
    SpeechCache,
    SpeechSettings,
    speech_identity,
)
from coach.timeline import Timeline
from coach.transport import Change, Display, Fired, StopReason

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
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """A voice-guided audio coach: it speaks a routine's cues on time, offline.

    \b
    Examples:
      coach play                     # the default routine, out loud
      coach show smr-back --pace 2   # the schedule, twice as fast
      coach export smr-full -o full.wav
    """
    settings = load_config(config_path(), os.environ, CONFIG_KEYS)
    _settings.clear()
    _settings.update(settings)
    set_user_routines_dir(configured("routines"))
    set_default_language(configured("language") or DEFAULT_LANGUAGE)
    # Options a command does not get on its command line come from here (click's default_map).
    speed = {name: configured(name) for name in ("pace", "rate", "voice")}
    speed = {name: value for name, value in speed.items() if value is not None}
    sample_rate = configured("sample-rate")
    ctx.default_map = {
        "show": speed,
        "play": speed,
        "export": speed | ({"sample_rate": sample_rate} if sample_rate else {}),
        "list": {"rate": speed["rate"]} if "rate" in speed else {},
    }


CONFIG_KEYS = keys(tuple(FORMATS), SAMPLE_RATES_HZ)
_settings: dict[str, Setting] = {}


def config_path() -> Path:
    """``COACH_CONFIG``, else ``config.toml`` in the user's config folder."""
    given = os.environ.get("COACH_CONFIG")
    return Path(given) if given else Path(platformdirs.user_config_dir("coach")) / "config.toml"


def configured(name: str) -> Any:
    """A setting's value from the config file or environment; None when it is not set there."""
    setting = _settings.get(name)
    return None if setting is None or setting.source == "default" else setting.value


def main() -> None:
    run_guarded(lambda: cli.main(prog_name="coach"))


# --- shared options ---------------------------------------------------------------------


def _length(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    seconds = parse_duration(value)
    if not seconds:
        raise click.BadParameter(f'"{value}" is not a duration; use one like 8m, 90s or 1m30s')
    if seconds > MAX_SESSION_S:
        raise click.BadParameter(
            f"{format_duration(seconds)} is longer than the longest session coach plays "
            f"({format_duration(MAX_SESSION_S)})"
        )
    return seconds


def complete_routines(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Routine names for the shell (yours and the bundled), or files for a path."""
    if "/" in incomplete or incomplete.startswith("."):
        return [CompletionItem(incomplete, type="file")]
    names = [CompletionItem(n) for n in sorted(routine_names()) if n.startswith(incomplete)]
    return names or [CompletionItem(incomplete, type="file")]


def complete_voices(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    try:
        found = Pyttsx3Engine().voices()
    except CoachError:
        return []
    return [CompletionItem(v.id, help=v.name) for v in found if v.id.startswith(incomplete)]


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
        click.option(
            "--voice",
            metavar="ID",
            help="Voice to speak with (see `coach voices`).",
            shell_complete=complete_voices,
        ),
    ]
    return functools.reduce(lambda cmd, opt: opt(cmd), reversed(options), command)


def make_speech(rate: int, voice: str | None) -> SpeechCache:
    folder = Path(platformdirs.user_cache_dir("coach")) / "speech"
    return SpeechCache(folder, SpeechSettings(voice=voice, rate_wpm=rate))


def check_speed(pace: float | None, length: float | None) -> float | None:
    """The pace to plan at: --length wins over a pace from the config, not over --pace."""
    if pace is not None and length is not None:
        ctx = click.get_current_context(silent=True)
        if ctx is not None and ctx.get_parameter_source("pace") is ParameterSource.DEFAULT_MAP:
            return None
        raise PlanError("--pace and --length both set the speed; give one of them")
    return pace


def prepare(
    routine: Routine | str,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
    *,
    live: bool = False,
) -> Session:
    """Load (unless loaded), plan and render: a bar shows on a terminal while speech renders.

    ``live``: the session can change pace under way, so it holds what that may say.
    """
    pace = check_speed(pace, length)
    if isinstance(routine, str):
        routine = load_routine(routine)
    if voice is not None:
        warning = voice_mismatch(voice, routine.language)
        if warning:
            click.echo(f"coach: warning: {warning}", err=True)
    with Progress(sys.stderr, "preparing speech") as progress:
        return build_session(
            routine,
            make_speech(rate, voice or voice_for(routine.language)),
            load_sounds(),
            pace=pace or 1.0,
            length_s=length,
            progress=progress.update,
            live=live,
        )


def routine_file(ref: str) -> Path | None:
    """The file a routine reference names (None for a bundled name), to keep outputs off it."""
    path = Path(ref)
    return path if path.exists() or "/" in ref else None


# --- commands ---------------------------------------------------------------------------


@cli.command("list")
@click.option("--rate", type=click.IntRange(80, 400), default=DEFAULT_RATE_WPM, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_routines(rate: int, as_json: bool) -> None:
    """List your routines and the bundled ones: length at pace 1, language, title.

    Your own live in the routines folder (`coach new` starts one there); one with
    a bundled routine's name is played instead of it, and the list says so. A
    routine with a problem is listed with the first one.

    \b
    Examples:
      coach list
      coach list --json
    """
    sounds = load_sounds()

    def measure(routine: Routine) -> float:
        speech = make_speech(rate, configured("voice") or voice_for(routine.language))
        return build_session(routine, speech, sounds).timeline.total_s

    cache = Path(platformdirs.user_cache_dir("coach")) / "list.json"
    key = f"{__version__}|{rate}|{configured('voice')}|{configured('language')}|{speech_identity()}"
    listed = list_library(measure, cache, key)
    if as_json:
        click.echo(json.dumps([item.as_json() for item in listed], indent=2))
        return
    for item in listed:
        source = "user (shadows)" if item.shadows else item.source
        if item.problem:
            click.echo(f"{item.name:<14} {'—':>6}  {'':<5} {source:<14}  {item.problem}")
        else:
            length = minutes_seconds(item.length_s or 0)
            click.echo(
                f"{item.name:<14} {length:>6}  {item.language:<5} {source:<14}  {item.title}"
            )


STARTER = """\
# {name}: a routine for coach. `coach check {name}` checks it, `coach play {name}`
# plays it. The README ("Routines") explains every key; durations read like
# 90s, 2m, 1m30s or "1 minute".
title: {title}                    # spoken at the start
language: en                      # de, fr, es, it, nl, pt, pl or en: what coach speaks
equipment: [a lacrosse ball]      # spoken: "You will need a lacrosse ball."
transition: 15s                   # time to get into position before each exercise
sections:
  - name: Main
    exercises:
      - name: Calves
        setup: Sit with the ball under your left calf.   # said before it starts
        sides: both               # each side gets the whole hold; a chime at the switch
        hold: 1m
        cues:                     # spread through the hold...
          - Roll slowly up and down.
          - at: 30s               # ...or at a time into it
            say: Move the ball to the outside of your calf.
      - name: Upper back
        setup: Lie on your back with the ball between your shoulder blades.
        hold: 1m
        cues: [Breathe slowly and let your back sink onto the ball.]
"""


@cli.command()
@click.argument("name")
@click.option(
    "--from",
    "source",
    metavar="ROUTINE",
    help="Start from a copy of this routine.",
    shell_complete=complete_routines,
)
@click.option("--force", is_flag=True, help="Replace your routine of that name.")
def new(name: str, source: str | None, force: bool) -> None:
    """Start a routine of your own in your routines folder, and print its path.

    With no --from it is a commented starter that plays as it is; with --from,
    a copy of another routine (bundled or yours) to adapt.

    \b
    Examples:
      coach new my-legs
      coach new my-legs --from smr-legs && coach edit my-legs
    """
    if not valid_name(name):
        raise UsageError(
            f'"{name}" is not a routine name; use letters, digits, - and _ (like my-legs)'
        )
    target = user_file_for(name, user_routines_dir())
    if target.exists() and not force:
        raise TargetError(
            f"{target}: already exists; `coach edit {name}` changes it, --force replaces it"
        )
    if source is not None:
        origin = find_routine(source)
        load_routine(origin)  # a broken routine is not a starting point
        text = f"# {name}: copied from {source} ({origin}).\n" + origin.read_text(encoding="utf-8")
    else:
        text = STARTER.format(
            name=name, title=name.replace("-", " ").replace("_", " ").capitalize()
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        check_new_file(target, force=force, hint=f"{name}.yaml")
        write_text_atomic(target, text)
    except OSError as err:
        raise TargetError(f"{target.parent}: cannot write there: {err.strerror}") from err
    click.echo(target)


@cli.command()
@click.argument("name", shell_complete=complete_routines)
def edit(name: str) -> None:
    """Open one of your routines in $EDITOR, and check it when you save.

    On a problem it says what and where, and offers to open it again (as `git
    commit` does); declining leaves the file as saved and exits with status 2.

    \b
    Example:
      EDITOR=nano coach edit my-legs
    """
    path = find_routine(name)
    if name in bundled_routines() and name not in user_routines() and "/" not in name:
        raise UsageError(
            f"{name} is bundled with coach; make your own copy to edit: "
            f"coach new {name} --from {name}"
        )
    while True:
        click.edit(filename=str(path))
        try:
            routine = load_routine(path)
        except RoutineError as err:
            for problem in err.problems:
                click.echo(str(problem), err=True)
            try:
                again = click.confirm("Edit it again?", default=True, err=True)
            except click.Abort:  # no one to ask (stdin closed or not a terminal)
                again = False
            if again:
                continue
            raise RoutineError([]) from err
        click.echo(f"{path}: ok ({_summary(routine)})")
        return


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE, shell_complete=complete_routines)
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
            routine = load_routine(str(path))
        except RoutineError as err:
            problems += err.problems
            continue
        click.echo(f"{path}: ok ({_summary(routine)})")
    if problems:
        raise RoutineError(problems)


def _summary(routine: Routine) -> str:
    """``8 exercises, 22 holds, 24m on the ball``: rounds counted, at pace 1."""
    holds, hold_s = 0, 0.0
    for section in routine.sections:
        for exercise in section.exercises:
            times = section.repeat.rounds * exercise.repeat.rounds * max(len(exercise.sides), 1)
            for step in exercise.steps:
                holds += times * step.repeat.rounds
                hold_s += times * step.repeat.rounds * step.written_s
    return (
        f"{len(routine.exercises)} exercises, {holds} holds, {format_duration(hold_s)} on the ball"
    )


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE, shell_complete=complete_routines)
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
    # Every output path is checked before any work, so nothing fails halfway.
    pace = check_speed(pace, length)
    check_distinct({"ROUTINE": routine_file(routine), "-o": target, "--cues": cues_path})
    if format_name is None and target.suffix.lstrip(".").lower() not in FORMATS:
        format_name = configured("format")  # the config's format, for a name with no known ending
    check_target(target, force=force, format_name=format_name)
    if cues_path is not None:
        check_new_file(cues_path, force=force, hint="session.vtt")
    session = prepare(routine, pace, length, rate, voice)
    with Progress(sys.stderr) as progress:
        result = export_session(
            session,
            target,
            force=force,
            format_name=format_name,
            sample_rate_hz=int(sample_rate),
            progress=progress.update,
        )
    if cues_path is not None:
        try:
            write_text_atomic(cues_path, format_vtt(session.timeline))
        except OSError as err:  # checked before the work: only the disk can fail it now
            raise OutputError(
                f"{cues_path}: cannot write: {err.strerror}; the audio is in {result.path}"
            ) from err
    click.echo(f"wrote {result.path} ({minutes_seconds(result.duration_s)})", err=True)


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
    force: bool,
    quiet: bool,
    log_path: Path | None,
) -> None:
    """Play a session out loud: every cue and chime on time, hands-free.

    ROUTINE defaults to smr-legs. Keys, no Enter needed: space pauses and
    resumes, n skips to the next exercise, b restarts this one, q quits.
    Ctrl-C stops at once. With no audio output, --fallback writes the session
    to a file instead (--force replaces one left by an earlier run).

    \b
    Examples:
      coach play
      coach play smr-back --pace 0.75 --rate 140
      coach play smr-full --from lats
      coach play --fallback legs.wav --force
    """
    pace = check_speed(pace, length)
    check_distinct({"ROUTINE": routine_file(routine), "--fallback": fallback, "--log": log_path})
    if fallback is not None and fallback.is_dir():
        raise TargetError(f"{fallback}: is a folder; give a file name like session.wav")
    if fallback is not None:
        check_target(fallback, force=True)  # format and folder now; an existing file below
    if log_path is not None and not log_path.parent.is_dir():
        raise TargetError(f"{log_path}: cannot write the log: no such folder {log_path.parent}")
    loaded = load_routine(routine)
    if from_exercise is not None:
        exercise_named(loaded, from_exercise)  # a wrong name is said before anything else
    try:
        output = SimpleaudioOutput()
    except CoachError as err:
        if fallback is None:
            raise type(err)(f"{err}; use `coach export` to write the session to a file") from err
        click.echo(f"coach: {err}", err=True)
        check_target(fallback, force=force)
        session = prepare(loaded, pace, length, rate, voice)
        result = export_session(session, fallback, force=force)
        click.echo(
            f"coach: wrote the session to {result.path} instead "
            f"({minutes_seconds(result.duration_s)}); play it on any device",
            err=True,
        )
        return
    session = prepare(loaded, pace, length, rate, voice, live=True)
    timeline = session.timeline
    from_s = start_of(timeline, exercise_named(loaded, from_exercise)) if from_exercise else 0.0
    log = open_log(log_path)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    display = None if quiet else make_display(timeline)

    def record(fired: Fired) -> None:
        if log is not None:
            log.write(json.dumps(fired_json(fired)) + "\n")

    def record_change(change: Change) -> None:
        if log is not None:
            log.write(json.dumps(change_json(change)) + "\n")

    try:
        with terminal_keys() as controls:
            played = play_session(
                session,
                output,
                MonotonicClock(),
                controls=controls,
                display=display,
                on_fired=record,
                on_change=record_change,
                from_s=from_s,
            )
    finally:
        if log is not None:
            log.close()
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
    path = history_path()
    found = read_history(path)
    for entry in found.entries:
        if as_json:
            click.echo(json.dumps(asdict(entry)))
            continue
        pace = f"{entry.pace:g}" + (f"→{entry.pace_end:g}" if entry.pace_end is not None else "")
        if entry.completed:
            reached = "complete"
        else:
            share = entry.reached_s / entry.total_s if entry.total_s else 0
            reached = f"stopped at {minutes_seconds(entry.reached_s)} ({share:.0%})"
        click.echo(
            f"{entry.started[:16].replace('T', ' ')}  {entry.routine:<12} "
            f"pace {pace:<9} {minutes_seconds(entry.total_s):>6}  {reached}"
        )
    if found.damaged:
        lines = ", ".join(str(n) for n in found.damaged[:5]) + (
            ", …" if len(found.damaged) > 5 else ""
        )
        click.echo(
            f"coach: warning: {path}: skipped {len(found.damaged)} damaged "
            f"line{'s' * (len(found.damaged) > 1)} ({lines}); they stay in the file",
            err=True,
        )


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def show_config(as_json: bool) -> None:
    """Show each setting in force and where it came from: default, file or environment.

    The config file is TOML (set COACH_CONFIG to use another); COACH_PACE,
    COACH_RATE, COACH_VOICE, COACH_LANGUAGE, COACH_SAMPLE_RATE, COACH_FORMAT and
    COACH_ROUTINES override it, and a command's own options override both.

    \b
    Examples:
      coach config
      COACH_RATE=140 coach config --json
    """
    shown = {
        name: str(setting.value) if isinstance(setting.value, Path) else setting.value
        for name, setting in _settings.items()
    }
    shown["routines"] = str(user_routines_dir())
    if as_json:
        items = [
            {"name": name, "value": shown[name], "source": setting.source}
            for name, setting in _settings.items()
        ]
        click.echo(json.dumps({"file": str(config_path()), "settings": items}, indent=2))
        return
    found = "" if config_path().is_file() else " (none yet)"
    click.echo(f"config file: {config_path()}{found}")
    for name, setting in _settings.items():
        value = shown[name]
        if value is None:
            value = {"voice": "the language's own", "sample-rate": str(SAMPLE_RATE_HZ)}.get(
                name, "by the file name"
            )
        click.echo(f"{name:<12} {value!s:<28} {setting.source}")


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print a script that completes coach's commands, options, routines and voices.

    \b
    Examples:
      coach completion bash > ~/.local/share/bash-completion/completions/coach
      coach completion zsh > "${fpath[1]}/_coach"
      coach completion fish > ~/.config/fish/completions/coach.fish
    """
    complete = get_completion_class(shell)
    assert complete is not None  # the three shells click ships
    click.echo(complete(cli, {}, "coach", "_COACH_COMPLETE").source())


def voice_mismatch(voice: str, language: str) -> str | None:
    """A warning when ``voice`` does not speak ``language``.

    Raises:
        VoiceError: there is no such voice.
    """
    found = Pyttsx3Engine().voice(voice)
    spoken = {primary(tag) for tag in found.languages}
    if not spoken or primary(language) in spoken:
        return None
    return (
        f"voice {found.id} speaks {', '.join(found.languages)}, but the routine is in "
        f"{language}; leave out --voice to use {voice_for(language) or 'the default voice'}"
    )


@cli.command()
@click.option("--language", metavar="TAG", help="Only voices for this language, like de or pt-BR.")
def voices(language: str | None) -> None:
    """List the voices you can pass to --voice (the default for each language is marked).

    \b
    Examples:
      coach voices | grep en-
      coach voices --language de
    """
    defaults = {p.voice for p in TABLE.values()} | set(REGIONAL_VOICES.values())
    for voice in Pyttsx3Engine().voices():
        if language is not None and not any(
            tag.lower() == language.lower() or primary(tag) == language.lower()
            for tag in voice.languages
        ):
            continue
        mark = "  (default for its language)" if voice.id in defaults else ""
        click.echo(f"{voice.id:<24} {voice.name}{mark}")
