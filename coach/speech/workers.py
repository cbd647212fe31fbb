"""Speech in parallel: a cold cache rendered by worker processes, one engine each."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from coach.errors import SpeechError, VoiceError
from coach.speech.engine import SpeechSettings

MIN_TEXTS_PER_WORKER = 8
"""Fewer texts than this per worker and starting the processes costs more than it saves."""
MAX_WORKERS = 4


def worker_count(texts: int) -> int:
    """How many processes should render ``texts`` texts: one per CPU, if each gets enough."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS, texts // MIN_TEXTS_PER_WORKER))


def share_out(texts: list[str], groups: int) -> list[list[str]]:
    """``texts`` in ``groups`` lists of about equal length: each, longest first, to the lightest."""
    shares: list[list[str]] = [[] for _ in range(groups)]
    loads = [0] * groups
    for text in sorted(texts, key=len, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(text)
        loads[lightest] += len(text)
    return [share for share in shares if share]


WAIT_TICK_S = 0.01
"""How often ``render_in_workers`` looks in on its workers (and reports progress)."""


def render_in_workers(
    folder: Path,
    settings: SpeechSettings,
    shares: list[list[str]],
    on_wait: Callable[[], None] = lambda: None,
) -> None:
    """Render each share of texts into the cache ``folder`` in a process of its own, together.

    An engine is used from one thread (eSpeak NG is one instance per process),
    so separate processes, not threads, are what overlap the work. Plain
    ``python -m coach.speech.worker`` children, not multiprocessing: that would
    re-run the caller's main script in each worker.
    If this process is stopped, the workers are killed; if it is killed, they
    finish their (short) share and exit. ``on_wait`` is called every tick while
    they work. A worker's stderr goes to a file, not a pipe, so that it can never
    block on a full pipe while this process only watches.

    Raises:
        VoiceError: the voice does not exist (a worker exits 2, as coach does).
        SpeechError: a worker could not render a text, or died.
    """
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_parent, env.get("PYTHONPATH"))))
    command = [
        sys.executable,
        "-m",
        "coach.speech.worker",
        str(folder),
        str(settings.rate_wpm),
        settings.engine,
    ]
    if settings.voice is not None:
        command.append(settings.voice)
    workers: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    try:
        # A Ctrl-C inside Popen would lose the started child; it is taken once all are listed.
        with interrupts_held():
            for _ in shares:
                logs.append(tempfile.TemporaryFile())  # noqa: SIM115 (closed in finally)
                workers.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=logs[-1],
                        env=env,
                    )
                )
        for worker, share in zip(workers, shares, strict=True):
            assert worker.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # it failed to start: its stderr says why
                worker.stdin.write(json.dumps(share).encode())
                worker.stdin.close()
        while any(worker.poll() is None for worker in workers):
            time.sleep(WAIT_TICK_S)
            on_wait()
        for worker, log in zip(workers, logs, strict=True):
            if worker.returncode != 0:
                log.seek(0)
                errors = log.read().decode(errors="replace").strip()
                last = errors.splitlines()[-1] if errors else f"exit status {worker.returncode}"
                error = VoiceError if worker.returncode == VoiceError.exit_code else SpeechError
                raise error(last.removeprefix("coach: "))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        for log in logs:
            log.close()


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is over, then take effect as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals or may set handlers
        return
    held: list[int] = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: held.append(signum)) for sig in signals
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)
