"""The command line's group: its commands, loaded only when one is run; errors become one line.

Start-up stays light (``coach --help`` imports click and this module): each
command's module is imported when that command is run or completed, and the
group's help lists them from ``COMMANDS`` without importing any.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coach import __version__
from coach.errors import CoachError, RoutineError, Terminated

if TYPE_CHECKING:
    from coach.cli.config import Settings
    from coach.registry import Registry
    from coach.settings import Key

DEFAULT_ROUTINE = "smr-legs"
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

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


class CoachSubgroup(click.Group):
    """A command with commands of its own (``coach voices get``): a config problem is said
    as for any command, before the group's own work or its commands'."""

    command_class = CoachCommand

    def invoke(self, ctx: click.Context) -> Any:
        problem = ctx.meta.get(CONFIG_ERROR)
        if problem is not None:
            raise problem
        return super().invoke(ctx)


COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "coach.cli.routines",
        "Check routine files: every problem, as file:line: what is wrong.",
    ),
    "completion": (
        "coach.cli.settings",
        "Print a script that completes coach's commands, options, routines and voices.",
    ),
    "config": (
        "coach.cli.settings",
        "Show each setting in force and where it came from: default, file or environment.",
    ),
    "edit": (
        "coach.cli.routines",
        "Open one of your routines in $EDITOR, and check it when you save.",
    ),
    "export": (
        "coach.cli.session",
        "Write a whole session to an audio file, to play on any device.",
    ),
    "history": (
        "coach.cli.play",
        "List the sessions you played: date, routine, pace, how far you got.",
    ),
    "import": (
        "coach.cli.imports",
        "Make routines of your own from another app's workouts (JAWT JSON, apg phrase files).",
    ),
    "list": (
        "coach.cli.routines",
        "List your routines and the bundled ones: length at pace 1, language, title.",
    ),
    "new": (
        "coach.cli.routines",
        "Start a routine of your own in your routines folder, and print its path.",
    ),
    "play": ("coach.cli.play", "Play a session out loud: every cue and chime on time, hands-free."),
    "show": (
        "coach.cli.session",
        "Show the schedule of a session: every cue and chime with its time.",
    ),
    "voices": (
        "coach.cli.voices",
        "List the voices you can pass to --voice (the default for each language is marked).",
    ),
}
"""Each command: the module that defines it, and the first sentence of its help (a test
checks each against the command's own)."""


class CoachGroup(click.Group):
    """The one place where errors turn into messages: no traceback unless --debug.

    Its commands are loaded lazily, by name, from ``COMMANDS``.
    """

    command_class = CoachCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:
            # click suggests only among the commands loaded so far: here, among them all
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise click.UsageError(f"no such command {name!r}{hint}", ctx)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])  # it adds its commands to the group
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their lines as click writes them, without importing their modules."""
        commands = [
            self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            for name in self.list_commands(ctx)
        ]
        shown = [command for command in commands if not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(command.name or "") for command in shown)
            with formatter.section("Commands"):
                formatter.write_dl(
                    [(command.name or "", command.get_short_help_str(limit)) for command in shown]
                )

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:  # the group's own options: coach --bogus
            _say_usage(err)
            raise click.exceptions.Exit(err.exit_code) from None

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # a command's options, arguments or name
            _say_usage(err)
            ctx.exit(err.exit_code)
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
        except Terminated:
            # SIGTERM before a session began (rendering, exporting): said, as Ctrl-C is
            click.echo("coach: stopped", err=True)
            raise


def _say_usage(err: click.UsageError) -> None:
    """Click's usage error as one line, like coach's own: what is wrong, where help is.

    Running ``coach`` alone still prints the help, as click does."""
    if isinstance(err, click.exceptions.NoArgsIsHelpError):
        err.show()
        return
    message = " ".join(err.format_message().split()).rstrip(".")
    message = re.sub(r"\.? Did you mean ([^?]*)\?", r" (did you mean \1?)", message)
    where = err.ctx.command_path if err.ctx is not None else "coach"
    click.echo(f"coach: {message[:1].lower()}{message[1:]}; see `{where} --help`", err=True)


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
    from coach.cli.config import ConfigError, Settings, default_settings, load_config

    try:
        settings = load_config(config_path(), os.environ, config_keys(), every_key)
    except ConfigError as err:
        # Said when a command runs (CoachCommand): --help and completion still work.
        ctx.meta[CONFIG_ERROR] = err
        settings = default_settings(config_keys())
    ctx.obj = Settings(settings)
    # Options a command does not get on its command line come from here (click's default_map).
    speed = {name: configured(name) for name in ("pace", "rate", "voice", "engine")}
    speed = {name: value for name, value in speed.items() if value is not None}
    sample_rate = configured("sample-rate")
    ctx.default_map = {
        "show": dict(speed),
        "play": dict(speed),
        "export": speed | ({"sample_rate": sample_rate} if sample_rate else {}),
        "list": {"rate": speed["rate"]} if "rate" in speed else {},
    }
    for setting in settings.values():  # each kind's options, as its settings say
        if setting.key.option is not None and setting.source != "default":
            for command in setting.key.commands:
                ctx.default_map.setdefault(command, {})[setting.key.param] = setting.value


def registries() -> tuple[Registry[Any], ...]:
    """The three kinds of extension: speech engines, command sources, export formats."""
    from coach.control.sources import SOURCES
    from coach.export.formats import FORMATS
    from coach.speech.engine import ENGINES

    return ENGINES, SOURCES, FORMATS


@functools.cache
def core_keys() -> tuple[Key, ...]:
    """coach's own settings (formats and sample rates as the encoders know them)."""
    from coach.cli.config import keys
    from coach.export.formats import format_names, sample_rates

    return keys(format_names, sample_rates)


@functools.cache
def config_keys() -> tuple[Key, ...]:
    """coach's own settings, then those its built-in kinds declare."""
    built_in = (key for kinds in registries() for key in kinds.settings(installed=False))
    return core_keys() + tuple(built_in)


@functools.cache
def every_key() -> tuple[Key, ...]:
    """``config_keys`` and the settings of installed packages' kinds (it scans packages)."""
    known = config_keys()
    names = {key.name for key in known}
    found = (key for kinds in registries() for key in kinds.settings())
    return known + tuple(key for key in found if key.name not in names)


def config_path() -> Path:
    """``COACH_CONFIG``, else ``config.toml`` in the user's config folder."""
    given = os.environ.get("COACH_CONFIG")
    import platformdirs

    return Path(given) if given else Path(platformdirs.user_config_dir("coach")) / "config.toml"


def current_settings() -> Settings:
    """The settings the group read for this command (the defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    from coach.cli.config import Settings, default_settings

    found = ctx.find_object(Settings) if ctx is not None else None
    return found if found is not None else Settings(default_settings(config_keys()))


def configured(name: str) -> Any:
    """A setting's value from the config file or environment; None when it is not set there."""
    return current_settings().configured(name)
