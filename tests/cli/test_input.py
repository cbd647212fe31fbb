"""Bad input through the command line, as a careless or hostile user gives it.

Each case: one clear line (``file:line: what, how to fix`` for routines), exit 2
for a bad routine, option or path, 1 for the machine failing; no traceback, no
hang, nothing on stdout but the document, and nothing lost or half-written.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHORT, coach_command

DATA = Path(__file__).parent.parent / "data"
TINY = DATA / "tiny.yaml"


def run(
    *args: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    options: dict[str, Any] = {"timeout": 120} | kwargs
    return subprocess.run(
        [*coach_command(), *args], capture_output=True, text=True, env=env, **options
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- outputs: nothing lost -----------------------------------------------------------------


def test_the_same_file_for_audio_and_cues_is_refused(tmp_path: Path) -> None:
    same = tmp_path / "same.wav"
    result = run("export", str(SHORT), "-o", str(same), "--cues", str(same))
    assert result.returncode == 2
    assert one_line(result) == (
        f"coach: {same}: given to both -o and --cues; each needs a file of its own"
    )
    assert list(tmp_path.iterdir()) == []
    same.write_bytes(b"keep")
    result = run(
        "export", str(SHORT), "-o", str(same), "--cues", str(tmp_path / "." / "same.wav"), "--force"
    )
    assert result.returncode == 2
    assert same.read_bytes() == b"keep"


def test_the_routine_itself_is_never_an_output(tmp_path: Path) -> None:
    routine = tmp_path / "mine.yaml"
    routine.write_text(SHORT.read_text())
    result = run("export", str(routine), "-o", str(routine), "--format", "wav", "--force")
    assert result.returncode == 2
    assert "given to both ROUTINE and -o" in one_line(result)
    assert routine.read_text() == SHORT.read_text()


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_force_never_replaces_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    # Never /dev/null itself: a regression here would replace the machine's own.
    target = tmp_path / "out.wav"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        try:
            os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a null device, here
        except PermissionError:
            pytest.skip("creating a device node needs root")
    result = run("export", str(SHORT), "-o", str(target), "--format", "wav", "--force")
    assert result.returncode == 2
    assert "is not a regular file (a device, FIFO or socket)" in one_line(result)
    assert not target.is_file()
    assert target.exists()


@pytest.mark.parametrize(
    ("cues", "message"),
    [
        ("missing/cues.vtt", "missing: no such folder; create it first"),
        ("/proc/cues.vtt", "/proc: cannot create files there"),
    ],
)
def test_every_output_path_is_checked_before_any_work(
    tmp_path: Path, cues: str, message: str
) -> None:
    result = run("export", str(SHORT), "-o", "out.wav", "--cues", cues, cwd=tmp_path)
    assert result.returncode == 2
    assert message in one_line(result)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_as_output_says_so(tmp_path: Path) -> None:
    result = run("export", str(SHORT), "-o", str(tmp_path))
    assert result.returncode == 2
    assert one_line(result) == f"coach: {tmp_path}: is a folder; give a file name like session.wav"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["show", "smr-legs", "--voice", "klingon"], 'unknown voice "klingon"'),
        (["export", "smr-legs", "-o", "out.mp4"], "cannot write '.mp4' files"),
        (["export", "smr-legs", "-o", "out"], "cannot write 'no extension' files"),
        (["show", "smr-legs", "--pace", "nan"], "pace nan is out of range"),
        (["play", str(TINY), "--pace", "nan"], "pace nan is out of range"),
        (["play", str(TINY), "--pace", "nan", "--fallback", "out.wav"], "pace nan is out"),
        (["play", str(TINY), "--log", "nowhere/log.jsonl"], "cannot write the log"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "ALSA_CONFIG_PATH": str(DATA / "no-alsa.conf")}
    result = run(*args, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert fragment in one_line(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "start", "where"),
    [
        (["export", "smr-legs", "--pace", "inf", "-o", "x.wav"], "invalid value", "coach export"),
        (["show", "--pac", "2"], "no such option '--pac' (did you mean '--pace'?)", "coach show"),
        (["--bogus"], "no such option '--bogus'", "coach"),
        (["nosuch"], "no such command 'nosuch'", "coach"),
        (["exprt"], "no such command 'exprt' (did you mean 'export'?)", "coach"),
        (["export", "smr-legs"], "missing option", "coach export"),
        (["voices", "get"], "missing argument", "coach voices get"),
        (
            ["show", "smr-legs", "--length", "soon"],
            "invalid value for '--length': \"soon\"",
            "coach show",
        ),
    ],
)
def test_click_usage_errors_are_one_line_with_where_help_is(
    tmp_path: Path, args: list[str], start: str, where: str
) -> None:
    """As coach's own errors are: what is wrong, then where the command's help is; the
    usage text and "Try ... for help" block click prints are not repeated."""
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    line = one_line(result)
    assert line.startswith(f"coach: {start}")
    assert line.endswith(f"; see `{where} --help`")
    assert list(tmp_path.iterdir()) == []


def test_coach_alone_still_prints_its_help() -> None:
    result = run()
    assert "Commands:" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_fifo_log_with_no_reader_is_refused_not_waited_on(tmp_path: Path) -> None:
    from coach.errors import TargetError
    from coach.files import open_log

    fifo = tmp_path / "log"
    os.mkfifo(fifo)
    with pytest.raises(TargetError, match="a FIFO with no reader; start its reader first"):
        open_log(fifo)  # returns at once: no writer ever blocks on a FIFO no one reads
    # with a reader there, the log streams into it
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        log = open_log(fifo)
        assert log is not None
        log.write("line\n")
        log.close()
        assert os.read(reader, 100) == b"line\n"
    finally:
        os.close(reader)
    # and a session that falls back to a file never opens it at all
    result = run(
        "play",
        str(TINY),
        "--log",
        str(fifo),
        "--fallback",
        str(tmp_path / "s.wav"),
        env={**os.environ, "ALSA_CONFIG_PATH": str(DATA / "no-alsa.conf")},
    )
    assert result.returncode == 0, result.stderr


def test_a_log_that_exists_is_replaced_only_with_force(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("yesterday's session\n")
    env = {**os.environ, "ALSA_CONFIG_PATH": str(DATA / "no-alsa.conf")}
    fallback = tmp_path / "s.wav"
    args = ["play", str(TINY), "--log", str(log), "--fallback", str(fallback)]
    refused = run(*args, env=env)
    assert refused.returncode == 2
    assert "--force" in one_line(refused)
    assert log.read_text() == "yesterday's session\n"
    assert not fallback.exists()
    # an empty file (as mktemp makes) holds nothing to lose
    log.write_text("")
    assert run(*args, env=env).returncode == 0
    log.write_text("yesterday's session\n")
    assert run(*args, "--force", env=env).returncode == 0


# --- inputs: no hang, no memory blow-up ----------------------------------------------------


@pytest.mark.parametrize("command", ["check", "show"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/urandom", "folder"])
def test_special_files_as_routines_are_refused_at_once(
    tmp_path: Path, command: str, special: str
) -> None:
    if special == "fifo":
        path = tmp_path / "r.yaml"
        os.mkfifo(path)
    elif special == "folder":
        path = tmp_path / "r.yaml"
        path.mkdir()
    else:
        path = Path(special)
    result = run(command, str(path), timeout=20)
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"{path}: ")
    assert "not a regular file" in line or "is a folder" in line


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e309", "nan"])
def test_infinite_lengths_are_refused(value: str) -> None:
    result = run("show", "smr-legs", "--length", value)
    assert result.returncode == 2
    assert f'"{value}" is not a duration' in result.stderr
    assert "Traceback" not in result.stderr


def test_a_length_past_the_ceiling_is_refused() -> None:
    result = run("show", "smr-legs", "--length", "7h")
    assert result.returncode == 2
    assert "7h is longer than the longest session coach plays (6h)" in result.stderr


def test_a_session_past_the_ceiling_is_refused_before_any_speech(tmp_path: Path) -> None:
    """Every hold is at most 1h and a session at most 6h, said before a cue is rendered."""
    body = "".join(
        f"      - name: Long {i}\n        setup: Lie still, number {i}.\n        hold: 1h\n"
        for i in range(8)
    )
    routine = tmp_path / "long.yaml"
    routine.write_text("title: Long\nsections:\n  - name: S\n    exercises:\n" + body)
    result = run("export", str(routine), "-o", str(tmp_path / "long.wav"))
    assert result.returncode == 2
    assert one_line(result) == (
        "coach: long would take at least 8h02m at pace 1; the longest session coach plays is 6h: "
        "use a faster pace, a shorter --length, or split the routine"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.yaml"]
    fitted = run("show", str(routine), "--length", "3h", "--json")
    assert fitted.returncode == 0, fitted.stderr


# --- the terminal: stdout that fails, locales that cannot spell ---------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["show", "--help"],
        ["show", str(SHORT), "--json"],
        ["list"],
        ["check", str(SHORT)],
    ],
)
def test_a_full_stdout_is_one_line_not_a_traceback(args: list[str]) -> None:
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [*coach_command(), *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert result.returncode == 1
    assert result.stderr == "coach: cannot write to standard output: No space left on device\n"


def test_a_closed_stdout_is_said_not_ignored(tmp_path: Path) -> None:
    coach = coach_command()[0]
    shown = subprocess.run(
        f"{coach} show {SHORT} --json >&-", shell=True, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 1
    assert shown.stderr == "coach: cannot write to standard output: it is closed\n"
    # a command with no document to print does not care
    env = os.environ | {"ALSA_CONFIG_PATH": str(DATA / "no-alsa.conf")}
    played = subprocess.run(
        f"{coach} play {TINY} --fallback {tmp_path / 's.wav'} >&-",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert played.returncode == 0, played.stderr


def test_a_closed_pipe_is_quiet() -> None:
    proc = subprocess.run(
        f"{coach_command()[0]} show {SHORT} | head -c 10 >/dev/null",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("exists", [True, False])
def test_a_non_utf8_locale_with_a_non_ascii_file_name(tmp_path: Path, exists: bool) -> None:
    """On a Latin-1 terminal a file's name is written as its own bytes, not a traceback."""
    name = os.fsencode(tmp_path) + "/übung-ß.yaml".encode()
    if exists:
        Path(os.fsdecode(name)).write_text(SHORT.read_text())
    env = os.environ | {
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONIOENCODING": "ISO-8859-1",
    }
    result = subprocess.run(
        [*coach_command(), "check", name], capture_output=True, env=env, timeout=60
    )
    assert b"Traceback" not in result.stderr
    if exists:
        assert result.returncode == 0
        assert result.stdout.startswith(name + b": ok (3 exercises")
    else:
        assert result.returncode == 2
        assert result.stderr == name + b": no such file; give a routine file or a bundled name\n"


