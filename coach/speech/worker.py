"""A render worker: ``python -m coach.speech.worker FOLDER RATE ENGINE [VOICE]``, texts on stdin.

It renders each text into the speech cache in FOLDER with its own engine and
exits 0, or prints one line and exits with coach's own status for it (2 for an
unknown voice, 1 for a failure). Started by ``speech.workers.render_in_workers``.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from coach.errors import CoachError
from coach.speech.cache import SpeechCache
from coach.speech.engine import SpeechSettings


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group: the parent reports it, the worker just ends.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 3
    texts = json.loads(sys.stdin.read())
    try:
        voice = argv[3] if len(argv) == 4 else None
        settings = SpeechSettings(voice=voice, rate_wpm=int(argv[1]), engine=argv[2])
        cache = SpeechCache(Path(argv[0]), settings)
        for text in texts:
            cache.clip(text)
    except CoachError as err:
        print(f"coach: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
