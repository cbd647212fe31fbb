"""Commands for settings: config, completion and voices."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from click.shell_completion import get_completion_class

from coach.cli.config import Settings, load_config
from coach.cli.group import cli, config_path, every_key
from coach.language.table import TABLE
from coach.settings import flag


class SettingsHelp(click.Command):
    """Help that ends with every setting there is, as coach and each kind declare it."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Settings (in the config file, or as a variable)"):
            formatter.write_dl([(f"{k.name}, {k.variable}", k.meaning) for k in every_key()])
        super().format_epilog(ctx, formatter)


def settings_table() -> str:
    """Every setting as a Markdown table, for the README (a test keeps the two the same)."""
    rows = ["| setting | variable | meaning |", "| --- | --- | --- |"]
    for key in every_key():
        option = f" ({key.option.split('/')[0]})" if key.option else ""
        rows.append(f"| `{key.name}`{option} | `{key.variable}` | {key.meaning} |")
    return "\n".join(rows) + "\n"


@cli.command("config", cls=SettingsHelp)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.option("--markdown", is_flag=True, hidden=True, help="Print the README's settings table.")
def show_config(as_json: bool, markdown: bool) -> None:
    """Show each setting in force and where it came from: default, file or environment.

    The config file is TOML (set COACH_CONFIG to use another); each setting's
    COACH_ variable overrides it, and a command's own options override both.

    \b
    Examples:
      coach config
      COACH_RATE=140 coach config --json
    """
    if markdown:
        click.echo(settings_table(), nl=False)
        return
    settings = Settings(load_config(config_path(), os.environ, every_key()))
    shown = {
        name: str(setting.value) if isinstance(setting.value, Path) else setting.value
        for name, setting in settings.values.items()
    }
    shown["routines"] = str(settings.shelf.user_dir)
    chosen = preferred_voices(settings)
    if as_json:
        items = [
            {"name": name, "value": shown[name], "source": setting.source}
            for name, setting in settings.values.items()
        ]
        document = {"file": str(config_path()), "settings": items, "voices": chosen}
        click.echo(json.dumps(document, indent=2))
        return
    found = "" if config_path().is_file() else " (none yet)"
    click.echo(f"config file: {config_path()}{found}")
    values = {
        name: setting.key.unset if shown[name] is None else as_written(shown[name])
        for name, setting in settings.values.items()
    }
    names_w = max(map(len, values))
    values_w = max(map(len, values.values()))
    for name, setting in settings.values.items():
        click.echo(f"{name:<{names_w}}  {values[name]:<{values_w}}  {setting.source}")
    if chosen:
        click.echo("voices preferred by your settings (for routines in these languages):")
        for row in chosen:
            click.echo(f"  {row['language']:<3} {row['engine']} {row['voice']}  ({row['because']})")


def preferred_voices(settings: Settings) -> list[dict[str, str]]:
    """The voice each language is spoken with where an engine's settings prefer one (a voice
    `coach voices get` got, ``neural = true``), and which settings make it so; none where
    the voice or engine setting decides for every language."""
    if settings.configured("voice") is not None or settings.configured("engine") is not None:
        return []
    from coach.cli.options import preferred_voice

    rows = []
    for language in TABLE:
        found = preferred_voice(language)
        if found is None:
            continue
        kind, options, voice = found
        said = [
            f"{key.name} = {as_written(options[key.name])}, from {settings.values[key.name].source}"
            if options.get(key.name) is not None
            else f"{key.name} unset: {key.unset}"
            for key in kind.settings
            if key.is_flag or key.parse is flag
        ]
        because = "; ".join(said) or "its settings"
        rows.append({"language": language, "engine": kind.name, "voice": voice, "because": because})
    return rows


def as_written(value: object) -> str:
    """A value as the config file writes it: ``true``, not Python's ``True``."""
    return str(value).lower() if isinstance(value, bool) else str(value)


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
