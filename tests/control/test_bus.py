"""The one way a bus-side kind is opened and closed (MPRIS, the ducker)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from coach.control.bus import on_the_bus


class Thing:
    def __init__(self, address: str, start: bool | type[BaseException]) -> None:
        self.address = address
        self.starts = start
        self.closed = 0

    def start(self) -> bool:
        if not isinstance(self.starts, bool):
            raise self.starts()
        return self.starts

    def close(self) -> None:
        self.closed += 1


def maker(made: list[Thing], starts: bool | type[BaseException]) -> Callable[[str], Thing]:
    def make(address: str) -> Thing:
        made.append(Thing(address, starts))
        return made[-1]

    return make


@pytest.fixture
def bus_env(tmp_path: Path) -> dict[str, str]:
    socket = tmp_path / "bus"
    socket.touch()  # an address whose socket is there: a bus, as far as finding one goes
    return {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={socket}"}


@pytest.mark.parametrize("starts", [True, False])
def test_it_is_closed_after_the_block_whether_or_not_it_started(
    bus_env: dict[str, str], starts: bool
) -> None:
    made: list[Thing] = []
    with on_the_bus(bus_env, maker(made, starts)) as it:
        assert (it is made[0]) if starts else (it is None)
        assert made[0].closed == 0
    assert made[0].address == bus_env["DBUS_SESSION_BUS_ADDRESS"]
    assert made[0].closed == 1


def test_ctrl_c_while_it_starts_still_closes_it(bus_env: dict[str, str]) -> None:
    made: list[Thing] = []
    with (
        pytest.raises(KeyboardInterrupt),
        on_the_bus(bus_env, maker(made, KeyboardInterrupt)),
    ):
        pytest.fail("the block never runs")
    assert made[0].closed == 1


def test_no_bus_makes_nothing(tmp_path: Path) -> None:
    env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/none", "XDG_RUNTIME_DIR": "/nowhere"}
    with on_the_bus(env, lambda address: pytest.fail("made without a bus")) as it:
        assert it is None
