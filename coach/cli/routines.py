"""Commands for routines: list, new, edit and check."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from pathlib import Path

import click
import platformdirs

from coach import __version__
from coach.cli.group import cli, configured, current_settings
from coach.cli.options import (
    complete_routines,
    configured_kinds,
    make_speech,
    prepare,
    read_routine,
    speaker,
)
from coach.cli.progress import Progress
from coach.durations import format_duration
from coach.errors import (
    PlanError,
    Problem,
    RoutineError,
    TargetError,
    UsageError,
)
from coach.files import check_new_file, write_text_atomic
from coach.language.phrases import Written
from coach.language.table import phrases_for
from coach.render.build import build_session, load_sounds, session_texts
from coach.resources import (
    bundled_routines,
    routines_folder_problem,
)
from coach.routine.library import (
    MAX_NAME_CHARS,
    list_library,
    moved_includes,
    user_file_for,
    valid_name,
)
from coach.routine.model import Routine
from coach.routine.shelf import Shelf, find_routine
from coach.routine.source import MAX_FILE_BYTES
from coach.routine.walk import times
from coach.speech.cache import SpeechCache, speech_identity
from coach.speech.engine import (
    DEFAULT_ENGINE,
    DEFAULT_RATE_WPM,
    ENGINES,
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    engine_kind,
)
from coach.timeline.schedule import minutes_seconds


class ListedSpeech:
    """The speech `coach list` measures every routine with: one cache per voice, shared by
    every routine it speaks, and everything they say rendered together, in parallel, once."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.sounds = load_sounds()
        self.kind = engine_kind(configured("engine") or DEFAULT_ENGINE)
        self.caches: dict[tuple[str | None, str], SpeechCache] = {}

    @property
    def key(self) -> str:
        """What every length listed depends on besides the routines' files."""
        preferences = [f"{kind.name}={options}" for kind, options in configured_kinds(ENGINES)]
        said_by = f"{configured('voice')}|{configured('language')}|{preferences}"
        return f"{__version__}|{self.rate}|{said_by}|{speech_identity(self.kind)}"

    def speech_for(self, routine: Routine) -> SpeechCache:
        said_by = speaker(routine.language, configured("voice"), self.kind.name)
        if said_by not in self.caches:
            self.caches[said_by] = make_speech(self.rate, *said_by)
        return self.caches[said_by]

    def prepare(self, routines: list[Routine]) -> None:
        texts: dict[SpeechCache, list[str]] = {}
        for routine in routines:
            speech = self.speech_for(routine)
            texts.setdefault(speech, []).extend(session_texts(routine, self.sounds, self.rate))
        with Progress(sys.stderr, "preparing speech") as progress:
            for speech, wanted in texts.items():
                speech.render_all(wanted, progress.update)

    def measure(self, routine: Routine) -> float:
        return build_session(routine, self.speech_for(routine), self.sounds).timeline.total_s


@cli.command("list")
@click.option(
    "--rate",
    type=click.IntRange(MIN_RATE_WPM, MAX_RATE_WPM),
    default=DEFAULT_RATE_WPM,
    hidden=True,
)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_routines(rate: int, as_json: bool) -> None:
    """List your routines and the bundled ones: length at pace 1, language, title.

    Your own live in the routines folder (`coach new` starts one there); one with
    a bundled routine's name is played instead of it, and the list says so. A
    routine with a problem is listed with the first one.

    \b
    Examples:
      coach list
      coach list --json
    """
    settings = current_settings()
    problem = routines_folder_problem(settings.shelf.user_dir)
    if problem is not None:
        click.echo(
            f"coach: warning: {problem}, so none of your routines are listed; "
            "move it away, or set `routines` in config.toml to a folder",
            err=True,
        )
    speech = ListedSpeech(rate)
    cache = Path(platformdirs.user_cache_dir("coach")) / "list.json"
    listed = list_library(
        speech.measure,
        cache,
        speech.key,
        settings.shelf,
        language=settings.language,
        prepare=speech.prepare,
    )
    if as_json:
        click.echo(json.dumps([item.as_json() for item in listed], indent=2))
        return
    for item in listed:
        source = "user (shadows)" if item.shadows else item.source
        length = "—" if item.problem else minutes_seconds(item.length_s or 0)
        language = "" if item.problem else item.language
        about = item.problem or item.title
        click.echo(f"{item.name:<14} {length:>6}  {language:<5} {source:<14}  {about}")


