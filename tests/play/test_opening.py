"""The first sound at once: the title plays while the rest of the session renders.

On the fake clock: the player takes over from an opening clip. Through the real
CLI, its ALSA stream and ALSA's capture: a cold session is heard before its speech is
all rendered, yet plays exactly the planned clips, also one with much to render.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from coach.play.output import Opening
from coach.play.player import play_session
from coach.render.build import draft_session, load_sounds, opening_text, session_plan
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.testing import FakeClock, FakeOutput, fake_speech_s
from coach.timeline.events import Sound
from tests.alsa_capture import as_heard, assert_no_leads, capture_home, sounded, trimmed
from tests.conftest import SHORT, as_at_a_shell, coach_command
from tests.play.test_player import planned_json
from tests.play.test_player import session as session  # a fixture


def opening_of(session: Session, output: FakeOutput, clock: FakeClock) -> Opening:
    """The opening chime at once, and the title on time after it."""
    chime, title = session.timeline.events[:2]
    assert chime.sound is Sound.OPEN
    assert title.text is not None
    started = clock.now()
    output.play(session.clip(chime))
    clock.t = started + title.at_s
    return Opening(title.text, started, output.play(session.speech[title.text]), title.at_s)


def test_the_player_goes_on_from_an_opening_as_if_it_had_fired_it(
    session: Session,
) -> None:
    clock = FakeClock()
    output = FakeOutput(clock)
    opening = opening_of(session, output, clock)
    clock.t += 0.4  # the rest rendered while the title played
    result = play_session(session, output, clock, opening=opening)
    assert result.completed
    assert output.played == [session.clip(e) for e in session.timeline.events]
    assert [f.fired_s for f in result.fired] == pytest.approx(
        [e.at_s for e in session.timeline.events], abs=1e-9
    )


def test_when_the_rest_is_late_the_session_waits_after_the_opening(
    session: Session,
) -> None:
    """Every later gap stays as planned: the whole session moves, no cue is squeezed."""
    clock = FakeClock()
    output = FakeOutput(clock)
    opening = opening_of(session, output, clock)
    events = session.timeline.events
    clock.t += events[2].at_s - events[1].at_s + 2.0
    result = play_session(session, output, clock, opening=opening)
    assert [f.fired_s for f in result.fired[:2]] == [0.0, events[1].at_s]
    shifts = [f.fired_s - f.event.at_s for f in result.fired[2:]]
    assert shifts == pytest.approx([2.0] * len(shifts), abs=1e-9)


def test_a_title_said_late_after_its_chime_is_logged_late_and_moves_nothing_else(
    session: Session,
) -> None:
    """A voice still getting ready when the title is due: the title is late, said so in the
    log, and the session keeps its zero at the chime."""
    clock = FakeClock()
    output = FakeOutput(clock)
    chime, title = session.timeline.events[:2]
    assert title.text is not None
    output.play(session.clip(chime))
    clock.t = title.at_s + 0.3
    playing = output.play(session.speech[title.text])
    opening = Opening(title.text, 0.0, playing, title.at_s, late_s=0.3)
    result = play_session(session, output, clock, opening=opening)
    late = [f.fired_s - f.event.at_s for f in result.fired]
    assert late[:2] == pytest.approx([0.0, 0.3])
    assert late[2:] == pytest.approx([0.0] * (len(late) - 2), abs=1e-9)


def test_an_opening_that_is_not_the_first_event_is_stopped_and_play_starts_over(
    session: Session,
) -> None:
    clock = FakeClock()
    output = FakeOutput(clock)
    text = session.timeline.events[2].text or session.timeline.phrases.paused
    wrong = Opening(text, clock.now(), output.play(session.speech[text]), 0.6)
    result = play_session(session, output, clock, opening=wrong)
    assert "stop" in output.log
    assert output.played[1:] == [session.clip(e) for e in session.timeline.events]
    assert result.fired[0].fired_s == 0.0


LONG_TITLE = """\
title: A first cold start, with a title long enough to say while the rest renders
transition: 1s
sections:
  - name: Test
    exercises:
      - name: Calves
        setup: Ball under your calf.
        sides: both
        hold: 12s
        cues: [Roll slowly.]
