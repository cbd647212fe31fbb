"""The command line: parse options, call the core, pick a sink. Errors become one line here."""

from __future__ import annotations

import contextlib
import functools
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
from coach.cli.config import ConfigError, Settings, default_settings, keys, load_config
from coach.durations import format_duration, parse_duration
from coach.errors import (
    CoachError,
    PlanError,
    RoutineError,
)
from coach.export.formats import SAMPLE_RATES_HZ, format_names
from coach.language.table import primary
from coach.plan.ceiling import MAX_SESSION_S
from coach.play.display import Progress
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.routine.shelf import Shelf
from coach.speech.cache import SpeechCache
from coach.speech.engine import (
    DEFAULT_ENGINE,
    DEFAULT_RATE_WPM,
    SpeechSettings,
    engine_kind,
    voice_named,
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
    speed = {name: configured(name) for name in ("pace", "rate", "voice", "engine")}
    speed = {name: value for name, value in speed.items() if value is not None}
    sample_rate = configured("sample-rate")
    ctx.default_map = {
        "show": speed,
        "play": speed,
        "export": speed | ({"sample_rate": sample_rate} if sample_rate else {}),
        "list": {"rate": speed["rate"]} if "rate" in speed else {},
    }


CONFIG_KEYS = keys(format_names, SAMPLE_RATES_HZ)


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
        found = engine_kind(ctx.params.get("engine") or DEFAULT_ENGINE).start().voices()
    except CoachError:
        return []
    return [CompletionItem(v.id, help=v.name) for v in found if v.id.startswith(incomplete)]


def session_options(command: F) -> F:
    """--pace/--length/--rate/--voice/--engine: the same on show, export and play."""
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
        click.option(
            "--engine",
            metavar="NAME",
            default=DEFAULT_ENGINE,
            show_default=True,
            help="Speech engine to speak with (see `coach voices --engine`).",
            is_eager=True,  # completing --voice asks this engine for its voices
        ),
    ]
    return functools.reduce(lambda cmd, opt: opt(cmd), reversed(options), command)


def make_speech(rate: int, voice: str | None, engine: str = DEFAULT_ENGINE) -> SpeechCache:
    """The user's speech cache, for this engine, voice and rate."""
    folder = Path(platformdirs.user_cache_dir("coach")) / "speech"
    return SpeechCache(folder, SpeechSettings(voice=voice, rate_wpm=rate, engine=engine))


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
    engine: str = DEFAULT_ENGINE,
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
        warning = voice_mismatch(voice, routine.language, engine)
        if warning:
            click.echo(f"coach: warning: {warning}", err=True)
    with Progress(sys.stderr, "preparing speech") as progress:
        return build_session(
            routine,
            make_speech(rate, voice or engine_kind(engine).default_voice(routine.language), engine),
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


def voice_mismatch(voice: str, language: str, engine: str = DEFAULT_ENGINE) -> str | None:
    """A warning when ``voice`` does not speak ``language``.

    Raises:
        VoiceError: there is no such voice.
    """
    kind = engine_kind(engine)
    found = voice_named(kind.start(), voice)
    spoken = {primary(tag) for tag in found.languages}
    if not spoken or primary(language) in spoken:
        return None
    return (
        f"voice {found.id} speaks {', '.join(found.languages)}, but the routine is in "
        f"{language}; leave out --voice to use {kind.default_voice(language) or 'its default'}"
    )
