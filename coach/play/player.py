"""Sink: play a closed session through an output, each clip at its planned time, with controls.

Deadlines are absolute (session start + planned time) on a monotonic clock, so
lateness never accumulates: a clip that starts late does not push the next one.
The transport is one state: the next event to fire, where the timeline's zero
lies on the clock, and, while paused, the position it is frozen at. Pausing and
skipping move the zero, never the plan.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from coach.errors import AudioDeviceError, Terminated
from coach.play.changing import Changing, Coming, Later
from coach.play.done import DoneHolds
from coach.play.moves import CHANGES, skip_target
from coach.play.output import Opening, Output, Playing, aligned, started_s
from coach.play.still import TICK_S, QuitPressed, StandingStill
from coach.play.transport import (
    Change,
    Clock,
    Command,
    Controls,
    Display,
    Fired,
    NoControls,
    NoDisplay,
    PlayResult,
    StopReason,
    tell_settled,
)
from coach.render.session import Session
from coach.timeline.events import EPSILON_S, Event, Sound, Timeline

QUIET_BEFORE_DEADLINE_S = 0.02
"""No redraw this close to a deadline, so drawing never makes a clip late."""


class Player(Changing, StandingStill):
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
        on_change: Callable[[Change], None] = lambda change: None,
        wait_when_ready: bool = True,
        later: Later | None = None,
        coming: Coming | None = None,
    ) -> None:
        self.session = session
        self.coming = coming if not session.settled else None
        """The rest of a session started on its first clips, still rendering
        (``render.coming``; None once the session is whole)."""
        self.later = later
        """What a change of pace may say, still rendering as the session starts (None once
        it has come)."""
        self.awaiting: list[Command] = []
        """Changes asked for before their words were rendered: made as soon as they are."""
        self.on_change = on_change
        self.extend: dict[int, float] = {}
        """Written seconds added to holds by `h`, by hold index (kept across pace changes)."""
        self.timeline = session.timeline
        self.events = session.timeline.events
        self.output = output
        self.clock = clock
        self.controls = controls or NoControls()
        self.display = display or NoDisplay()
        self.on_fired = on_fired
        self.fired: list[Fired] = []
        self.playing: Playing | None = None
        self.playing_index: int | None = None
        self.started = 0.0
        # the transport state
        self.index = 0
        """The next event to fire."""
        self.base = 0.0
        """Clock time at which the timeline's zero would have been."""
        self.paused_at: float | None = None
        """While paused (or waiting for the person to be ready): the position, frozen."""
        self.wait_when_ready = wait_when_ready
        """False when no one can say they are ready (no command source is open, such as
        no terminal on stdin): a hold until ready then lasts its ``ready`` time, as in
        show and export."""
        self.gates = self.gates_of(session.timeline)
        """Ends of holds that last until the person is ready: play stops there for space."""
        self.pending: deque[Command] = deque()
        """Commands read but not yet carried out (a change waits out a pause), in order."""
        self.passed: set[float] = set()
        """Gates already let through (forgotten again when a jump goes back before them)."""
        self.done = DoneHolds(session.timeline)
        """The holds played to their end, for a history that tells what happened."""

    def gates_of(self, timeline: Timeline) -> list[float]:
        if not self.wait_when_ready:
            return []
        return sorted(h.end_s for h in timeline.holds if h.until_ready)

    def poll(self) -> Command | None:
        """The next command: one put aside first, then what the controls have (and the
        session settled further, if more of it has come)."""
        self.settle()
        if self.pending:
            return self.pending.popleft()
        if self.awaiting and self.later_came():
            self.pending.extend(self.awaiting)
            self.awaiting.clear()
            return self.pending.popleft()
        return self.controls.poll()

    def position(self) -> float:
        """Where the session is on its timeline; it does not move while paused."""
        if self.paused_at is not None:
            return self.paused_at
        return self.clock.now() - self.base

    def play(self, *, from_s: float = 0.0, opening: Opening | None = None) -> PlayResult:
        """Play from ``from_s`` into the timeline until its end, or until stopped.

        With an ``opening`` (the chime and title, already playing), the timeline's zero
        is when the chime started, and play goes on from the event after the title.
        """
        self.started = self.clock.now()
        if opening is None or not self.take_over(opening):
            self.jump(from_s)
        try:
            # One loop: fire each event at its deadline, then wait out the session's end.
            # A key may move the position anywhere, also after the last event fired.
            while True:
                last = self.index >= len(self.events)
                at_s = self.timeline.total_s if last else self.events[self.index].at_s
                # planned on estimates from there on: go on until the point it is settled
                # to, and stand there if the rest has not come by then
                unsettled = self.unsettled(at_s)
                until_s = self.session.settled_s if unsettled else at_s
                gate = self.next_gate(until_s)
                command = self.wait(self.base + (until_s if gate is None else gate))
                if command is not None:
                    self.obey(command)
                elif gate is not None:
                    self.wait_ready(gate)
                elif unsettled:
                    self.wait_settled()
                elif last:
                    self.done.reached(self.timeline, self.timeline.total_s)
                    break
                else:
                    self.fire(self.index, self.events[self.index])
                    self.index += 1
            self.finish_playing()
        except QuitPressed:
            return self.result(StopReason.QUIT)
        except KeyboardInterrupt:
            self.stop_playing()
            return self.result(StopReason.INTERRUPT)
        except Terminated:  # SIGTERM (a logout, a service stop): stopped, and said so
            self.stop_playing()
            return self.result(StopReason.TERMINATED)
        except AudioDeviceError as err:
            self.stop_playing()
            return self.result(StopReason.DEVICE, str(err))
        except BaseException:
            self.stop_playing()
            raise
        return PlayResult(
            tuple(self.fired), self.timeline.total_s, None, "", *self.changed_to(), *self.walked()
        )

    def unsettled(self, at_s: float | None = None) -> bool:
        """Whether the event at ``at_s`` (default: the next one, or the end) is still
        planned on estimates."""
        if self.coming is None:
            return False
        if at_s is None:
            last = self.index >= len(self.events)
            at_s = self.timeline.total_s if last else self.events[self.index].at_s
        return at_s >= self.session.settled_s - EPSILON_S

    def settle(self) -> None:
        """Take the session settled further, if more of its speech has come: what is settled
        stays as it was (the next event to fire among it), and the rest is the real plan.

        Raises:
            CoachError: the rest of the session could not be rendered or planned.
        """
        if self.coming is None:
            return
        newer = self.coming.take()
        if newer is None:
            return
        self.session = self.session.settling(newer)
        self.timeline, self.events = newer.timeline, newer.timeline.events
        self.gates = self.gates_of(newer.timeline)
        if newer.settled:
            self.coming = None
        tell_settled(self.display, newer.timeline)

    def take_over(self, opening: Opening) -> bool:
        """Go on from an opening chime and title started before the session was ready; False
        if they are not the session's first two events (the title is stopped: play starts
        from the beginning).

        Rendering the rest may have taken longer than the title: then the whole
        session waits after it, so every later gap stays as planned.
        """
        if len(self.events) < 2:
            opening.playing.stop()
            return False
        chime, title = self.events[:2]
        if (
            chime.sound is not Sound.OPEN
            or chime.at_s != 0.0
            or title.text != opening.text
            or abs(title.at_s - opening.title_at_s) > EPSILON_S
        ):
            opening.playing.stop()
            return False
        self.started = opening.started_s
        following_s = self.events[2].at_s if len(self.events) > 2 else self.timeline.total_s
        self.base = max(opening.started_s, aligned(self.output, self.clock.now()) - following_s)
        self.playing, self.playing_index, self.index = opening.playing, 1, 2
        for record in (Fired(0, chime, 0.0), Fired(1, title, title.at_s + opening.late_s)):
            self.fired.append(record)
            self.on_fired(record)
            self.display.fired(record)
        return True

    def result(self, reason: StopReason, error: str = "") -> PlayResult:
        position = min(self.position(), self.timeline.total_s)
        self.done.reached(self.timeline, position)
        return PlayResult(
            tuple(self.fired), position, reason, error, *self.changed_to(), *self.walked()
        )

    def walked(self) -> tuple[tuple[int, ...], float]:
        """How often each hold was played to its end, and the real time the session took."""
        return tuple(self.done.counts), self.clock.now() - self.started

    def changed_to(self) -> tuple[float | None, Timeline | None]:
        """The pace and timeline at the end, when they are not what was planned."""
        if self.timeline is self.session.timeline:
            return None, None
        return self.timeline.pace, self.timeline

    # -- waiting and firing --

    def wait(self, deadline: float) -> Command | None:
        """Wait for a deadline; returns early with a command if one comes."""
        while True:
            command = self.poll()
            if command is not None:
                return command
            now = self.clock.now()
            if now >= deadline:
                return None
            if deadline - now > QUIET_BEFORE_DEADLINE_S:
                self.display.tick(now - self.base, paused=False)
            self.clock.sleep_until(min(deadline, now + TICK_S))

    def fire(self, index: int, event: Event) -> None:
        self.done.reached(self.timeline, event.at_s)
        clip = self.session.clip(event)
        if self.playing is not None and self.playing.is_playing():
            # The device is behind the clock: never start speech over speech.
            self.playing.wait_done()
        self.playing = self.output.play(clip, self.base, event.at_s)
        self.playing_index = index
        fired_s = started_s(self.playing, self.clock.now()) - self.started
        record = Fired(index, event, fired_s)
        self.fired.append(record)
        self.on_fired(record)
        self.display.fired(record)

    def say_now(self, text: str) -> None:
        """Speak a live phrase (pause, resume) from the session and wait until it is done."""
        self.stop_playing()
        clip = self.session.phrase(text)
        now = self.clock.now()
        self.playing = self.output.play(clip)
        self.playing_index = None
        self.clock.sleep_until(started_s(self.playing, now) + clip.duration_s)

    def stop_playing(self) -> None:
        if self.playing is not None and self.playing.is_playing():
            self.playing.stop()
        self.playing = None
        self.playing_index = None

    def finish_playing(self) -> None:
        if self.playing is not None:
            self.playing.wait_done()

    # -- commands --

    def obey(self, command: Command) -> None:
        """Carry out a command.

        Raises:
            QuitPressed: the user quit.
        """
        if command is Command.QUIT:
            self.stop_playing()
            raise QuitPressed
        if command is Command.PAUSE:
            if not self.ready_early():
                self.pause()
        elif command in CHANGES:
            self.change(command)
        else:
            position = self.position()
            self.done.reached(self.timeline, position)
            self.jump(skip_target(self.timeline, command, position))

    def jump(self, position_s: float) -> None:
        """Continue from ``position_s`` into the timeline, now."""
        self.passed = {gate for gate in self.passed if gate <= position_s + EPSILON_S}
        self.stop_playing()
        self.index = next(
            (i for i, e in enumerate(self.events) if e.at_s >= position_s - 1e-9), len(self.events)
        )
        self.base = aligned(self.output, self.clock.now()) - position_s
        self.done.moved(position_s)
        if self.paused_at is None:
            self.display.tick(position_s, paused=False)  # a skip is seen at once

    def resume_position(self) -> float:
        """Where to go on from after an interruption: a cue it cuts is said again, whole,
        and one that was due but not yet fired (a key a moment after its time) is kept."""
        position = self.position()
        playing = self.playing is not None and self.playing.is_playing()
        if playing and self.playing_index is not None:
            position = min(position, self.events[self.playing_index].at_s)
        if self.index < len(self.events):
            position = min(position, self.events[self.index].at_s)
        return position


def play_session(
    session: Session,
    output: Output,
    clock: Clock,
    *,
    from_s: float = 0.0,
    opening: Opening | None = None,
    **options: Any,
) -> PlayResult:
    """Play a session; returns what fired and how far it got, also when stopped.

    ``options`` are the Player's (controls, display, on_fired, on_change, wait_when_ready,
    later, coming).
    """
    return Player(session, output, clock, **options).play(from_s=from_s, opening=opening)