"""


def first_sound_and_cache(
    routine: Path, tmp_path: Path, *extra: str, stop_after_s: float | None = None
) -> tuple[subprocess.CompletedProcess[str], int, Path, dict[str, str]]:
    """Play ``routine`` on a cold cache; how many clips were cached at the first sound.

    ``stop_after_s``: stop the session (Ctrl-C) this long after the first sound.
    """
    env, capture = capture_home(tmp_path)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    speech = tmp_path / "cache" / "coach" / "speech"
    log = tmp_path / "log.jsonl"
    command = [*coach_command(), "play", str(routine), "--quiet", "--log", str(log), *extra]
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_at_a_shell,  # Ctrl-C works, also under a runner that ignores SIGINT
    )
    deadline = time.monotonic() + 60
    while not sounded(capture):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "nothing was ever heard"
        time.sleep(0.001)
    cached = len(list(speech.rglob("*.wav")))
    if stop_after_s is not None:
        time.sleep(stop_after_s)
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    run = subprocess.CompletedProcess(command, proc.returncode, out, err)
    return run, cached, capture, env


def expected_audio(
    routine: Path, env: dict[str, str], *args: str
) -> tuple[bytes, dict[str, object]]:
    timeline = planned_json([str(routine), *args], env)
    speech = SpeechCache(
        Path(env["XDG_CACHE_HOME"]) / "coach" / "speech",
        SpeechSettings(),
        lambda: None,  # type: ignore[arg-type,return-value]
    )
    sounds = {s.value: c for s, c in load_sounds().items()}
    events: list[dict[str, str]] = timeline["events"]
    lines = [json.loads(line) for line in (routine.parent / "log.jsonl").read_text().splitlines()]
    assert [line["at_s"] for line in lines] == [e["at_s"] for e in events]

    def pcm_of(e: dict[str, Any]) -> bytes:
        return speech.clip(e["text"]).pcm if e["kind"] == "say" else sounds[e["sound"]].pcm

    assert_no_leads(lines)
    return as_heard(lines, pcm_of), timeline


@pytest.mark.slow
def test_a_cold_session_is_heard_before_its_speech_is_rendered_and_plays_the_plan(
    tmp_path: Path,
) -> None:
    routine = tmp_path / "long-title.yaml"
    routine.write_text(LONG_TITLE)
    run, cached_at_first_sound, capture, env = first_sound_and_cache(
        routine, tmp_path, "--pace", "2"
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    cached = len(list((tmp_path / "cache" / "coach" / "speech").rglob("*.wav")))
    assert cached_at_first_sound <= 2 < cached / 4  # the title, before (almost) all else
    audio, timeline = expected_audio(routine, env, "--pace", "2")
    assert trimmed(capture.read_bytes()) == audio  # none fired unrendered, cut or added
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    events: list[dict[str, float]] = timeline["events"]  # type: ignore[assignment]
    assert [line["at_s"] for line in lines] == [e["at_s"] for e in events]
    late = [line["fired_s"] - line["at_s"] for line in lines]
    assert min(late) >= 0
    assert max(late) < 0.05  # the rest was ready before the title ended


MANY_CUES = "title: Go\nsections:\n  - name: Test\n    exercises:\n" + "".join(
    f"      - {{name: Spot {n}, setup: Find spot number {n}., hold: 20s}}\n" for n in range(60)
)


@pytest.mark.slow
def test_a_cold_session_with_much_to_render_starts_at_once_and_no_clip_is_late(
    tmp_path: Path,
) -> None:
    """A one-word title lasts less than rendering 60 exercises takes: the session starts on
    its first clips all the same, and the rest renders in the order it is said, in time."""
    routine = tmp_path / "many-cues.yaml"
    routine.write_text(MANY_CUES)
    run, cached_at_first_sound, _, _ = first_sound_and_cache(routine, tmp_path, stop_after_s=8.0)
    nothing = SpeechCache(tmp_path / "nothing", SpeechSettings())
    draft = draft_session(load_routine(routine), nothing, load_sounds(), live=True)
    assert len(draft.texts) > 60
    assert cached_at_first_sound <= 2  # the chime rang before (almost) anything rendered
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    texts = [line.get("text") for line in lines]
    assert texts[:4] == [None, draft.order[0], draft.order[1], draft.order[2]]
    assert len(lines) >= 4  # and on into the first exercise
    late = [line["fired_s"] - line["at_s"] for line in lines]
    assert min(late) >= 0
    assert max(late) < 0.05
    cached = list((tmp_path / "cache" / "coach" / "speech").rglob("*.wav"))
    assert len(cached) > len(draft.order)  # all it says rendered by then


def test_a_session_that_cannot_be_planned_is_refused_before_any_sound(tmp_path: Path) -> None:
    routine = tmp_path / "too-short.yaml"
    routine.write_text(LONG_TITLE.replace("hold: 12s", "hold: 1s"))
    env, capture = capture_home(tmp_path)
    run = subprocess.run(
        [*coach_command(), "play", str(routine), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not sounded(capture)


@pytest.mark.parametrize("length_s", [None, 300.0])
@pytest.mark.parametrize("pace", [0.25, 1.0, 4.0])
def test_every_plan_opens_with_its_chime_and_then_its_title_at_the_same_time(
    pace: float, length_s: float
) -> None:
    """What the live opening plays before the session is planned: the same at any pace or
    length, and not depending on any speech's length."""
    routine = load_routine(SHORT)
    sound_s = {s: c.duration_s for s, c in load_sounds().items()}
    for speech_s in (fake_speech_s, lambda text: 3 * fake_speech_s(text)):
        timeline = session_plan(routine, sound_s, pace, length_s)(speech_s)
        chime, title = timeline.events[:2]
        assert (chime.at_s, chime.sound) == (0.0, Sound.OPEN)
        assert title.text == opening_text(routine)
        assert title.at_s == pytest.approx(sound_s[Sound.OPEN] + 0.25, abs=0.001)
        assert title.at_s <= 0.75  # the first word within a second of the command