STARTER = """\
# {name}: a routine for coach. `coach check {name}` checks it, `coach play {name}`
# plays it. The README ("Routines") explains every key; durations read like
# 90s, 2m, 1m30s or "1 minute".
title: {title}                    # spoken at the start
language: en                      # de, fr, es, it, nl, pt, pl or en: what coach speaks
equipment: [a lacrosse ball]      # spoken: "You will need a lacrosse ball."
transition: 15s                   # time to get into position before each exercise
sections:
  - name: Main
    exercises:
      - name: Calves
        setup: Sit with the ball under your left calf.   # said before it starts
        sides: both               # each side gets the whole hold; a chime at the switch
        hold: 1m
        cues:                     # spread through the hold...
          - Roll slowly up and down.
          - at: 30s               # ...or at a time into it
            say: Move the ball to the outside of your calf.
      - name: Upper back
        setup: Lie on your back with the ball between your shoulder blades.
        hold: 1m
        cues: [Breathe slowly and let your back sink onto the ball.]
"""


def new_target(name: str, shelf: Shelf, *, force: bool) -> Path:
    """The file a new routine of this name goes to.

    Raises:
        UsageError: the name cannot be a routine's.
        TargetError: the folder cannot hold routines, or the routine exists (without force).
    """
    if not valid_name(name):
        raise UsageError(
            f'"{name}" is not a routine name; use letters, digits, - and _ (like my-legs)'
        )
    if len(name) > MAX_NAME_CHARS:
        raise UsageError(
            f"that name is {len(name)} characters long; a routine name is at most "
            f"{MAX_NAME_CHARS}, so choose a shorter one"
        )
    problem = routines_folder_problem(shelf.user_dir)
    if problem is not None:
        raise TargetError(
            f"{problem}, so your routines cannot live there; move it away, "
            "or set `routines` in config.toml to a folder"
        )
    target = user_file_for(name, shelf.user_dir)
    if target.exists() and not force:
        raise TargetError(
            f"{target}: already exists; `coach edit {name}` changes it, --force replaces it"
        )
    return target


def copied_text(name: str, source: str, shelf: Shelf) -> str:
    """A copy of routine ``source`` to adapt, its includes still found from the copy's folder.

    Raises:
        RoutineError: the routine has a problem (a broken routine is not a starting point).
    """
    origin = find_routine(source, shelf)
    read_routine(origin)
    copied = moved_includes(origin.read_text(encoding="utf-8"), origin, shelf)
    return f"# {name}: copied from {source} ({origin.resolve()}).\n" + copied


def starter_text(name: str) -> str:
    """The commented starter, which plays as it is."""
    return STARTER.format(name=name, title=name.replace("-", " ").replace("_", " ").capitalize())


