"""What the player plays into: the ``Output`` interface (the speakers are ``coach.play.stream``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from coach.audio import Clip
from coach.play.speaking import SpeakingLog


class Playing(Protocol):
    def is_playing(self) -> bool: ...
    def wait_done(self) -> None: ...
    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Opening:
    """The session's first two events, started before the rest of it was ready: its opening
    chime, begun at ``started_s`` on the player's clock (the timeline's zero), then its
    title ``text``, planned ``title_at_s`` into the session and begun ``late_s`` after that
    (a voice still getting ready). The player takes over from the event after the title.
    """

    text: str
    started_s: float
    playing: Playing
    """The clip playing: the chime, then (``cli.live.say_title``) the title."""
    title_at_s: float
    late_s: float = 0.0


class Output(Protocol):
    """Somewhere clips are heard. ``play`` returns at once; the clip plays on.

    ``at`` plus ``after_s`` is the deadline the clip is played for, on the player's clock
    (``at`` the session's zero, ``after_s`` the plan's time): an output that can start a
    clip on a planned frame (``coach.play.stream``) starts it there, however late the call
    came, rounding each part to frames as ``export`` rounds the plan's times; its
    ``Playing`` has ``start_s``, when it truly starts on that clock. An output may have
    ``latency_s``: how long after ``start_s`` a clip is heard.

    No first word is lost to a sink that sleeps in a silence (PulseAudio and PipeWire
    suspend an idle one after about 5 s, and a Bluetooth speaker then wakes late): the
    speakers are one stream that never falls silent (``coach.play.stream``).
    """

    def play(self, clip: Clip, at: float | None = None, after_s: float = 0.0) -> Playing: ...


def aligned(output: Output, t: float) -> float:
    """``t``, or where the output has ``align`` (a stream of frames), the first frame's
    start at or after it: a session's zero there puts each clip on the sample the plan does."""
    align: Callable[[float], float] | None = getattr(output, "align", None)
    return t if align is None else align(t)


def started_s(playing: Playing, now: float) -> float:
    """When a clip ``play`` just returned starts, on the player's clock."""
    start: float | None = getattr(playing, "start_s", None)
    return now if start is None else start


class LoggedOutput:
    """An output that notes in a ``SpeakingLog`` when each clip plays."""

    def __init__(self, output: Output, log: SpeakingLog) -> None:
        self.output = output
        self.log = log
        self.latency_s: float = getattr(output, "latency_s", 0.0)
        hand_over: Callable[[Callable[[float, bytes, int], None]], None] | None = getattr(
            output, "hand_over", None
        )
        if hand_over is not None:  # what it plays, for an echo canceller
            hand_over(log.played)
            log.hears_sound = True

    def align(self, t: float) -> float:
        return aligned(self.output, t)

    def play(self, clip: Clip, at: float | None = None, after_s: float = 0.0) -> Playing:
        playing = self.output.play(clip, at, after_s)
        start = started_s(playing, time.monotonic()) + self.latency_s
        self.log.spoke(start, start + clip.duration_s)
        return playing
