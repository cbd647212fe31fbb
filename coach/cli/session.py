"""Commands for a session on paper or in a file: show (the schedule) and export (audio)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from coach.cli.group import DEFAULT_ROUTINE, cli, configured
from coach.cli.options import (
    check_speed,
    complete_routines,
    part_options,
    prepare,
    read_part,
    routine_file,
    session_options,
    session_speech,
    spoken_credit,
)
from coach.cli.progress import Progress
from coach.errors import (
    OutputError,
)
from coach.export.chapters import format_vtt
from coach.export.formats import format_names, sample_rates
from coach.export.writer import check_target, export_session
from coach.files import check_distinct, check_new_file, write_text_atomic
from coach.timeline.schedule import (
    format_schedule,
    minutes_seconds,
    timeline_json,
)


class RegistryChoice(click.Choice[str]):
    """Choices the registry knows (formats, their rates), looked up when given or shown."""

    def __init__(self, options: Callable[[], Sequence[str]]) -> None:
        self.options = options
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.options())

    @choices.setter
    def choices(self, value: tuple[str, ...]) -> None:
        pass  # click's __init__ sets them; the registry is the one list


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE, shell_complete=complete_routines)
@session_options
@part_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
def show(
    routine: str,
    from_exercise: str | None,
    to_exercise: str | None,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
    engine: str,
    as_json: bool,
) -> None:
    """Show the schedule of a session: every cue and chime with its time.

    ROUTINE is a bundled name (see `coach list`) or a routine file.

    \b
    Examples:
      coach show smr-legs --pace 2
      coach show smr-legs --length 10m --json > legs.json
      coach show smr-full --from lats
    """
    loaded = read_part(routine, from_exercise, to_exercise)
    speech = session_speech(loaded, rate, voice, engine)
    session = prepare(loaded, pace, length, rate, voice, engine, speech=speech)
    if as_json:
        spoken_by = {"engine": speech.settings.engine, "voice": speech.settings.voice}
        click.echo(json.dumps(timeline_json(session.timeline) | spoken_by, indent=2))
    else:
        click.echo(format_schedule(session.timeline))


def check_outputs(
    routine: str,
    target: Path,
    format_name: str | None,
    rate_hz: int | None,
    cues_path: Path | None,
    *,
    force: bool,
) -> str | None:
    """Every output checked before any work (paths, format, rate), so nothing fails halfway;
    the format to write (the config's, for a file name with no known ending).

    Raises:
        TargetError: an output cannot be written as asked.
    """
    check_distinct({"ROUTINE": routine_file(routine), "-o": target, "--cues": cues_path})
    if format_name is None and target.suffix.lstrip(".").lower() not in format_names():
        format_name = configured("format")
    check_target(target, force=force, format_name=format_name, sample_rate_hz=rate_hz)
    if cues_path is not None:
        check_new_file(cues_path, force=force, hint="session.vtt")
    return format_name


@cli.command()
@click.argument("routine", default=DEFAULT_ROUTINE, shell_complete=complete_routines)
@click.option(
    "-o",
    "--output",
    "target",
    required=True,
    type=click.Path(path_type=Path),
    help="The audio file to write; its ending names the format (see --format).",
)
@click.option(
    "--format",
    "format_name",
    type=RegistryChoice(lambda: sorted(format_names())),
    help="The format, whatever the file name says.",
)
@click.option(
    "--sample-rate",
    type=RegistryChoice(lambda: [str(rate) for rate in sample_rates()]),
    help="Samples a second; by default the speech's own (smallest for the same quality) "
    "where the format carries it, else the format's nearest above it.",
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
@part_options
def export(
    routine: str,
    target: Path,
    from_exercise: str | None,
    to_exercise: str | None,
    format_name: str | None,
    sample_rate: str | None,
    cues_path: Path | None,
    force: bool,
    pace: float | None,
    length: float | None,
    rate: int,
    voice: str | None,
    engine: str,
) -> None:
    """Write a whole session to an audio file, to play on any device.

    MP3 files carry ID3 chapters and Ogg/FLAC files chapter comments, one per
    exercise side, so podcast and audiobook players can skip between them.

    \b
    Examples:
      coach export smr-legs -o legs.mp3
      coach export smr-full --length 20m -o short.ogg --cues short.vtt --force
      coach export smr-full --from lats -o back.mp3
    """
    pace = check_speed(pace, length)
    rate_hz = int(sample_rate) if sample_rate else None
    format_name = check_outputs(routine, target, format_name, rate_hz, cues_path, force=force)
    loaded = read_part(routine, from_exercise, to_exercise)
    speech = session_speech(loaded, rate, voice, engine)
    session = prepare(loaded, pace, length, rate, voice, engine, speech=speech)
    with Progress(sys.stderr) as progress:
        result = export_session(
            session,
            target,
            force=force,
            format_name=format_name,
            sample_rate_hz=rate_hz,
            progress=progress.update,
            credit=spoken_credit(speech),
        )
    if cues_path is not None:
        try:
            write_text_atomic(cues_path, format_vtt(session.timeline))
        except OSError as err:  # checked before the work: only the disk can fail it now
            raise OutputError(
                f"{cues_path}: cannot write: {err.strerror}; the audio is in {result.path}"
            ) from err
    click.echo(f"wrote {result.path} ({minutes_seconds(result.duration_s)})", err=True)
