"""Start-up stays light: ``coach --help`` lists every command without importing one."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest

from coach.cli.group import COMMANDS, cli
from tests.conftest import coach_command

HEAVY = (
    "coach.cli.play",
    "coach.cli.session",
    "coach.cli.routines",
    "coach.cli.settings",
    "coach.render",
    "coach.speech",
    "coach.routine.reader",
    "coach.export",
    "yaml",
    "numpy",
)

PROBE = """
import json, sys
from coach.cli import main
sys.argv = ["coach", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return list(json.loads(result.stderr.splitlines()[-1]))


def test_help_imports_no_command_and_nothing_heavy() -> None:
    loaded = modules_after("--help")
    assert "click" in loaded
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_a_command_loads_its_own_module() -> None:
    loaded = modules_after("history", "--help")
    assert "coach.cli.play" in loaded
    assert "coach.cli.routines" not in loaded


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_line_is_the_commands_own(name: str) -> None:
    module, summary = COMMANDS[name]
    importlib.import_module(module)
    command = cli.commands[name]
    listed = click.Command(name, help=summary)
    assert listed.get_short_help_str(1000) == command.get_short_help_str(1000)


EAGER = """
import importlib, sys
from coach.cli import main
from coach.cli.group import COMMANDS
for module, _ in COMMANDS.values():
    importlib.import_module(module)
sys.argv = ["coach", "--help"]
main()
"""


def test_the_group_help_is_the_same_with_every_command_loaded() -> None:
    lazy = subprocess.run([*coach_command(), "--help"], capture_output=True, text=True, timeout=60)
    eager = subprocess.run(
        [sys.executable, "-c", EAGER], capture_output=True, text=True, timeout=60
    )
    assert lazy.returncode == eager.returncode == 0
    assert lazy.stdout == eager.stdout
    for module, _ in COMMANDS.values():
        importlib.import_module(module)
    assert set(cli.commands) == set(COMMANDS)  # no command is missing from the table
