"""Imports run one way (load → plan → render → sink → cli), in the manner of click's test_imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import coach

PACKAGE = Path(coach.__file__).parent
LAYERS = {
    "coach": 0,
    "coach.errors": 0,
    "coach.files": 0,
    "coach.durations": 0,
    "coach.audio": 0,
    "coach.quiet": 0,
    "coach.resources": 0,
    "coach.language": 1,
    "coach.routine": 2,
    "coach.timeline": 3,
    "coach.plan": 4,
    "coach.speech": 5,
    "coach.render": 6,
    "coach.play": 7,
    "coach.control": 7,
    "coach.export": 7,
    "coach.cli": 8,
    "coach.__main__": 9,
    "coach.testing": 9,
}
"""Each module's layer, by its longest listed prefix: a module imports only its own or lower."""
SINKS = ("coach.play", "coach.export")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> tuple[str, int]:
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return prefix, LAYERS[prefix]


def imports_of(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules}


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_imports_only_its_own_layer_or_lower() -> None:
    wrong = []
    for path in MODULES:
        name = module_name(path)
        _, mine = layer_of(name)
        for imported in imports_of(path):
            stage, theirs = layer_of(imported)
            if theirs > mine:
                wrong.append(f"{name} imports {imported} ({stage} is above it)")
    assert wrong == []


def test_a_sink_never_imports_the_speech_engine_or_the_other_sink() -> None:
    wrong = []
    for path in MODULES:
        name = module_name(path)
        sink = next((s for s in SINKS if name.startswith(s)), None)
        if sink is None:
            continue
        for imported in imports_of(path):
            other = next((s for s in SINKS if imported.startswith(s) and s != sink), None)
            if imported.startswith("coach.speech") or other:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_there_are_no_import_cycles() -> None:
    """Not even through an import inside a function, which only hides a cycle until it runs."""
    graph = {module_name(p): imports_of(p) - {module_name(p)} for p in MODULES}
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_layer_checks_catch_a_wrong_import(tmp_path: Path) -> None:
    """The checks above can fail: an import upwards is seen for what it is."""
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from coach.cli.group import cli\n")
    assert "coach.cli.group" in imports_of(wrong)
    assert layer_of("coach.cli.group")[1] > layer_of("coach.plan.planner")[1]


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """Audio, speech and encoders load when a command needs them, not for --help."""
    code = "import sys, coach.cli; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    heavy = {"numpy", "soundfile", "soxr", "mutagen", "pyttsx3", "simpleaudio", "espeakng_loader"}
    assert loaded & heavy == set()
