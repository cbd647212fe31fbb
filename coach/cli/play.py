"""Commands for sessions played: play, and the history of them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from coach.cli.group import DEFAULT_ROUTINE, cli
from coach.cli.live import (
    LiveRun,
    check_live_outputs,
    export_instead,
    history_path,
    record_played,
    say_stopped,
)
from coach.cli.options import (
    SessionOptions,
    complete_routines,
    kind_options,
    kind_settings,
    part_options,
    read_part,
    session_options,
)
from coach.control.sources import wanted_sources
from coach.errors import CoachError
from coach.history import Damaged, Entry, history_problem, newest_history, scan_history
from coach.play.stream import AlsaStream
from coach.timeline.schedule import minutes_seconds, pace_text


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE, shell_complete=complete_routines)
@session_options
@part_options
@click.option(
    "--fallback",
    type=click.Path(path_type=Path),
    metavar="FILE.wav",
    help="With no audio output, write the session to this file instead of failing.",
)
@click.option("--force", is_flag=True, help="Replace the --fallback and --log files if they exist.")
@click.option("--quiet", is_flag=True, help="Show nothing while playing.")
@click.option(
    "--control",
    "controls",
    metavar="SOURCE",
    multiple=True,
    help="Also take commands from this source (the terminal's keys always count).",
)
@kind_options("play")
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write each fired event as a JSON line (planned and actual time), flushed as it goes.",
)
def play(
    routine: str,
    from_exercise: str | None,
    to_exercise: str | None,
    fallback: Path | None,
    force: bool,
    quiet: bool,
    controls: tuple[str, ...],
    log_path: Path | None,
    **params: Any,
) -> None:
    """Play a session out loud: every cue and chime on time, hands-free.

    ROUTINE defaults to smr-legs. Keys, no Enter needed: space pauses and
    resumes, n skips to the next exercise, b restarts this one, q quits;
    with --listen, say the same in words ("pause", "next", "stop").
    Ctrl-C stops at once. With no audio output, --fallback writes the session
    to a file instead (--force replaces one left by an earlier run).

    \b
    Examples:
      coach play
      coach play smr-back --pace 0.75 --rate 140
      coach play smr-full --from lats
      coach play --fallback legs.wav --force
      coach play --listen --wake-word coach
    """
    settings = kind_settings("play", params)
    options = SessionOptions.checked(params)
    check_live_outputs(routine, fallback, log_path, force=force)
    sources = wanted_sources(controls, settings)  # each said before anything is rendered
    loaded = read_part(routine, from_exercise, to_exercise)  # --fallback writes the same part
    try:
        output = AlsaStream()
    except CoachError as err:
        export_instead(err, loaded, options, fallback, force)
        return
    try:
        run = LiveRun(loaded, options, output, sources, settings, log_path, quiet)
        played, timeline = run.play()
    finally:
        output.close()  # what is still playing plays out
    record_played(run.started, timeline, played)
    say_stopped(played, timeline, log_path)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON lines.")
@click.option(
    "--last",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only the newest N sessions, newest first.",
)
def history(as_json: bool, last: int | None) -> None:
    """List the sessions you played: date, routine, pace, how far you got.

    Oldest first; --last N shows the newest N, newest first.

    \b
    Examples:
      coach history --last 5
      coach history --json | tail -1
    """
    path = history_path()
    found = scan_history(path) if last is None else iter(newest_history(path, last))
    damaged: list[int] = []
    shown = 0
    for item in found:
        if isinstance(item, Damaged):
            damaged.append(item.line)
            continue
        shown += 1
        click.echo(json.dumps(asdict(item)) if as_json else _history_line(item))
    if not shown and not damaged:
        problem = history_problem(path)
        if problem is not None:
            click.echo(f"coach: warning: {problem}; move it away to record sessions", err=True)
        else:
            click.echo(f"coach: no sessions yet; each `coach play` adds one to {path}", err=True)
    if damaged:
        damaged.sort()
        lines = ", ".join(str(n) for n in damaged[:5]) + (", …" if len(damaged) > 5 else "")
        click.echo(
            f"coach: warning: {path}: skipped {len(damaged)} damaged "
            f"line{'s' * (len(damaged) > 1)} ({lines}); they stay in the file",
            err=True,
        )


def _history_line(entry: Entry) -> str:
    pace = pace_text(entry.pace) + (
        f"→{pace_text(entry.pace_end)}" if entry.pace_end is not None else ""
    )
    if entry.completed:
        reached = "complete"
    elif not entry.stopped_by:
        reached = "reached the end"
    else:
        share = entry.reached_s / entry.total_s if entry.total_s else 0
        reached = f"stopped at {minutes_seconds(entry.reached_s)} ({share:.0%})"
    if entry.played_s is not None:
        reached += f" in {minutes_seconds(entry.played_s)}"
    if entry.skipped:
        reached += "; skipped " + ", ".join(entry.skipped)
    if entry.repeated:
        reached += "; again " + ", ".join(entry.repeated)
    return (
        f"{entry.started[:16].replace('T', ' ')}  {entry.routine:<12} "
        f"pace {pace:<9} {minutes_seconds(entry.total_s):>6}  {reached}"
    )
