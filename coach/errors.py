"""The error types every layer raises; the CLI turns them into one-line messages."""

from __future__ import annotations

from dataclasses import dataclass


class CoachError(Exception):
    """A problem the user can act on. The message says what, where and how to fix it."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a routine file, at a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # line 0: about the file as a whole (missing, unreadable)
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class RoutineError(CoachError):
    """A routine file is missing or invalid; carries every problem found in it."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PlanError(CoachError):
    """The routine cannot be scheduled with the options given (pace, length)."""

    exit_code = 2


class SessionTooLongError(PlanError):
    """The session would run longer than coach plans (a slower pace made it so).

    ``at_least``: its length was counted without (all of) its speech, a lower bound.
    """

    def __init__(
        self, name: str, pace: float, total_s: float, max_s: float, *, at_least: bool = False
    ) -> None:
        from coach.durations import format_duration

        self.name, self.pace, self.total_s, self.max_s = name, pace, total_s, max_s
        bound = "at least " if at_least else ""
        super().__init__(
            f"{name} would take {bound}{format_duration(total_s)} at pace {pace:g}; "
            f"the longest session coach plays is {format_duration(max_s)}: "
            "use a faster pace, a shorter --length, or split the routine"
        )

    def lower_bound(self) -> SessionTooLongError:
        """The same error, for a length counted without speech."""
        return SessionTooLongError(self.name, self.pace, self.total_s, self.max_s, at_least=True)


class UsageError(CoachError):
    """An option, a path or a setting that cannot work as given: the user's to change."""

    exit_code = 2


class SpeechError(CoachError):
    """Text-to-speech is unavailable or failed."""


class VoiceError(SpeechError):
    """The voice asked for does not exist."""

    exit_code = 2


class AudioDeviceError(CoachError):
    """No audio output, or it failed during playback."""


class OutputError(CoachError):
    """An output file could not be written (full disk, I/O error)."""


class TargetError(OutputError):
    """An output path that cannot be used as given: it exists, is a folder, has no folder."""

    exit_code = 2


class Terminated(SystemExit):
    """SIGTERM arrived (a logout, a service stop): unwinds like ``sys.exit(143)``.

    As a SystemExit, exports still remove their temporary file on the way out; a
    live session catches it to stop, record where it got and exit 143.
    """

    def __init__(self, signum: int = 15) -> None:
        super().__init__(128 + signum)
