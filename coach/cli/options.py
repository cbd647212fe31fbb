"""The command line's shared parts: the session options, and loading, planning and rendering."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import platformdirs
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from coach.cli.config import Settings, load_config
from coach.cli.group import config_keys, config_path, core_keys, current_settings, every_key
from coach.cli.progress import Progress
from coach.durations import format_duration, parse_duration
from coach.errors import CoachError, PlanError, UsageError, VoiceError
from coach.language.table import primary
from coach.plan.ceiling import MAX_SESSION_S
from coach.registry import Kind, Registry
from coach.render.build import Draft, build_session, load_sounds
from coach.render.session import Session
from coach.routine.model import Routine
from coach.routine.reader import load_routine
from coach.routine.shelf import Shelf
from coach.routine.walk import part_of
from coach.settings import Key, in_force
from coach.speech.cache import SpeechCache
from coach.speech.engine import (
    DEFAULT_ENGINE,
    DEFAULT_RATE_WPM,
    ENGINES,
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    EngineKind,
    SpeechSettings,
    Voice,
    engine_kind,
    split_voice,
    voice_named,
)
from coach.timeline.events import MAX_PACE, MIN_PACE, Pacing

F = TypeVar("F", bound=Callable[..., Any])
K = TypeVar("K", bound=Kind)


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
    """``--voice ENGINE:VOICE`` picks the engine too (a Piper voice file: ``piper:PATH``)."""
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


def part_options(command: F) -> F:
    """--from/--to: a part of the routine, the same on show, export and play."""
    options = [
        click.option(
            "--from",
            "from_exercise",
            metavar="EXERCISE",
            help="Start at this exercise (any case; the start of its name will do).",
        ),
        click.option(
            "--to",
            "to_exercise",
            metavar="EXERCISE",
            help="End after this exercise (the first of that name from --from on).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def read_part(ref: str, first: str | None, last: str | None) -> Routine:
    """The routine ``ref`` names, from exercise ``first`` to ``last`` (both optional).

    Raises:
        PlanError: no exercise has such a name, or they are out of order.
    """
    return part_of(read_routine(ref), first, last)


def session_options(command: F) -> F:
    """--pace/--length/--rate/--voice/--engine: the same on show, export and play."""
    options = [
        click.option(
            "--pace",
            type=click.FloatRange(MIN_PACE, MAX_PACE),
            default=None,
            help="Time runs this many times faster: holds and rests last 1/PACE "
            f"({MIN_PACE:g} to {MAX_PACE:g}).",
        ),
        click.option(
            "--length",
            callback=_length,
            metavar="DURATION",
            help="Fit the whole session to this length, like 8m (instead of --pace).",
        ),
        click.option(
            "--rate",
            type=click.IntRange(MIN_RATE_WPM, MAX_RATE_WPM),
            default=DEFAULT_RATE_WPM,
            show_default=True,
            help="Speaking rate in words a minute.",
        ),
        click.option(
            "--voice",
            metavar="ID",
            help="Voice to speak with (see `coach voices`); ENGINE:VOICE picks the engine too.",
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


if TYPE_CHECKING:  # generic from click 8.3 on; plain before
    _ParamType = click.ParamType[Any, Any]
else:
    _ParamType = click.ParamType


class SettingType(_ParamType):
    """A kind's setting on the command line, parsed as the config parses it."""

    def __init__(self, key: Key) -> None:
        self.key = key
        self.name = (key.metavar or "value").lower()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.key.parse(value)
        except ValueError as err:
            self.fail(f"{err}, got {value!r}", param, ctx)


def _option_keys(command: str) -> list[Key]:
    return [key for key in every_key() if key.option is not None and command in key.commands]


def kind_options(command: str) -> Callable[[F], F]:
    """The options ``command`` takes for the kinds' settings, as each kind declares them."""

    def add(function: F) -> F:
        for key in reversed(_option_keys(command)):
            assert key.option is not None
            kind: dict[str, Any] = {} if key.is_flag else {"type": SettingType(key)}
            option = click.option(
                key.option, key.param, default=None, metavar=key.metavar, help=key.meaning, **kind
            )
            function = option(function)
        return function

    return add


