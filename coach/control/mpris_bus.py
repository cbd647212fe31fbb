"""The MPRIS interfaces on the bus (dbus-fast), for ``coach.control.mpris``; loaded in its thread.

dbus-fast reads each method's D-Bus signature from its type annotations, and
takes a postponed ``-> None`` for a value: so no ``from __future__ import annotations``.
"""

import asyncio
import contextlib
import os
from collections.abc import Callable
from typing import Annotated, Any

from dbus_fast import DBusError, ErrorType, NameFlag, PropertyAccess, RequestNameReply, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusDict,
    DBusDouble,
    DBusInt64,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
)
from dbus_fast.service import ServiceInterface, dbus_property, method

from coach.control.bus import quiet_when_the_bus_breaks
from coach.control.mpris_state import BUS_NAME, Busy, PlayerState
from coach.play.transport import Command
from coach.timeline.events import MAX_PACE, MIN_PACE

OBJECT_PATH = "/org/mpris/MediaPlayer2"
DBusStrings = Annotated[list[str], DBusSignature("as")]
_VARIANT_TYPES = {"mpris:trackid": "o", "mpris:length": "x", "xesam:artist": "as"}


def _variants(metadata: dict[str, Any]) -> dict[str, Variant]:
    return {key: Variant(_VARIANT_TYPES.get(key, "s"), value) for key, value in metadata.items()}


def _queued(state: PlayerState, command: Command) -> None:
    try:
        state.request(command)
    except Busy:
        raise DBusError(
            ErrorType.LIMITS_EXCEEDED, "coach is still carrying out earlier commands; try again"
        ) from None


class Root(ServiceInterface):
    def __init__(self, state: PlayerState) -> None:
        super().__init__("org.mpris.MediaPlayer2")
        self.state = state

    @method()
    def Raise(self) -> None:
        pass

    @method()
    def Quit(self) -> None:
        _queued(self.state, Command.QUIT)

    @dbus_property(access=PropertyAccess.READ)
    def CanQuit(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanRaise(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def HasTrackList(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Identity(self) -> DBusStr:
        return "coach"

    @dbus_property(access=PropertyAccess.READ)
    def SupportedUriSchemes(self) -> DBusStrings:
        return []

    @dbus_property(access=PropertyAccess.READ)
    def SupportedMimeTypes(self) -> DBusStrings:
        return []


class Player(ServiceInterface):
    def __init__(self, state: PlayerState) -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self.state = state

    @method()
    def PlayPause(self) -> None:
        self._call(self.state.play_pause)

    @method()
    def Play(self) -> None:
        self._call(self.state.play)

    @method()
    def Pause(self) -> None:
        self._call(self.state.pause)

    @method()
    def Stop(self) -> None:
        _queued(self.state, Command.QUIT)

    @method()
    def Next(self) -> None:
        _queued(self.state, Command.NEXT)

    @method()
    def Previous(self) -> None:
        _queued(self.state, Command.BACK)

    @method()
    def Seek(self, offset: DBusInt64) -> None:
        pass  # CanSeek is false: MPRIS says the call then has no effect

    @method()
    def SetPosition(self, track: DBusObjectPath, position: DBusInt64) -> None:
        pass

    @method()
    def OpenUri(self, uri: DBusStr) -> None:
        raise DBusError(ErrorType.NOT_SUPPORTED, "coach plays its own routines, not URIs")

    @dbus_property(access=PropertyAccess.READ)
    def PlaybackStatus(self) -> DBusStr:
        return self.state.status

    @dbus_property()
    def Rate(self) -> DBusDouble:
        return self.state.pace

    @Rate.setter  # type: ignore[no-redef]
    def Rate(self, rate: DBusDouble) -> None:
        try:
            self._call(lambda: self.state.set_rate(rate))
        except ValueError as err:
            raise DBusError(ErrorType.INVALID_ARGS, str(err)) from None

    @dbus_property(access=PropertyAccess.READ)
    def MinimumRate(self) -> DBusDouble:
        return MIN_PACE

    @dbus_property(access=PropertyAccess.READ)
    def MaximumRate(self) -> DBusDouble:
        return MAX_PACE

    @dbus_property(access=PropertyAccess.READ)
    def Metadata(self) -> DBusDict:
        return _variants(self.state.metadata())

    @dbus_property(access=PropertyAccess.READ)
    def Volume(self) -> DBusDouble:
        return 1.0

    @dbus_property(access=PropertyAccess.READ)
    def Position(self) -> DBusInt64:
        return round(self.state.position_s * 1_000_000)

    @dbus_property(access=PropertyAccess.READ)
    def CanGoNext(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanGoPrevious(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanPlay(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanPause(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanSeek(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def CanControl(self) -> DBusBool:
        return True

    def _call(self, action: Any) -> None:
        try:
            action()
        except Busy:
            raise DBusError(
                ErrorType.LIMITS_EXCEEDED, "coach is still carrying out earlier commands; try again"
            ) from None

    def announce(self, properties: dict[str, Any]) -> None:
        if "Metadata" in properties:
            properties = {**properties, "Metadata": _variants(properties["Metadata"])}
        with contextlib.suppress(OSError, EOFError):  # the bus went away: serve() says so once
            self.emit_properties_changed(properties)


async def serve(
    state: PlayerState,
    address: str,
    stop: asyncio.Event,
    served: Callable[[str | None, Callable[[dict[str, Any]], None]], None],
) -> bool:
    """Connect, export both interfaces, take a name, tell ``served`` it and how to signal,
    and serve until ``stop`` is set (True) or the bus goes away (False).

    Raises:
        Exception: the bus refused (the source then opens as None).
    """
    asyncio.get_running_loop().set_exception_handler(quiet_when_the_bus_breaks)
    bus = await MessageBus(bus_address=address).connect()
    try:
        player = Player(state)
        bus.export(OBJECT_PATH, Root(state))
        bus.export(OBJECT_PATH, player)
        taken = None
        for name in (BUS_NAME, f"{BUS_NAME}.instance{os.getpid()}"):
            reply = await bus.request_name(name, NameFlag.DO_NOT_QUEUE)
            if reply in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
                taken = name
                break
        served(taken, player.announce)
        stopped = asyncio.ensure_future(stop.wait())
        lost = asyncio.ensure_future(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
        await asyncio.wait({stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
        if not lost.done():
            lost.cancel()
            return True
        stopped.cancel()
        with contextlib.suppress(Exception):  # EOFError: the bus went away; retrieved, so
            lost.result()  # asyncio never prints it as a "Future exception never retrieved"
        return False
    finally:
        with contextlib.suppress(Exception):  # already gone
            bus.disconnect()
