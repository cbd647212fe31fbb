"""Sink: play a session through an output, each clip at its planned time, with hands-free controls.

Deadlines are absolute (session start + planned time) on a monotonic clock, so
lateness never accumulates: a clip that starts late does not push the next one.
Pausing or skipping moves the start, never the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from coach.errors import AudioDeviceError
from coach.output import Output, Playing
from coach.plan import Event, Segment, Sound
from coach.render import Session

SPIN_S = 0.002
"""Sleep until this close to a deadline, then spin: OS sleeps overshoot by up to a millisecond."""
TICK_S = 0.05
"""How often keys are read and the display redrawn while waiting."""
QUIET_BEFORE_DEADLINE_S = 0.02
"""No redraw this close to a deadline, so drawing never makes a clip late."""
PAUSED = "Paused. Press space to go on."
RESUMING = "Resuming in 3, 2, 1."


class Command(Enum):
    PAUSE = "pause"  # also resumes
    NEXT = "next"
    BACK = "back"
    QUIT = "quit"


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep_until(self, deadline: float) -> None: ...


class Controls(Protocol):
    def poll(self) -> Command | None:
        """A command if one is waiting; never blocks."""
        ...


class Display(Protocol):
    def fired(self, fired: Fired) -> None: ...
    def tick(self, position_s: float, paused: bool) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        while (remaining := deadline - time.monotonic()) > SPIN_S:
            time.sleep(remaining - SPIN_S)
        while time.monotonic() < deadline:
            pass


class NoControls:
    def poll(self) -> Command | None:
        return None


class NoDisplay:
    def fired(self, fired: Fired) -> None:
        pass

    def tick(self, position_s: float, paused: bool) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Fired:
    """An event as it happened: planned at ``event.at_s``, started ``fired_s`` into the run."""

    index: int
    event: Event
    fired_s: float


@dataclass(frozen=True, slots=True)
class PlayResult:
    fired: tuple[Fired, ...]
    completed: bool
    """False when the session was stopped before its end."""
    position_s: float
    """How far into the timeline the session got."""
    stopped_by: str = ""
    """Why it stopped early: "quit", "interrupt" or the audio error."""


def segment_at(segments: tuple[Segment, ...], position_s: float) -> int | None:
    """Index of the exercise being done (or set up) at ``position_s``."""
    for index, segment in enumerate(segments):
        if segment.start_s <= position_s < segment.end_s:
            return index
    return None


class Player:
    """Fires a session's events on time, obeying pause, next, back and quit."""

    def __init__(
        self,
        session: Session,
        output: Output,
        clock: Clock,
        *,
        controls: Controls | None = None,
        display: Display | None = None,
        on_fired: Callable[[Fired], None] = lambda fired: None,
    ) -> None:
        self.session = session
        self.events = session.timeline.events
        self.output = output
        self.clock = clock
        self.controls = controls or NoControls()
        self.display = display or NoDisplay()
        self.on_fired = on_fired
        self.fired: list[Fired] = []
        self.playing: Playing | None = None
        self.playing_index: int | None = None
        self.index = 0
        self.started = 0.0
        self.base = 0.0
        """Clock time at which the timeline's zero would have been."""

    def position(self) -> float:
        return self.clock.now() - self.base

    def play(self, *, from_s: float = 0.0) -> PlayResult:
        """Play from ``from_s`` into the timeline to the end, or until stopped."""
        self.started = self.clock.now()
        self.jump(from_s)
        try:
            while self.index < len(self.events):
                event = self.events[self.index]
                command = self.wait(self.base + event.at_s)
                if command is None:
                    self.fire(self.index, event)
                    self.index += 1
                elif self.obey(command):
                    return self.result(completed=False, stopped_by="quit")
            command = self.wait(self.base + self.session.timeline.total_s)
            while command is not None:
                if self.obey(command):
                    return self.result(completed=False, stopped_by="quit")
                command = self.wait(self.base + self.session.timeline.total_s)
            self.finish_playing()
        except KeyboardInterrupt:
            self.stop_playing()
            return self.result(completed=False, stopped_by="interrupt")
        except AudioDeviceError as err:
            self.stop_playing()
            return self.result(completed=False, stopped_by=str(err))
        except BaseException:
            self.stop_playing()
            raise
        return self.result(completed=True)

    def result(self, *, completed: bool, stopped_by: str = "") -> PlayResult:
        position = self.session.timeline.total_s if completed else self.position()
        return PlayResult(
            tuple(self.fired), completed, min(position, self.session.timeline.total_s), stopped_by
        )

    # -- waiting and firing --

    def wait(self, deadline: float) -> Command | None:
        """Wait for a deadline; returns early with a command if one comes."""
        while True:
            command = self.controls.poll()
            if command is not None:
                return command
            now = self.clock.now()
            if now >= deadline:
                return None
            if deadline - now > QUIET_BEFORE_DEADLINE_S:
                self.display.tick(now - self.base, paused=False)
            self.clock.sleep_until(min(deadline, now + TICK_S))

    def fire(self, index: int, event: Event) -> None:
        clip = self.session.clip(event)
        if self.playing is not None and self.playing.is_playing():
            # The device is behind the clock: never start speech over speech.
            self.playing.wait_done()
        self.playing = self.output.play(clip)
        self.playing_index = index
        record = Fired(index, event, self.clock.now() - self.started)
        self.fired.append(record)
        self.on_fired(record)
        self.display.fired(record)

    def say_now(self, text: str) -> None:
        """Speak an unplanned line (pause, resume) and wait until it is done."""
        self.stop_playing()
        clip = self.session.speech.clip(text)
        self.playing = self.output.play(clip)
        self.playing_index = None
        self.clock.sleep_until(self.clock.now() + clip.duration_s)

    def stop_playing(self) -> None:
        if self.playing is not None and self.playing.is_playing():
            self.playing.stop()
        self.playing = None

    def finish_playing(self) -> None:
        if self.playing is not None:
            self.playing.wait_done()

    # -- commands --

    def obey(self, command: Command) -> bool:
        """Carry out a command; True means stop the session."""
        if command is Command.QUIT:
            self.stop_playing()
            return True
        if command is Command.PAUSE:
            return self.pause()
        self.skip(command)
        return False

    def jump(self, position_s: float) -> None:
        """Continue from ``position_s`` into the timeline, now."""
        self.stop_playing()
        self.index = next(
            (i for i, e in enumerate(self.events) if e.at_s >= position_s - 1e-9), len(self.events)
        )
        self.base = self.clock.now() - position_s

    def skip(self, command: Command) -> None:
        segments = self.session.timeline.segments
        position = self.position()
        current = segment_at(segments, position)
        if command is Command.BACK:
            target = segments[current].start_s if current is not None else self._before(position)
        else:
            later = [s.start_s for s in segments if s.start_s > position + 1e-9]
            target = later[0] if later else self._finish_s()
        self.jump(target)

    def _before(self, position_s: float) -> float:
        """BACK outside an exercise: the start of the one before, or the very start."""
        earlier = [s.start_s for s in self.session.timeline.segments if s.end_s <= position_s]
        return earlier[-1] if earlier else 0.0

    def _finish_s(self) -> float:
        finish = [e.at_s for e in self.events if e.sound is Sound.FINISH]
        return finish[0] if finish else self.session.timeline.total_s

    def pause(self) -> bool:
        """Hold the session until the next space; True if the user quit meanwhile."""
        position = self.position()
        interrupted = self.playing_index
        if self.playing is not None and self.playing.is_playing() and interrupted is not None:
            # a cue cut by the pause is said again, whole, on resume
            position = min(position, self.events[interrupted].at_s)
        self.say_now(PAUSED)
        while True:
            command = self.controls.poll()
            if command is Command.QUIT:
                self.base = self.clock.now() - position
                return True
            if command is Command.PAUSE:
                break
            if command in (Command.NEXT, Command.BACK):
                self.base = self.clock.now() - position
                self.skip(command)
                position = self.position()
                break
            self.display.tick(position, paused=True)
            self.clock.sleep_until(self.clock.now() + TICK_S)
        self.say_now(RESUMING)
        self.jump(position)
        return False


def play_session(
    session: Session,
    output: Output,
    clock: Clock,
    *,
    controls: Controls | None = None,
    display: Display | None = None,
    on_fired: Callable[[Fired], None] = lambda fired: None,
    from_s: float = 0.0,
) -> PlayResult:
    """Play a session; returns what fired and how far it got, also when stopped."""
    player = Player(session, output, clock, controls=controls, display=display, on_fired=on_fired)
    return player.play(from_s=from_s)
