"""Music lowered under cues: other media players on the session bus, turned down while
coach speaks and brought back after.

Spotify, VLC, mpv (with mpv-mpris), browsers and most desktop players are MPRIS
players: each has a writable ``Volume``. While a live session plays, shortly before
each clip (a cue, a chime, a count) the players that are playing are lowered to
``DUCK_LEVEL`` of their volume in a short ramp; once coach has been quiet for
``TAIL_S`` they are ramped back. A player that a person turned up or down meanwhile
is left as they set it; one that quits or refuses is let go. Every way out of a
session (its end, q, Ctrl-C, SIGTERM, an error) restores them; a session killed
outright leaves a note that the next session reads to restore what it lowered.

Like the MPRIS source, the bus runs in a thread of its own: the session's thread
only says "down" or "up", and never waits on the bus.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.control.bus import on_the_bus, quiet_when_the_bus_breaks
from coach.control.sources import SourceContext, SourceKind
from coach.files import UnreadableError, read_small_file, write_text_atomic
from coach.play.transport import Command, Controls, Fired
from coach.settings import Key, flag
from coach.timeline.events import Timeline

PREFIX = "org.mpris.MediaPlayer2."
PLAYER = "org.mpris.MediaPlayer2.Player"
PATH = "/org/mpris/MediaPlayer2"
DUCK_LEVEL = 0.3
"""Lowered to this share of its own volume (about 10 dB down on a linear control)."""
LEAD_S = 0.5
"""Lowered this long before a clip starts, so its first word is over quiet music."""
TAIL_S = 0.6
"""Raised again once coach has been quiet this long: cues close together keep it down."""
RAMP_S = 0.15
RAMP_STEPS = 6
CALL_TIMEOUT_S = 1.0
SAME = 0.02
"""A volume within this of the one coach set is still coach's: anything else is a person's."""


def under_cue(starts: list[float], ends: list[float], position_s: float) -> bool:
    """Whether music should be down at ``position_s``: a clip starts within ``LEAD_S``,
    plays, or ended less than ``TAIL_S`` ago (clips never overlap, so the last one that
    starts before the window is the only one that can reach into it)."""
    i = bisect.bisect_left(starts, position_s + LEAD_S) - 1
    return i >= 0 and ends[i] > position_s - TAIL_S


@dataclass
class Lowered:
    owner: str
    """The player's unique bus name: a player that quit and came back is another one."""
    original: float
    set_to: float
    last: float = -1.0
    """The volume coach set it to last: any other is a person's (or another program's)."""


def note_path() -> Path:
    """Where a session notes what it lowered, until it has brought it back."""
    import platformdirs

    return Path(platformdirs.user_state_dir("coach")) / "lowered.json"


