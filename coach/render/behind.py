"""Speech rendered behind a live session: in a thread of its own, at a lower priority, and
stopped (its worker processes killed) when the session ends.

``render.coming`` (the rest of the session's own speech) and ``render.later`` (what only
a change of pace says) are both this; each says what it renders and how it hands it over.
"""

from __future__ import annotations

import contextlib
import os
import threading

from coach.errors import CoachError

CLOSE_WAIT_S = 2.0
"""How long closing waits for the rendering to stop (worker processes are killed at once)."""


class Stopped(Exception):
    """The session ended: the rendering stops where it is (what is done stays cached)."""


class Behind:
    """A thread that renders at ``nice`` below the session's priority (worker processes it
    starts inherit it); ``work`` is what it does, ``error`` why that failed."""

    def __init__(self, name: str, nice: int) -> None:
        self.nice = nice
        self.stopping = threading.Event()
        self.done = threading.Event()
        self.error: CoachError | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def work(self) -> None:
        """The rendering (``check`` now and then stops it once the session ended).

        Raises:
            CoachError: it could not be done.
        """
        raise NotImplementedError

    @property
    def pending(self) -> bool:
        """Still rendering: False once it is done, or could not be."""
        return not self.done.is_set()

    def close(self) -> None:
        """Stop rendering (the session is over): worker processes are killed."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(CLOSE_WAIT_S)

    def check(self, fraction: float = 0.0) -> None:
        """Raises Stopped once the session ended (a ``render_all`` progress callback)."""
        if self.stopping.is_set():
            raise Stopped

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a lower priority only where it can
            thread = threading.get_native_id()  # on Linux, this thread (and what it starts)
            now = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, now + self.nice))
        try:
            self.work()
        except Stopped:
            pass
        except CoachError as err:
            self.error = err
        finally:
            self.done.set()
