"""The command line: parse options, call the core, pick a sink. Errors become one line here."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from coach import __version__
from coach.audio import SAMPLE_RATE_HZ
from coach.cli.config import ConfigError, Settings, default_settings, keys, load_config
from coach.durations import format_duration, parse_duration
from coach.errors import (
    CoachError,
    OutputError,
    PlanError,
    RoutineError,
)
from coach.export.chapters import format_vtt
from coach.export.writer import FORMATS, SAMPLE_RATES_HZ, check_target, export_session
from coach.files import check_distinct, check_new_file, write_text_atomic
from coach.language.table import primary, voice_for
from coach.plan.planner import MAX_SESSION_S
from coach.play.display import Progress
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.resources import Shelf
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.speech.cache import (
    DEFAULT_RATE_WPM,
    Pyttsx3Engine,
    SpeechCache,
    SpeechSettings,
)
from coach.timeline.schedule import (
    format_schedule,
    minutes_seconds,
    timeline_json,
)

DEFAULT_ROUTINE = "smr-legs"
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

F = TypeVar("F", bound=Callable[..., Any])


CONFIG_ERROR = "coach.config_error"
"""Where the group keeps a config problem until a command needs its settings (ctx.meta)."""
NEEDS_NO_CONFIG = frozenset({"completion"})
"""Commands that work whatever the config says: the shell's completion must never break."""


class CoachCommand(click.Command):
    """A command that says a config problem when it runs (never for --help)."""

    def invoke(self, ctx: click.Context) -> Any:
        problem = ctx.meta.get(CONFIG_ERROR)
        if problem is not None and self.name not in NEEDS_NO_CONFIG:
            raise problem
        return super().invoke(ctx)


class CoachGroup(click.Group):
    """The one place where errors turn into messages: no traceback unless --debug."""

    command_class = CoachCommand

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
    try:
        settings = load_config(config_path(), os.environ, CONFIG_KEYS)
    except ConfigError as err:
        # Said when a command runs (CoachCommand): --help and completion still work.
        ctx.meta[CONFIG_ERROR] = err
        settings = default_settings(CONFIG_KEYS)
    ctx.obj = Settings(settings)
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


def config_path() -> Path:
    """``COACH_CONFIG``, else ``config.toml`` in the user's config folder."""
    given = os.environ.get("COACH_CONFIG")
    return Path(given) if given else Path(platformdirs.user_config_dir("coach")) / "config.toml"


def current_settings() -> Settings:
    """The settings the group read for this command (the defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Settings) if ctx is not None else None
    return found if found is not None else Settings(default_settings(CONFIG_KEYS))


def configured(name: str) -> Any:
    """A setting's value from the config file or environment; None when it is not set there."""
    return current_settings().configured(name)


def read_routine(ref: str | Path) -> Routine:
    """Load a routine as this command's settings find it (their folder and language)."""
    settings = current_settings()
    return load_routine(ref, settings.shelf, language=settings.language)


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
    # The shell asks without running the group, so the config's folder is read here;
    # a config with problems completes the default folder's names.
    shelf = Shelf()
    with contextlib.suppress(CoachError):
        shelf = Settings(load_config(config_path(), os.environ, CONFIG_KEYS)).shelf
    if "/" in incomplete or incomplete.startswith("."):
        return [CompletionItem(incomplete, type="file")]
    names = [CompletionItem(n) for n in sorted(shelf.names()) if n.startswith(incomplete)]
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
        routine = read_routine(routine)
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
