"""The command line: a thin click layer over the pipeline; one place turns errors into messages."""

from coach.cli.console import run_guarded
from coach.cli.group import cli

__all__ = ["cli", "main"]


def main() -> None:
    run_guarded(lambda: cli.main(prog_name="coach"))