def kind_settings(command: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every kind's setting in force, by name: ``command``'s own option for it (taken out of
    ``params``; the config's value where not given), else the config's, else its default.

    Raises:
        UsageError: an option was given without the flag it works with.
    """
    settings = current_settings()
    given = {key.name: settings.configured(key.name) for key in every_key()}
    options = _option_keys(command)
    given |= {key.name: params.pop(key.param) for key in options}
    values = in_force(every_key(), given)
    for key in options:
        if key.needs is not None and _given(key.param) and not values.get(key.needs):
            flag = next(k.option for k in options if k.name == key.needs) or key.needs
            flag = flag.split("/")[0]
            raise UsageError(f"{key.option} works with {flag}; add {flag}")
    return values


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """--pace, --length, --rate, --voice and --engine as a command was given them."""

    pace: float | None
    length: float | None
    rate: int
    voice: str | None
    engine: str

    @classmethod
    def checked(cls, params: dict[str, Any]) -> SessionOptions:
        """From a command's parameters, the pace as ``check_speed`` leaves it.

        Raises:
            PlanError: --pace and --length both given.
        """
        given = cls(**params)
        return cls(check_speed(given.pace, given.length), *given.as_args()[1:])

    def as_args(self) -> tuple[float | None, float | None, int, str | None, str]:
        """In ``prepare``'s order."""
        return self.pace, self.length, self.rate, self.voice, self.engine


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


def spoken_credit(speech: SpeechCache) -> str:
    """What an exported file's comment says of the voice that speaks it (empty: nothing)."""
    return engine_kind(speech.settings.engine).credit(speech.settings.voice)


def speaker(
    language: str, voice: str | None, engine: str = DEFAULT_ENGINE
) -> tuple[str | None, str]:
    """The voice and engine that speak ``language``: ``voice`` if given; else a voice of
    another engine that the user's settings of it prefer (``neural = true``: the Piper
    voice for the language), unless --engine says which; else the engine's voice for it."""
    voice, engine = split_voice(varied(voice, language, engine), engine)
    if voice is None and engine == DEFAULT_ENGINE and not _chosen("engine"):
        found = preferred_voice(language)
        if found is not None:
            kind, _, preferred = found
            return preferred, kind.name
    return voice or engine_kind(engine).default_voice(language), engine


def varied(voice: str | None, language: str, engine: str = DEFAULT_ENGINE) -> str | None:
    """``+f3``, a variant alone: the engine's own voice for ``language``, so varied
    (``gmw/en-us+f3`` for an English routine); any other voice as it is."""
    named, kind = split_voice(voice, engine)
    if named is None or not named.startswith("+"):
        return voice
    prefix = (voice or "")[: len(voice or "") - len(named)]  # an engine named before it
    base = engine_kind(kind).default_voice(language)
    if base is not None:
        return f"{prefix}{base}{named}"
    # the engine speaks its own voice for the language: the engine says which it varies
    describe: Callable[[str], Voice] | None = getattr(engine_kind(kind).start(), "voice", None)
    return voice if describe is None else f"{prefix}{describe(named).id}"


def preferred_voice(language: str) -> tuple[EngineKind, dict[str, Any], str] | None:
    """The voice an engine's settings prefer for ``language`` (a voice `coach voices get`
    got, ``neural = true``): the engine, its settings in force, and the voice; None: none."""
    for kind, options in preferring_kinds():
        voice = kind.prefer(language, options)
        if voice is not None:
            return kind, options, voice
    return None


def preferring_kinds() -> list[tuple[EngineKind, dict[str, Any]]]:
    """The engines whose preference is asked: those the user set some of, then the
    built-in ones with their settings as they stand (a voice got is a voice preferred)."""
    asked = configured_kinds(ENGINES)
    named = {kind.name for kind, _ in asked}
    settings = current_settings()
    for kind in ENGINES.kinds(installed=False):
        if kind.name not in named:
            asked.append((kind, settings.in_force(kind.settings)))
    return asked


def _chosen(name: str) -> bool:
    """The user chose this setting: on the command line, in the config or the environment."""
    return _given(name) or current_settings().configured(name) is not None


def _given(param: str) -> bool:
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.get_parameter_source(param) is ParameterSource.COMMANDLINE


def configured_kinds(kinds: Registry[K]) -> list[tuple[K, dict[str, Any]]]:
    """The extensions some of whose own settings the user set, each with its settings in
    force; none are loaded (nor packages scanned) where the user set none of a kind's."""
    settings = current_settings()
    core = {key.name for key in core_keys()}
    named = {
        name
        for name, setting in settings.values.items()
        if setting.source != "default" and name not in core
    }
    if not named:
        return []
    return [
        (kind, settings.in_force(kind.settings))
        for kind in kinds.kinds()
        if any(key.name in named for key in kind.settings)
    ]


def check_speed(pace: float | None, length: float | None) -> float | None:
    """The pace to plan at: --length wins over a pace from the config, not over --pace."""
    if pace is not None and length is not None:
        ctx = click.get_current_context(silent=True)
        if ctx is not None and ctx.get_parameter_source("pace") is ParameterSource.DEFAULT_MAP:
            return None
        raise PlanError("--pace and --length both set the speed; give one of them")
    if pace is not None:
        Pacing(pace)  # nan passes click's range: refused here, before any device is opened
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
    draft: Draft | None = None,
    ways: tuple[str, ...] = (),
) -> Session:
    """Load (unless loaded), plan and render: a bar shows on a terminal while speech renders.

    ``live``: the session can change pace under way; what that may say is in it where it is
    cached, and is rendered while it plays otherwise (``render.later``).
    ``speech``: the cache to render with (``session_speech``'s, by default).
    ``draft``: the session already drafted with these options (not drafted again).
    ``ways``: how the live session goes on after a pause (its open sources' ways).
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
            draft=draft,
            ways=ways,
            defer=live,  # what only a change of pace says: rendered as it plays (LiveRun)
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
    voice = varied(voice, language, engine) or voice
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