@cli.command()
@click.argument("name")
@click.option(
    "--from",
    "source",
    metavar="ROUTINE",
    help="Start from a copy of this routine.",
    shell_complete=complete_routines,
)
@click.option("--force", is_flag=True, help="Replace your routine of that name.")
def new(name: str, source: str | None, force: bool) -> None:
    """Start a routine of your own in your routines folder, and print its path.

    With no --from it is a commented starter that plays as it is; with --from,
    a copy of another routine (bundled or yours) to adapt.

    \b
    Examples:
      coach new my-legs
      coach new my-legs --from smr-legs && coach edit my-legs
    """
    shelf = current_settings().shelf
    target = new_target(name, shelf, force=force)
    text = copied_text(name, source, shelf) if source is not None else starter_text(name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        check_new_file(target, force=force, hint=f"{name}.yaml")
        write_text_atomic(target, text)
    except OSError as err:
        raise TargetError(f"{target.parent}: cannot write there: {err.strerror}") from err
    click.echo(target)


@cli.command()
@click.argument("name", shell_complete=complete_routines)
def edit(name: str) -> None:
    """Open one of your routines in $EDITOR, and check it when you save.

    You edit a copy, put in place only when it checks, as `git commit` does: on
    a problem coach says what and where and offers to open it again, or to keep
    it as it is. Declined, the routine stays as it was (exit status 2) and your
    edit is kept beside it; an edit left empty or deleted changes nothing.

    \b
    Example:
      EDITOR=nano coach edit my-legs
    """
    shelf = current_settings().shelf
    path = find_routine(name, shelf)
    if name in bundled_routines() and name not in shelf.user_routines() and "/" not in name:
        raise UsageError(
            f"{name} is bundled with coach; make your own copy to edit: "
            f"coach new {name} --from {name}"
        )
    real = path.resolve()  # a routine that is a link: the file it names is the one changed
    try:
        before = real.read_bytes()
    except OSError as err:
        raise TargetError(f"{path}: cannot read it: {err.strerror}") from err
    # The draft sits beside the routine, so its includes resolve the same; a dot
    # name keeps it out of `coach list`.
    draft = real.with_name(f".{real.stem}.editing{real.suffix}")
    try:
        draft.write_bytes(before)
        draft.chmod(real.stat().st_mode & 0o7777)
    except OSError as err:
        raise TargetError(f"{real.parent}: cannot write there: {err.strerror}") from err
    try:
        _edit_draft(path, real, draft, before)
    finally:
        with contextlib.suppress(OSError):
            draft.unlink()


def _edit_draft(path: Path, real: Path, draft: Path, before: bytes) -> None:
    """Edit ``draft`` until it checks, then put it in place of ``real``; never lose either."""
    while True:
        _run_editor(draft)
        after = _read_draft(draft)
        if after is None:
            raise TargetError(
                f"{path}: left as it was; the editor put something other than a file in "
                f"place of {draft.name} (a link, FIFO or device)"
            )
        if not after.strip():
            click.echo(f"coach: {path}: the edit left nothing; the routine is unchanged", err=True)
            return
        if after == before:
            click.echo(f"coach: {path}: no changes", err=True)
            return
        try:
            routine = read_routine(draft)
        except RoutineError as err:
            problems = [_named_as(problem, draft, path) for problem in err.problems]
            for problem in problems:
                click.echo(str(problem), err=True)
            if _ask("Edit it again?", default=True):
                continue
            if _ask("Keep it as it is, with these problems?", default=False):
                draft.replace(real)
                raise RoutineError([]) from err
            kept = real.with_name(real.name + ".rejected")
            try:
                draft.replace(kept)
            except OSError:
                raise RoutineError([Problem(str(path), 0, "left as it was")]) from err
            raise RoutineError(
                [Problem(str(path), 0, f"left as it was; your edit is in {kept}")]
            ) from err
        draft.replace(real)
        click.echo(f"{path}: ok ({_summary(routine, phrases_for(routine.language).written)})")
        return


def _read_draft(draft: Path) -> bytes | None:
    """What the editor saved: b"" if it removed the file, None if it left a non-file there.

    Never blocks on a FIFO and never reads more than a routine may hold (the loader
    then says the file is too big).
    """
    try:
        fd = os.open(draft, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        return b""
    except OSError:  # O_NOFOLLOW on a link
        return None
    with os.fdopen(fd, "rb") as saved:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return saved.read(MAX_FILE_BYTES + 1)


def _run_editor(file: Path) -> None:
    try:
        click.edit(filename=str(file))
    except click.ClickException as err:  # no such editor, or it failed
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "the editor"
        raise UsageError(
            f"{editor!r} could not edit {file.name} ({err.message}); "
            "set EDITOR to an editor that works, like EDITOR=nano"
        ) from err


def _ask(question: str, *, default: bool) -> bool:
    try:
        return click.confirm(question, default=default, err=True)
    except click.Abort:  # no one to ask (stdin closed or not a terminal): the safe answer
        return False


def _named_as(problem: Problem, draft: Path, path: Path) -> Problem:
    """A problem in the draft, said of the routine the person is editing."""
    if problem.path == str(draft):
        return Problem(str(path), problem.line, problem.message)
    return problem


@cli.command()
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path),
    shell_complete=complete_routines,
)
def check(files: tuple[Path, ...]) -> None:
    """Check routine files: every problem, as file:line: what is wrong.

    \b
    Example:
      coach check my-routine.yaml
    """
    problems: list[Problem] = []
    for path in files:
        try:
            routine = read_routine(str(path))
        except RoutineError as err:
            problems += err.problems
            continue
        # planned at pace 1 with its real speech, as show would: what show refuses, check does
        try:
            session = prepare(
                routine,
                None,
                None,
                configured("rate") or DEFAULT_RATE_WPM,
                configured("voice"),
                configured("engine") or DEFAULT_ENGINE,
            )
        except PlanError as err:
            problems.append(Problem(str(path), 0, str(err).splitlines()[0]))
            continue
        words = session.timeline.phrases.written
        length = words.at_pace_one.format(length=minutes_seconds(session.timeline.total_s))
        click.echo(f"{path}: ok ({_summary(routine, words)}; {length})")
    if problems:
        raise RoutineError(problems)


def _summary(routine: Routine, words: Written) -> str:
    """``8 exercises, 22 holds, 24m on the ball``: rounds counted, at pace 1."""
    counted = [
        (times(section, exercise, step), step.written_s)
        for section in routine.sections
        for exercise in section.exercises
        for step in exercise.steps
    ]
    holds = sum(n for n, _ in counted)
    hold_s = sum(n * seconds for n, seconds in counted)
    return words.summary.format(
        exercises=len(routine.exercises), holds=holds, time=format_duration(hold_s)
    )
