"""Changes under way: a live session re-planned at a new pace, or with a hold longer.

The plan of each change is ``moves.plan_change``'s (pure); here it is carried out:
several pressed together, each in order and confirmed once; one asked for while what
it may say is still rendering (``render.later``), made the moment that has come.

``Changing`` is a part of ``player.Player``, kept apart by idea; the player's state it
reads and moves is declared here and held there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Protocol

from coach.audio import Clip
from coach.play.done import DoneHolds
from coach.play.moves import CHANGES, plan_change
from coach.play.transport import Change, Clock, Command, Display
from coach.render.session import Session
from coach.timeline.events import EPSILON_S, Event, Timeline


class Later(Protocol):
    """Clips a session may need later, rendered while it plays (``render.later``)."""

    def take(self) -> Mapping[str, Clip] | None:
        """The clips, once they are all ready (and only the first time); else None."""

    @property
    def pending(self) -> bool:
        """Still rendering (False once the clips are ready, or could not be made)."""


class Coming(Protocol):
    """The rest of a session started on its first clips (``render.coming``)."""

    def take(self) -> Session | None:
        """The session settled further than the last one taken, if it has come; else None."""


class Changing:
    """Faster, slower and longer, carried out."""

    # the player's, read and moved here
    session: Session
    timeline: Timeline
    events: tuple[Event, ...]
    extend: dict[int, float]
    later: Later | None
    coming: Coming | None
    awaiting: list[Command]
    gates: list[float]
    passed: set[float]
    paused_at: float | None
    pending: deque[Command]
    clock: Clock
    display: Display
    done: DoneHolds
    started: float
    on_change: Callable[[Change], None]
    poll: Callable[[], Command | None]
    resume_position: Callable[[], float]
    gates_of: Callable[[Timeline], list[float]]
    jump: Callable[[float], None]
    say_now: Callable[[str], None]

    def later_came(self) -> bool:
        """Whether what a change may say has come (into the session) or never will; the
        session itself must be whole (its plan is the one a change re-plans)."""
        if self.coming is not None:
            return False
        if self.later is None:
            return True
        more = self.later.take()
        if more:
            self.session = self.session.with_speech(more)
        elif self.later.pending:
            return False
        self.later = None
        return True

    def change(self, command: Command) -> None:
        """Re-plan the rest of the session at a new pace, or with this hold longer.

        The pure planner plans the routine again (with the session's own clips);
        the position maps onto the new plan (a hold keeps the part already done),
        and coach confirms aloud while the position stands still. Changes pressed
        together (a burst of keys, or keys pressed during a confirmation) are each
        carried out, in order, and confirmed once, for where they lead. A change
        that cannot be made (the pace at its limit, too fast for the instructions,
        `h` outside a timed hold) is skipped, silently. Changes asked for while what
        they may say is still rendering (``render.later``) are made once it has come.
        """
        if not self.later_came():  # the session goes on; the change is made once it can be
            self.awaiting.extend([command, *self.more_changes()])
            return
        position = self.resume_position()
        self.done.reached(self.timeline, position)
        timeline, extend = self.timeline, dict(self.extend)
        made: list[tuple[Command, Timeline, float]] = []
        for each in (command, *self.more_changes()):
            planned = plan_change(self.session, each, timeline, position, extend)
            if planned is not None:
                timeline, position, extend = planned
                made.append((each, timeline, position))
        if not made:
            return
        say = timeline.phrases
        last = made[-1][0]
        if last is Command.LONGER:
            confirm = [say.longer]
        else:
            faster = timeline.pace > self.timeline.pace or (
                timeline.pace == self.timeline.pace and last is Command.FASTER
            )
            left_min = max(1, round((timeline.total_s - position) / 60))
            confirm = [say.faster if faster else say.slower, say.minutes_left(left_min)]
        if any(text not in self.session.speech for text in confirm):
            return  # it could not be rendered (``render.later`` failed): cannot be made
        self.timeline, self.events, self.extend = timeline, timeline.events, extend
        self.gates = self.gates_of(timeline)
        # gates at or before the new position were passed (changes are never made while waiting)
        self.passed = {gate for gate in self.gates if gate <= position + EPSILON_S}
        self.paused_at = position  # the confirmation is said with the session standing still
        self.display.replanned(timeline)  # the new pace is seen at once, before it is said
        self.display.tick(position, paused=False)
        try:
            for text in confirm:
                self.say_now(text)
        finally:
            self.paused_at = None
        self.jump(position)
        fired_s = self.clock.now() - self.started
        for each, planned_timeline, moved_to in made:
            self.on_change(
                Change(each, planned_timeline.pace, moved_to, planned_timeline.total_s, fired_s)
            )

    def more_changes(self) -> list[Command]:
        """Changes already waiting right behind this one; anything else waits its turn."""
        found: list[Command] = []
        while (command := self.poll()) is not None:
            if command not in CHANGES:
                self.pending.appendleft(command)
                break
            found.append(command)
        return found
