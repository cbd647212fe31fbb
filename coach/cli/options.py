"""The command line's shared parts: the session options, and loading, planning and rendering."""

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

from coach.cli.config import Settings, load_config
from coach.cli.group import config_keys, config_path, current_settings
from coach.durations import format_duration, parse_duration
from coach.errors import CoachError, PlanError, VoiceError
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
    Voice,
    engine_kind,
    split_voice,
    voice_named,
)

F = TypeVar("F", bound=Callable[..., Any])


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
        shelf = Settings(load_config(config_path(), os.environ, config_keys())).shelf
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


def _voice(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--voice ENGINE:VOICE`` picks the engine too (``piper:~/voices/x.onnx``)."""
    engine = ctx.params.get("engine") or DEFAULT_ENGINE
    voice, named = split_voice(value, engine)
    if named != engine:
        if ctx.get_parameter_source("engine") is ParameterSource.COMMANDLINE:
            raise click.BadParameter(
                f"{value!r} is a {named} voice, but --engine is {engine}; leave out one of them"
            )
        ctx.params["engine"] = named
    if voice is not None and not voice.strip():
        raise click.BadParameter(f"{value!r} names no voice; `coach voices` lists them")
    return voice


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
            help="Voice to speak with (see `coach voices`); piper:PATH for a Piper voice file.",
            shell_complete=complete_voices,
            callback=_voice,
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


def session_speech(
    routine: Routine, rate: int, voice: str | None, engine: str = DEFAULT_ENGINE
) -> SpeechCache:
    """The speech cache a session of ``routine`` renders with: ``voice``, or the engine's
    voice for the routine's language."""
    voice, engine = speaker(routine.language, voice, engine)
    return make_speech(rate, voice, engine)


def speaker(
    language: str, voice: str | None, engine: str = DEFAULT_ENGINE
) -> tuple[str | None, str]:
    """The voice and engine that speak ``language``: ``voice`` if given; else, when the config
    prefers neural voices (``neural = true``), the user's Piper voice for the language if
    there is one (unless --engine says otherwise); else the engine's voice for it."""
    voice, engine = split_voice(voice, engine)
    if voice is None and engine == DEFAULT_ENGINE and _prefers_neural():
        from coach.speech.piper_voices import voice_for

        neural = voice_for(language)
        if neural is not None:
            return neural, "piper"
    return voice or engine_kind(engine).default_voice(language), engine


def _prefers_neural() -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source("engine") is ParameterSource.COMMANDLINE:
        return False
    return bool(current_settings().configured("neural"))


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
    speech: SpeechCache | None = None,
) -> Session:
    """Load (unless loaded), plan and render: a bar shows on a terminal while speech renders.

    ``live``: the session can change pace under way, so it holds what that may say.
    ``speech``: the cache to render with (``session_speech``'s, by default).
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
            speech or session_speech(routine, rate, voice, engine),
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
    named, engine = split_voice(voice, engine)
    kind = engine_kind(engine)
    started = kind.start()
    describe: Callable[[str], Voice] | None = getattr(started, "voice", None)
    found = (
        describe(named or voice) if describe is not None else voice_named(started, named or voice)
    )
    spoken = {primary(tag) for tag in found.languages}
    if not spoken or primary(language) in spoken:
        return None
    if kind.one_language:
        other = kind.default_voice(language)
        instead = (
            f"use {kind.name}:{other}"
            if other
            else f"get a {language} voice, or use --engine espeak"
        )
        raise VoiceError(
            f"voice {found.id} speaks {', '.join(found.languages)} only, but the routine is in "
            f"{language}; {instead}"
        )
    return (
        f"voice {found.id} speaks {', '.join(found.languages)}, but the routine is in "
        f"{language}; leave out --voice to use {kind.default_voice(language) or 'its default'}"
    )
