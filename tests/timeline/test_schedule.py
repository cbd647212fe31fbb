"""The timeline's written views: the JSON contract only ever grows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import coach_command


def test_the_json_contract_only_grows(tmp_path: Path) -> None:
    result = subprocess.run(
        [*coach_command(), "show", "smr-knees", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"version", "routine", "title", "pace", "total_s", "holds", "events", "dropped"} <= set(
        data
    )
    assert data["version"] == 1
    for hold in data["holds"]:
        assert {"exercise", "step", "side", "start_s", "end_s", "round", "until_ready"} <= set(hold)
    rounds = [h["round"] for h in data["holds"] if h["exercise"] == "Knee bends over the ball"]
    assert rounds == [1, 1, 2, 2]
    assert all(h["round"] is None for h in data["holds"] if h["exercise"] == "Calf rolls")
    assert [h["until_ready"] for h in data["holds"]][-1] is True
    assert [r["round"] for r in data["rests"]] == [2]
    sounds = {e["sound"] for e in data["events"] if e["kind"] == "sound"}
    assert {"rest", "tick", "start", "switch", "finish"} <= sounds
