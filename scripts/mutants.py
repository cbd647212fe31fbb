"""A mutation check, run by hand (`make mutants`): each mutant must make the suite fail.

Each mutant is a small, plausible bug put into the code for one run of the tests
that guard it; the code is restored afterwards, whatever happens. A mutant the
tests do not catch is printed as SURVIVED and the script exits 1.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    what: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "the planner drops every routine cue above pace 1",
        "coach/plan/planner.py",
        "        placed, lost = pack_cues(from_s, until_s, cues, timed, self.speech_s)\n",
        "        placed, lost = pack_cues(from_s, until_s, cues, timed, self.speech_s)\n"
        "        if self.pace > 1:\n"
        "            lost += [c for _, c in placed if c.priority is Priority.NORMAL]\n"
        "            placed = [(a, c) for a, c in placed if c.priority is not Priority.NORMAL]\n",
        ("tests/plan/test_planner.py",),
    ),
    Mutant(
        "the player's gates are reverted: a hold until ready never waits",
        "coach/play/player.py",
        "        if not self.wait_when_ready:\n            return []\n",
        "        return []\n",
        ("tests/play/test_player_ready.py",),
    ),
    Mutant(
        "a change right after a skip loses the words that were due",
        "coach/play/player.py",
        "        if self.index < len(self.events):\n"
        "            position = min(position, self.events[self.index].at_s)\n",
        "",
        ("tests/play/test_player_changes.py",),
    ),
    Mutant(
        "count: Yes ticks instead of counting aloud",
        "coach/routine/nodes.py",
        "        return FLAG_WORDS[raw]\n",
        '        return raw in ("true", "True", "TRUE", "yes", "on")\n',
        ("tests/routine/test_nodes.py",),
    ),
    Mutant(
        "a grammar bound changes and the schema is not regenerated",
        "coach/routine/grammar.py",
        "MAX_REPS = 200\n",
        "MAX_REPS = 300\n",
        ("tests/routine/test_grammar.py",),
    ),
    Mutant(
        "the timeline layer imports the live player's types",
        "coach/timeline/schedule.py",
        "from coach.language.side import Side\n",
        "from coach.language.side import Side\n"
        "from coach.play.transport import Command  # noqa: F401\n",
        ("tests/test_layers.py",),
    ),
    Mutant(
        "merged command sources reverse the order commands arrived in",
        "coach/play/sources.py",
        "                self.queue.append(command)\n",
        "                self.queue.appendleft(command)\n",
        ("tests/play/test_sources.py",),
    ),
    Mutant(
        "installed packages' extensions are not looked up",
        "coach/registry.py",
        "        for point in entry_points(group=self.group):\n"
        "            found.setdefault(point.name, point.value)\n",
        "",
        ("tests/test_seams.py::test_a_new_encoder_writes_the_session_samples",),
    ),
    Mutant(
        "the speech cache ignores the engine: another engine's clips are reused",
        "coach/speech/cache.py",
        "                self.identity,\n",
        '                "espeak",\n',
        ("tests/test_seams.py::test_a_new_engine_speaks_a_whole_session",),
    ),
)


def run(mutant: Mutant) -> bool:
    """True when the tests catch the mutant (fail)."""
    path = ROOT / mutant.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.path}: the code to mutate is not there once: {mutant.old!r}")
    try:
        path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        path.write_text(original, encoding="utf-8")
    return result.returncode != 0


def main() -> int:
    survived = 0
    for mutant in MUTANTS:
        caught = run(mutant)
        survived += not caught
        print(f"{'caught  ' if caught else 'SURVIVED'}  {mutant.what}", flush=True)
    print(f"{len(MUTANTS) - survived} of {len(MUTANTS)} mutants caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