class Ducker:
    """A display that lowers other players under each clip (and a source with no commands)."""

    def __init__(self, timeline: Timeline, address: str, note: Path) -> None:
        self.address = address
        self.note = note
        self.replanned(timeline)
        self.down = False
        """What the session wants: music down (set by the session's thread)."""
        self.applied = False
        """What the bus's thread last did about it."""
        self.lowered: dict[str, Lowered] = {}
        self._ready = threading.Event()
        self._settled = threading.Event()
        """Set each time the bus's thread has done what was last wanted."""
        self._thread = threading.Thread(target=self._run, name="coach-duck", daemon=True)
        self._loop: Any = None
        self._changed: Any = None
        self._stop: Any = None
        self._bus: Any = None
        self._own: set[str] = set()

    # --- the session's side: cheap, never waits ----------------------------------------

    def poll(self) -> Command | None:
        return None

    def fired(self, fired: Fired) -> None:
        self._want(True)  # a clip starts: down now, if a tick has not already

    def replanned(self, timeline: Timeline) -> None:
        events = sorted(timeline.events, key=lambda event: event.at_s)
        self.starts = [event.at_s for event in events]
        self.ends = [event.end_s for event in events]

    def tick(self, position_s: float, paused: bool, waiting: bool = False) -> None:
        self._want(not paused and under_cue(self.starts, self.ends, position_s))

    def _want(self, down: bool) -> None:
        if down == self.down:
            return
        self.down = down
        loop, changed = self._loop, self._changed
        if loop is not None and changed is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(changed.set)

    # --- the bus's side -----------------------------------------------------------------

    def start(self) -> bool:
        """On the bus; where the session opens with a clip, the music is already down."""
        self._thread.start()
        if not (self._ready.wait(CALL_TIMEOUT_S * 2) and self._bus is not None):
            return False
        if under_cue(self.starts, self.ends, 0.0):
            self._settled.clear()
            self._want(True)
            self._settled.wait(CALL_TIMEOUT_S * 2)
        return True

    def close(self) -> None:
        """Bring every lowered player back at once, then leave the bus."""
        self.down = False
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(CALL_TIMEOUT_S * 3)

    def _run(self) -> None:
        import asyncio

        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.set_exception_handler(quiet_when_the_bus_breaks)
        try:
            loop.run_until_complete(self._serve())
        except Exception:  # a bus that refuses or goes away: the session goes on, unducked
            pass
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        import asyncio

        from dbus_fast.aio import MessageBus

        self._changed, self._stop = asyncio.Event(), asyncio.Event()
        bus = await asyncio.wait_for(MessageBus(bus_address=self.address).connect(), CALL_TIMEOUT_S)
        self._bus = bus
        try:
            await self._restore_noted()
            self._ready.set()
            while not self._stop.is_set():
                if self.down != self.applied:
                    self.applied = self.down
                    await (self._lower() if self.applied else self._raise(ramp=True))
                    continue
                self._settled.set()
                self._changed.clear()
                waits = {asyncio.ensure_future(self._changed.wait())}
                waits.add(asyncio.ensure_future(self._stop.wait()))
                _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                for wait in pending:
                    wait.cancel()
            await self._raise(ramp=False)
        finally:
            with contextlib.suppress(Exception):
                bus.disconnect()

    async def _call(
        self,
        destination: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
    ) -> Any:
        import asyncio

        from dbus_fast import Message, MessageType

        reply = await asyncio.wait_for(
            self._bus.call(
                Message(
                    destination=destination,
                    path=PATH if destination != "org.freedesktop.DBus" else "/org/freedesktop/DBus",
                    interface=interface,
                    member=member,
                    signature=signature,
                    body=body or [],
                )
            ),
            CALL_TIMEOUT_S,
        )
        if reply is None or reply.message_type is MessageType.ERROR:
            raise LookupError(member)
        return reply.body

    async def _get(self, name: str, prop: str) -> Any:
        body = await self._call(
            name, "org.freedesktop.DBus.Properties", "Get", "ss", [PLAYER, prop]
        )
        return body[0].value

    async def _set_volume(self, name: str, volume: float) -> None:
        from dbus_fast import Variant

        await self._call(
            name,
            "org.freedesktop.DBus.Properties",
            "Set",
            "ssv",
            [PLAYER, "Volume", Variant("d", volume)],
        )

    async def _bus_call(self, member: str, *args: str) -> Any:
        signature = "s" * len(args)
        return (
            await self._call(
                "org.freedesktop.DBus", "org.freedesktop.DBus", member, signature, list(args)
            )
        )[0]

    async def _playing(self) -> dict[str, Lowered]:
        """The other players that are playing at a volume above 0, by bus name."""
        import asyncio

        names = [n for n in await self._bus_call("ListNames") if n.startswith(PREFIX)]

        async def look(name: str) -> tuple[str, Lowered] | None:
            try:
                owner = await self._bus_call("GetNameOwner", name)
                if await self._bus_call("GetConnectionUnixProcessID", owner) == os.getpid():
                    return None  # coach's own MPRIS name
                if await self._get(name, "PlaybackStatus") != "Playing":
                    return None
                volume = float(await self._get(name, "Volume"))
            except Exception:  # gone, or no volume to offer
                return None
            if not 0 < volume <= 10:  # 1.0 is full; some players go past it
                return None
            return name, Lowered(owner, volume, volume * DUCK_LEVEL)

        found = await asyncio.gather(*(look(name) for name in names))
        return dict(item for item in found if item is not None)

    async def _ramp(self, targets: dict[str, tuple[float, float]], steps: int) -> None:
        """Move each player from its first to its second volume; one that refuses is let go."""
        import asyncio

        for step in range(1, steps + 1):
            share = step / steps

            async def move(name: str, volume: float) -> None:
                try:
                    await self._set_volume(name, volume)
                    if name in self.lowered:
                        self.lowered[name].last = volume
                except Exception:  # it quit, or its volume is not to be set: let it be
                    self.lowered.pop(name, None)
                    targets.pop(name, None)

            await asyncio.gather(
                *(move(n, a + (b - a) * share) for n, (a, b) in list(targets.items()))
            )
            if step < steps:
                await asyncio.sleep(RAMP_S / steps)

    async def _lower(self) -> None:
        self.lowered = await self._playing()
        if self.lowered:
            self._write_note()  # before the first step: a kill mid-ramp is brought back too
            await self._ramp(
                {n: (p.original, p.set_to) for n, p in self.lowered.items()}, RAMP_STEPS
            )
            self._write_note()

    async def _raise(self, ramp: bool) -> None:
        """Bring back what coach lowered, unless a person set it otherwise meanwhile."""
        import asyncio

        async def still_ours(name: str, lowered: Lowered) -> tuple[str, float] | None:
            try:
                now = float(await self._get(name, "Volume"))
            except Exception:
                return None
            return (name, now) if abs(now - lowered.last) <= SAME else None

        found = await asyncio.gather(*(still_ours(n, p) for n, p in self.lowered.items()))
        targets = {n: (now, self.lowered[n].original) for n, now in filter(None, found)}
        await self._ramp(targets, RAMP_STEPS if ramp else 1)
        self.lowered = {}
        self._write_note()

    # --- a note that outlives a killed session -------------------------------------------

    def _write_note(self) -> None:
        with contextlib.suppress(OSError):
            if not self.lowered:
                self.note.unlink(missing_ok=True)
                return
            self.note.parent.mkdir(parents=True, exist_ok=True)
            data = {n: [p.owner, p.original, p.set_to] for n, p in self.lowered.items()}
            write_text_atomic(self.note, json.dumps(data) + "\n")

    async def _restore_noted(self) -> None:
        """A session that was killed outright left players lowered: bring back each that is
        still the same player at the volume coach set."""
        try:  # never waits on a FIFO, never reads a huge file
            data = json.loads(read_small_file(self.note, 1_000_000, "a note of lowered players"))
            self.lowered = {
                str(name): Lowered(str(owner), float(original), float(set_to))
                for name, (owner, original, set_to) in data.items()
            }
        except (UnreadableError, ValueError, TypeError, AttributeError):  # none, or damaged
            self.lowered = {}
        for name, lowered in list(self.lowered.items()):
            try:  # the same player, at a volume on the way down coach took it (a ramp cut short)
                if await self._bus_call("GetNameOwner", name) != lowered.owner:
                    raise LookupError(name)
                lowered.last = float(await self._get(name, "Volume"))
                low, high = sorted((lowered.set_to, lowered.original))
                if not low - SAME <= lowered.last <= high + SAME:
                    raise LookupError(name)
            except Exception:
                del self.lowered[name]
        await self._raise(ramp=False)


@contextlib.contextmanager
def open_ducker(context: SourceContext) -> Iterator[Controls | None]:
    """Other players lowered under cues while the block runs; None where there is no bus.

    Ctrl-C may come while the first clip's music goes down: closing brings it back."""
    with on_the_bus(context.env, lambda bus: Ducker(context.timeline, bus, note_path())) as ducker:
        yield ducker


SOURCE = SourceKind(
    "duck",
    open=open_ducker,
    answers=False,
    default=False,
    opened_by="duck",
    help="music lowered under cues: other MPRIS players (Spotify, VLC, mpv, a browser)",
    settings=(
        Key(
            "duck",
            "Lower other media players (Spotify, VLC, mpv, a browser) while coach speaks, "
            "and bring them back after.",
            flag,
            True,
            option="--duck/--no-duck",
            commands=("play",),
        ),
    ),
)
