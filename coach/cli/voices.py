"""``coach voices``: the voices you have, the ones you can get, getting and removing one."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import click

from coach.cli.group import CoachSubgroup, cli, configured
from coach.cli.progress import Progress
from coach.language.table import REGIONAL_VOICES, TABLE, asked_for
from coach.speech.engine import DEFAULT_ENGINE, engine_kind


@cli.group(cls=CoachSubgroup, invoke_without_command=True)
@click.option("--language", metavar="TAG", help="Only voices for this language, like de or pt-BR.")
@click.option(
    "--engine", metavar="NAME", help="The speech engine's voices (default: the config's)."
)
@click.option(
    "--variants",
    is_flag=True,
    help="List the variants any voice takes after + instead (eSpeak NG: gmw/en-us+f3).",
)
@click.option(
    "--available",
    is_flag=True,
    help="List the natural voices `coach voices get` can fetch: size, quality, data licence.",
)
@click.pass_context
def voices(
    ctx: click.Context, language: str | None, engine: str | None, variants: bool, available: bool
) -> None:
    """List the voices you can pass to --voice (the default for each language is marked).

    \b
    Examples:
      coach voices | grep en-
      coach voices --language de
      coach voices --variants            # then: --voice gmw/en-us+f3
      coach voices --available           # natural voices to get
      coach voices get en_US-ljspeech-medium
    """
    if ctx.invoked_subcommand is not None:
        return
    if available:
        list_available(language)
        return
    kind = engine_kind(engine or configured("engine") or DEFAULT_ENGINE)
    if variants:
        listed = getattr(kind.start(), "variants", None)
        if listed is None:
            raise click.UsageError(f"the {kind.name} engine's voices have no variants")
        for name, description in listed():
            click.echo(f"+{name:<23} {description}")
        return
    defaults = {kind.default_voice(tag) for tag in [*TABLE, *REGIONAL_VOICES]}
    shown = 0
    for voice in kind.start().voices():
        if language is not None and not any(asked_for(tag, language) for tag in voice.languages):
            continue
        mark = "  (default for its language)" if voice.id in defaults else ""
        click.echo(f"{voice.id:<24} {voice.name}{mark}")
        shown += 1
    if not shown:
        which = f" for {language!r}" if language is not None else ""
        fix = kind.get_voices() or "`coach voices` lists them all, with their languages"
        click.echo(f"coach: no {kind.name} voices{which}; {fix}", err=True)


def list_available(language: str | None) -> None:
    """The catalogue's voices, one a line: id, language, quality, size, licence, got or not."""
    from coach.speech.catalogue import catalogue, for_language
    from coach.speech.voice_get import installed

    listed = for_language(language)
    for voice in listed:
        got = "  (got)" if installed(voice.id) else ""
        credit = f"; credit: {voice.attribution}" if voice.attribution else ""
        click.echo(
            f"{voice.id:<24} {voice.language:<6} {voice.quality:<7} {voice.size_mb:>4} MB  "
            f"data: {voice.card_licence} ({voice.training}){credit}{got}"
        )
    if not listed:
        languages = ", ".join(sorted({v.language for v in catalogue()}))
        click.echo(
            f"coach: no natural voice for {language!r} yet, only for {languages}: none of the "
            "others has a licence-clean voice (the README's Neural voices says why); "
            "eSpeak NG speaks every language coach does",
            err=True,
        )


def catalogue_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from coach.speech.catalogue import catalogue

    return [voice.id for voice in catalogue() if voice.id.startswith(incomplete)]


def got_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from coach.speech.catalogue import catalogue
    from coach.speech.voice_get import installed

    return [v.id for v in catalogue() if v.id.startswith(incomplete) and installed(v.id)]


@voices.command()
@click.argument("voice_id", metavar="ID", shell_complete=catalogue_ids)
def get(voice_id: str) -> None:
    """Download a natural voice (see --available), verify it and install it.

    It comes from Piper's voice repository (or voices-url, COACH_VOICES_URL); a
    download that broke off goes on where it stopped. Once you have a voice for a
    routine's language, show, export and play speak with it (neural = false: never).

    \b
    Examples:
      coach voices get en_US-ljspeech-medium
      COACH_VOICES_URL=http://mirror.lan/piper-voices/ coach voices get en_US-ljspeech-medium
    """
    from coach.speech.voice_fetch import Plan, base_url
    from coach.speech.voice_get import get as fetch

    bars = contextlib.ExitStack()

    def progress(plan: Plan) -> Callable[[int], None]:
        label = f"getting {plan.voice.id} ({plan.size / 1e6:.0f} MB)"
        bar = bars.enter_context(Progress(sys.stderr, label))
        received = 0

        def told(count: int) -> None:
            nonlocal received
            received += count
            bar.update(received / plan.size)

        return told

    with bars:
        folder, got = fetch(voice_id, base_url(configured("voices-url")), progress=progress)
    if got is None:
        click.echo(f"coach: you have {voice_id} already, in {folder}", err=True)
        return
    voice = got.voice
    click.echo(
        f"coach: got {voice.id} ({got.size / 1e6:.1f} MB, verified; its data: "
        f"{voice.card_licence}, {voice.dataset.split(':')[0]}) into {folder}",
        err=True,
    )
    click.echo(f"coach: {_heard(voice.id, voice.language)}", err=True)


def _heard(voice_id: str, language: str) -> str:
    """What the user hears now: the voice got, for routines in ``language``, or why not."""
    from importlib.util import find_spec

    from coach import DISTRIBUTION
    from coach.cli.options import speaker

    if (
        speaker(language, configured("voice"), configured("engine") or DEFAULT_ENGINE)[0]
        == voice_id
    ):
        return f"routines in {language} are spoken with it now (--engine espeak: not)"
    if find_spec("onnxruntime") is None:
        return (
            f"to hear it, install the neural extra: pip install '{DISTRIBUTION}[neural]' "
            "(into coach's own environment, e.g. .venv/bin/pip install -e '.[neural]')"
        )
    return "your settings choose another voice for its routines; `coach config` says which"


@voices.command()
@click.argument("voice_id", metavar="ID", shell_complete=got_ids)
def remove(voice_id: str) -> None:
    """Remove a voice that `coach voices get` installed.

    \b
    Examples:
      coach voices remove en_US-ljspeech-medium
    """
    from coach.speech.voice_get import remove as take_away

    folder = take_away(voice_id)
    click.echo(f"coach: removed {voice_id} ({folder})", err=True)