@pytest.mark.parametrize("encoding", ["ascii", "ISO-8859-1"])
def test_a_terminal_that_cannot_spell_the_schedule_still_gets_it(encoding: str) -> None:
    env = os.environ | {"PYTHONIOENCODING": encoding}
    result = subprocess.run(
        [*coach_command(), "show", "smr-legs"], capture_output=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert b"Hips and glutes, left side (2:00)" in result.stdout


# --- play: the README's first command, every time -----------------------------------------


def test_play_fallback_works_every_time_it_is_run(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "ALSA_CONFIG_PATH": str(DATA / "no-alsa.conf")}
    target = tmp_path / "tiny.wav"
    for _ in range(2):
        result = run("play", str(TINY), "--fallback", str(target), "--force", env=env)
        assert result.returncode == 0, result.stderr
        assert f"wrote the session to {target} instead" in result.stderr
    first = target.read_bytes()
    target.write_bytes(b"mine")
    refused = run("play", str(TINY), "--fallback", str(target), env=env)
    assert refused.returncode == 2
    assert f"{target}: already exists; use --force to replace it" in refused.stderr
    assert "--format" not in refused.stderr
    assert target.read_bytes() == b"mine"
    assert len(first) > 44


# --- the speech cache and the engine: nothing on stdout, nothing cut ------------------------


def test_show_json_stays_json_when_a_long_cue_is_rendered(tmp_path: Path) -> None:
    long = " ".join(["Roll slowly up and down your thigh, breathing out as you go"] * 4)
    routine = tmp_path / "long.yaml"
    for attempt in range(3):
        routine.write_text(
            "title: Long\nsections:\n  - name: S\n    exercises:\n"
            "      - name: Thigh\n        setup: Lie face down, the ball under your thigh.\n"
            f"        hold: 2m\n        cues: ['{long}, take {attempt} {uuid.uuid4().hex[:8]}.']\n"
        )
        result = run("show", str(routine), "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["routine"] == "long"


def test_a_cut_cache_entry_is_rendered_again_not_exported_cut(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = os.environ | {"XDG_CACHE_HOME": str(cache)}
    first = run("show", str(SHORT), "--json", env=env)
    assert first.returncode == 0, first.stderr
    for entry in (cache / "coach" / "speech").rglob("*.wav"):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2 + 1])  # every entry, cut at an odd byte
    again = run("export", str(SHORT), "-o", str(tmp_path / "s.wav"), env=env)
    assert again.returncode == 0, again.stderr
    second = run("show", str(SHORT), "--json", env=env)
    assert second.returncode == 0, second.stderr
    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert after["total_s"] == pytest.approx(before["total_s"], abs=0.5)

    def lengths(timeline: dict[str, Any]) -> dict[str, float]:
        return {e["text"]: e["duration_s"] for e in timeline["events"] if e["kind"] == "say"}

    # every text rendered whole again (eSpeak jitters a little between renders; a cut
    # clip would be about half as long)
    old, new = lengths(before), lengths(after)
    for text in old.keys() & new.keys():
        assert new[text] == pytest.approx(old[text], rel=0.05), text
    assert len(old.keys() & new.keys()) >= len(old) - 2
