"""The session D-Bus as coach's bus-side kinds find it: MPRIS, and music lowered under cues."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar


def session_bus_address(env: Mapping[str, str]) -> str | None:
    """The session bus's address: $DBUS_SESSION_BUS_ADDRESS, or the user's socket."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        path = str(address).partition("unix:path=")[2].split(",")[0]
        return None if path and not Path(path).exists() else str(address)
    socket = Path(env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}") / "bus"
    return f"unix:path={socket}" if socket.exists() else None


def usable_bus(env: Mapping[str, str]) -> str | None:
    """The session bus's address where there is one and dbus-fast loads; None: play on
    without it, saying nothing (a server, a console login, a platform without it)."""
    address = session_bus_address(env)
    if address is None:
        return None
    try:
        import dbus_fast  # noqa: F401
    except ImportError:
        return None
    return address


def quiet_when_the_bus_breaks(loop: Any, context: dict[str, Any]) -> None:
    """A bus thread's loop's exception handler: a broken connection is said once, by the
    kind, in words; asyncio would otherwise print a traceback for each message that was
    on its way (a send's future that nobody awaits, a writer callback on a closed socket)."""
    if isinstance(context.get("exception"), (OSError, EOFError)):
        return
    loop.default_exception_handler(context)


class OnTheBus(Protocol):
    """A thing with a thread on the session bus: started (False: it could not), closed."""

    def start(self) -> bool: ...

    def close(self) -> None: ...


B = TypeVar("B", bound=OnTheBus)


@contextlib.contextmanager
def on_the_bus(env: Mapping[str, str], make: Callable[[str], B]) -> Iterator[B | None]:
    """``make(address)`` started on the session bus while the block runs, closed after it,
    whatever ends it (Ctrl-C during ``start()`` too); None where there is no usable bus or
    it could not start."""
    address = usable_bus(env)
    if address is None:
        yield None
        return
    thing = make(address)
    try:
        yield thing if thing.start() else None
    finally:
        thing.close()
