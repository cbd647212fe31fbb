"""A media player of the tests' own on a session bus, faithful to MPRIS where coach looks.

It owns ``org.mpris.MediaPlayer2.<name>``, answers PlaybackStatus and a read-write
Volume as mpv-mpris does (a double; PropertiesChanged on a change), and writes each
volume it is set to, with the monotonic time, to a log: one JSON line each. With
``--refuse`` its Volume cannot be set (an error, as a player with fixed volume answers).

    python -m tests.control.music_player ADDRESS NAME LOG [--volume V] [--status S] [--refuse]

It prints "ready" once it owns its name and runs until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from dbus_fast import DBusError, ErrorType, NameFlag, PropertyAccess
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusBool, DBusDouble, DBusStr
from dbus_fast.service import ServiceInterface, dbus_property


class Root(ServiceInterface):
    def __init__(self, name: str) -> None:
        super().__init__("org.mpris.MediaPlayer2")
        self.name = name

    @dbus_property(access=PropertyAccess.READ)
    def Identity(self) -> DBusStr:
        return self.name

    @dbus_property(access=PropertyAccess.READ)
    def CanQuit(self) -> DBusBool:
        return False


class Player(ServiceInterface):
    def __init__(self, volume: float, status: str, log: Path, refuse: bool) -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self.volume, self.status, self.log, self.refuse = volume, status, log, refuse

    @dbus_property(access=PropertyAccess.READ)
    def PlaybackStatus(self) -> DBusStr:
        return self.status

    @dbus_property()
    def Volume(self) -> DBusDouble:
        return self.volume

    @Volume.setter  # type: ignore[no-redef]
    def Volume(self, value: DBusDouble) -> None:
        if self.refuse:
            raise DBusError(ErrorType.NOT_SUPPORTED, "this player's volume is fixed")
        self.volume = max(0.0, value)
        with self.log.open("a") as log:
            log.write(json.dumps([time.monotonic(), self.volume]) + "\n")
        self.emit_properties_changed({"Volume": self.volume})


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("name")
    parser.add_argument("log", type=Path)
    parser.add_argument("--volume", type=float, default=0.8)
    parser.add_argument("--status", default="Playing")
    parser.add_argument("--refuse", action="store_true")
    args = parser.parse_args()
    bus = await MessageBus(bus_address=args.address).connect()
    bus.export("/org/mpris/MediaPlayer2", Root(args.name))
    bus.export("/org/mpris/MediaPlayer2", Player(args.volume, args.status, args.log, args.refuse))
    await bus.request_name(f"org.mpris.MediaPlayer2.{args.name}", NameFlag.DO_NOT_QUEUE)
    print("ready", flush=True)
    await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    asyncio.run(main())
