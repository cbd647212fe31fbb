"""Where a live session stands still: paused, or at the end of a hold that lasts until the
person is ready. The position is frozen and commands are still heard; what waits (a
change of pace) is carried out once the session goes on.

``StandingStill`` is a part of ``player.Player``, kept apart by idea; the player's state
it reads and moves is declared here and held there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from coach.play.done import DoneHolds
from coach.play.moves import skip_target
from coach.play.transport import Clock, Command, Controls, Display
from coach.render.session import Session
from coach.timeline.events import EPSILON_S, Timeline

TICK_S = 0.05
"""How often keys are read and the display redrawn while waiting."""
REMIND_EVERY_S = 30.0
"""While waiting for the person to be ready, say so again this often."""


class QuitPressed(Exception):
    """The user quit: unwinds to ``Player.play``."""


class StandingStill:
    """Pause, and the wait for the person to be ready."""

    # the player's, read and moved here
    timeline: Timeline
    session: Session
    clock: Clock
    controls: Controls
    display: Display
    done: DoneHolds
    paused_at: float | None
    passed: set[float]
    pending: deque[Command]
    gates: list[float]
    unsettled: Callable[[], bool]
    poll: Callable[[], Command | None]
    position: Callable[[], float]
    resume_position: Callable[[], float]
    jump: Callable[[float], None]
    say_now: Callable[[str], None]
    stop_playing: Callable[[], None]

    def next_gate(self, until_s: float) -> float | None:
        """The end of a hold until ready that comes before ``until_s`` and is not yet passed."""
        position = self.position()
        for gate in self.gates:
            if gate > until_s + EPSILON_S:
                return None
            if gate >= position - EPSILON_S and gate not in self.passed:
                return gate
        return None

    def wait_ready(self, gate_s: float) -> None:
        """Hold the session at the end of a hold until ready, reminding now and then.

        Space goes on; n and b skip as ever; q quits.

        Raises:
            QuitPressed: the user quit while coach waited.
        """
        self.paused_at = gate_s
        self.done.reached(self.timeline, gate_s)
        deferred: list[Command] = []
        reminder = self.session.ready_text
        next_reminder = self.clock.now()
        while True:
            if not getattr(self.controls, "interactive", True):
                command: Command | None = Command.PAUSE  # no one can say ready any more: go on
            else:
                if reminder and self.clock.now() >= next_reminder:
                    self.say_now(reminder)
                    next_reminder = self.clock.now() + REMIND_EVERY_S
                command = self.poll()
            if command is Command.QUIT:
                self.stop_playing()
                raise QuitPressed
            if command in (Command.PAUSE, Command.NEXT, Command.BACK):
                self.paused_at = None
                if command is Command.PAUSE:
                    self.passed.add(gate_s)
                    self.jump(gate_s)
                else:
                    self.jump(skip_target(self.timeline, command, gate_s))
                self.pending.extendleft(reversed(deferred))
                return
            if command is not None:  # +, - and h wait: nothing runs while coach waits
                deferred.append(command)
            self.display.tick(gate_s, paused=False, waiting=True)
            self.clock.sleep_until(self.clock.now() + TICK_S)

    def wait_settled(self) -> None:
        """Stand still where the session is settled to, until more of it has come (its
        speech still rendering, behind on a slow machine): the next clip is then late, but
        whole and in its place, and every gap after it stays as planned.

        q quits; anything else is carried out once the session goes on.

        Raises:
            QuitPressed: the user quit while coach waited.
            CoachError: the rest of the session could not be made.
        """
        if not self.unsettled():
            return  # it came as the wait for it ended
        position = self.position()
        self.paused_at = position  # a quit now stops here
        deferred: list[Command] = []
        while self.unsettled():
            command = self.poll()
            if command is Command.QUIT:
                self.stop_playing()
                raise QuitPressed
            if command is not None:
                deferred.append(command)
            if not self.unsettled():
                break  # it came with the poll
            self.display.tick(position, paused=False)
            self.clock.sleep_until(self.clock.now() + TICK_S)
        self.paused_at = None
        self.jump(position)
        self.pending.extendleft(reversed(deferred))

    def ready_early(self) -> bool:
        """Space inside a hold until ready: the person is ready now, so it ends here."""
        position = self.position()
        for hold in self.timeline.holds:
            if hold.until_ready and hold.start_s <= position < hold.end_s:
                self.passed.add(hold.end_s)
                self.done.reached(self.timeline, hold.end_s)  # ready: the hold is done
                self.jump(hold.end_s)
                return True
        return False

    def pause(self) -> None:
        """Freeze the position until the next space (or a skip, which resumes there).

        Raises:
            QuitPressed: the user quit while paused.
        """
        position = self.resume_position()
        self.done.reached(self.timeline, position)
        self.paused_at = position
        deferred: list[Command] = []
        self.stop_playing()
        self.display.tick(position, paused=True)  # seen at once, before it is said
        self.say_now(self.session.paused_text)
        while True:
            command = self.poll()
            if command is Command.QUIT:
                self.stop_playing()
                raise QuitPressed
            if command is Command.PAUSE:
                break
            if command in (Command.NEXT, Command.BACK):
                self.paused_at = skip_target(self.timeline, command, position)
                break
            if command is not None:  # +, - and h: carried out once the session goes on
                deferred.append(command)
            self.display.tick(position, paused=True)
            self.clock.sleep_until(self.clock.now() + TICK_S)
        assert self.paused_at is not None
        self.display.tick(self.paused_at, paused=False)  # going on: shown before it is said
        self.say_now(self.timeline.phrases.resuming)
        resume_at = self.paused_at
        self.paused_at = None
        self.jump(resume_at)
        self.pending.extendleft(reversed(deferred))
