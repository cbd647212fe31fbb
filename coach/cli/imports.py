"""coach import: routines of your own from the workouts people already have."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from coach.cli.group import cli, configured, current_settings
from coach.cli.options import prepare
from coach.cli.routines import new_target
from coach.errors import PlanError, Problem, RoutineError, TargetError, UsageError
from coach.files import check_new_file, write_text_atomic
from coach.routine.imports import FORMATS, Imported, import_file
from coach.routine.reader import load_routine
from coach.speech.engine import DEFAULT_ENGINE, DEFAULT_RATE_WPM


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--format",
    "form",
    type=click.Choice(sorted(FORMATS)),
    help="The file's format: jawt (Just Another Workout Timer's JSON) or apg "
    "(audio-program-generator's 'phrase; seconds' lines). Default: told by the content.",
)
@click.option("--name", help="The routine's name (default: from its title or file name).")
@click.option("--force", is_flag=True, help="Replace your routine of that name.")
def import_(file: Path, form: str | None, name: str | None, force: bool) -> None:
    """Make routines of your own from another app's workouts (JAWT JSON, apg phrase files).

    JAWT is Just Another Workout Timer (its exported .json); apg is
    audio-program-generator ('phrase; seconds' a line). Each routine goes to your
    routines folder, checked as `coach check` would, and its path is printed.
    What could not map as it was is said, item by item, on stderr. Nothing is
    written unless every routine in the file can be.

    \b
    Examples:
      coach import Backup.json                  # a JAWT export: one routine a workout
      coach import meditation.txt --name calm   # apg's phrase file
      coach play calm
    """
    shelf = current_settings().shelf
    made = import_file(file, form)
    if name is not None:
        if len(made) > 1:
            raise UsageError(
                f"{file}: holds {len(made)} workouts; --name names one routine, so leave it "
                "out (each is named by its title)"
            )
        made = [Imported(name, made[0].text, made[0].notes)]
    targets = [new_target(routine.name, shelf, force=force) for routine in made]
    for routine in made:
        _check(file, routine)
    for target, routine in zip(targets, made, strict=True):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            check_new_file(target, force=force, hint=f"{routine.name}.yaml")
        except OSError as err:
            raise TargetError(f"{target.parent}: cannot write there: {err.strerror}") from err
    for target, routine in zip(targets, made, strict=True):
        try:
            write_text_atomic(target, routine.text)
        except OSError as err:
            raise TargetError(f"{target}: cannot write it: {err.strerror}") from err
        for note in routine.notes:
            click.echo(f"coach import: {file}: {routine.name}: {note}", err=True)
        click.echo(target)


def _check(file: Path, routine: Imported) -> None:
    """The routine read and planned at pace 1 as `coach check` would, before it is written.

    Raises:
        RoutineError: it cannot be played (a fault of the import: said as the file's).
    """
    with tempfile.TemporaryDirectory(prefix="coach-import-") as folder:
        draft = Path(folder) / f"{routine.name}.yaml"
        draft.write_text(routine.text, encoding="utf-8")
        try:
            loaded = load_routine(draft, current_settings().shelf)
            prepare(
                loaded,
                None,
                None,
                configured("rate") or DEFAULT_RATE_WPM,
                configured("voice"),
                configured("engine") or DEFAULT_ENGINE,
            )
        except (RoutineError, PlanError) as err:
            first = str(err).splitlines()[0].replace(str(draft), routine.name)
            raise RoutineError(
                [Problem(str(file), 0, f"cannot be made into a routine coach plays: {first}")]
            ) from err
