"""A command source and status: coach as an MPRIS media player on the session D-Bus.

MPRIS is what desktop media keys (GNOME, KDE), Bluetooth headsets' play/pause
and next buttons (through BlueZ's AVRCP bridge), KDE Connect and GSConnect phone
remotes and ``playerctl`` drive. While a session plays, coach owns
``org.mpris.MediaPlayer2.coach`` (``...coach.instanceN`` when another coach has
it): PlayPause, Play, Pause, Next, Previous, Stop and Quit become the keys'
commands; setting ``Rate`` moves the pace in the keys' steps; ``Metadata`` names
the routine, the exercise and side and the session's length, and changes are
signalled. Seeking is not offered (``CanSeek`` is false): a session moves by
exercise. With no session bus, the session plays without it and says nothing.

The bus runs in a thread of its own (dbus-fast on asyncio); calls only queue
commands, which the player takes in order with the keys', so a call never waits
on the session, nor the session on the bus.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

from coach.control.bus import on_the_bus
from coach.control.mpris_state import PlayerState
from coach.control.sources import SourceContext, SourceKind
from coach.play.transport import Command, Controls, Fired
from coach.timeline.events import Timeline

CONNECT_TIMEOUT_S = 2.0


def warn(message: str) -> None:
    sys.stderr.write(f"coach: {message}\n")
    sys.stderr.flush()


class MprisSource:
    """The open bus: a command source (``poll``) that is also told what plays (a display)."""

    def __init__(self, state: PlayerState, address: str) -> None:
        self.state = state
        self.address = address
        self.name: str | None = None
        self.error: str | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="coach-mpris", daemon=True)
        self._loop: Any = None
        self._stop: Any = None
        self.gone = False
        """The bus went away under way: nothing reaches coach through it any more."""

    def start(self) -> bool:
        """Connect and take a bus name; False (quietly) when the bus cannot be used."""
        self._thread.start()
        return self._ready.wait(CONNECT_TIMEOUT_S) and self.name is not None

    def _run(self) -> None:
        import asyncio

        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        try:
            from coach.control.mpris_bus import serve

            served = loop.run_until_complete(
                serve(self.state, self.address, self._stop, self._served)
            )
            if not served and self.name is not None:
                self.gone = True
                warn(
                    "the session bus went away: media keys, headset buttons and phone "
                    "remotes no longer reach coach; the session goes on"
                )
        except Exception as err:  # a bus that refuses or goes away: the session goes on
            self.error = f"{type(err).__name__}: {err}"
            self.gone = self.name is not None
        finally:
            self._ready.set()
            loop.close()

    def _served(self, name: str | None, announce: Any) -> None:
        """On the bus under ``name`` (None: no name could be had), signalling with ``announce``."""
        self.name, self._on_changed = name, announce
        self._ready.set()

    def announce(self, properties: dict[str, Any]) -> None:
        """Signal changed properties, from the session's thread to the bus's."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and self._on_changed is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._on_changed, properties)

    _on_changed: Any = None

    def close(self) -> None:
        self.state.stopped()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(CONNECT_TIMEOUT_S)

    # the command source and the display, as the player calls them
    def poll(self) -> Command | None:
        return self.state.poll()

    def fired(self, fired: Fired) -> None:
        self.state.fired(fired)

    def replanned(self, timeline: Timeline) -> None:
        self.state.replanned(timeline)

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        self.state.tick(position_s, paused, waiting)


@contextlib.contextmanager
def open_mpris(context: SourceContext) -> Iterator[Controls | None]:
    """coach on the session bus while the block runs; None where there is no usable bus."""

    def make(address: str) -> MprisSource:
        state = PlayerState(context.timeline, pace=context.timeline.pace)
        source = MprisSource(state, address)
        state.changed = source.announce
        return source

    with on_the_bus(context.env, make) as source:
        yield source


SOURCE = SourceKind(
    "mpris",
    way="play",
    open=open_mpris,
    help="MPRIS on the session D-Bus: media keys, headset buttons, phone remotes, playerctl",
)
