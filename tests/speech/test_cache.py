"""Real speech: pyttsx3 on eSpeak NG, the disk cache, and the driver's pitfalls under stress."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from coach.errors import SpeechError, VoiceError
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.speech.espeak import EspeakEngine
from coach.speech.workers import MAX_WORKERS, MIN_TEXTS_PER_WORKER, share_out, worker_count
from tests.conftest import as_at_a_shell, coach_command


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


def test_renders_real_speech(engine: EspeakEngine, capfd: pytest.CaptureFixture[str]) -> None:
    clip = engine.render("Roll slowly up and down.", SpeechSettings())
    assert clip.sample_rate_hz == 22_050
    assert 0.8 < clip.duration_s < 4.0
    assert clip.peak_dbfs() > -12  # audible speech, not silence
    assert capfd.readouterr().out == ""  # the driver's "Audio saved to" print is swallowed


def test_rate_changes_length(engine: EspeakEngine) -> None:
    slow = engine.render("Keep breathing slowly.", SpeechSettings(rate_wpm=100))
    fast = engine.render("Keep breathing slowly.", SpeechSettings(rate_wpm=300))
    assert slow.duration_s > 1.8 * fast.duration_s


def test_stress_every_cue_renders_at_its_own_setting(engine: EspeakEngine) -> None:
    """300 renders, rate and voice changing every few cues: none keeps the previous setting.

    pyttsx3 2.99 left about half of such renders at the old setting. Each render's
    length is compared with a reference rendered alone at its setting; a rate or
    voice that did not take changes the length far beyond eSpeak's own jitter.
    """
    texts = ["Roll slowly up and down the length of your thigh.", "Switch sides.", "Halfway."]
    settings = [
        SpeechSettings(voice=voice, rate_wpm=rate)
        for rate in (120, 230)
        for voice in ("gmw/en", "gmw/en-us", "roa/fr")
    ]
    reference = {(s, t): engine.render(t, s).frames for s in settings for t in texts}
    # the settings must be told apart by length, or the test could not fail
    for text in texts:
        lengths = sorted(reference[(s, text)] for s in settings)
        assert len(set(lengths)) == len(settings)
    rng = random.Random(7)
    wrong = []
    for i in range(300):
        setting = settings[(i // 3) % len(settings)]
        text = rng.choice(texts)
        frames = engine.render(text, setting).frames
        if abs(frames - reference[(setting, text)]) > 0.02 * reference[(setting, text)]:
            wrong.append((i, setting, text, frames, reference[(setting, text)]))
    assert wrong == []


def test_unknown_voice_is_a_clear_error(engine: EspeakEngine) -> None:
    with pytest.raises(SpeechError, match='unknown voice "klingon"; `coach voices` lists'):
        engine.render("Hello.", SpeechSettings(voice="klingon"))


def test_empty_text_is_refused_not_looped(engine: EspeakEngine) -> None:
    with pytest.raises(SpeechError, match="empty text"):
        engine.render("   ", SpeechSettings())


def test_rate_out_of_range() -> None:
    with pytest.raises(SpeechError, match="rate 20 words a minute is out of range"):
        SpeechSettings(rate_wpm=20)


def test_cache_second_run_renders_nothing(tmp_path: Path, engine: EspeakEngine) -> None:
    texts = ["One.", "Two, three.", "Switch to the right side."]
    first = SpeechCache(tmp_path, SpeechSettings(rate_wpm=150), lambda: engine)
    clips = [first.clip(t) for t in texts]
    assert first.rendered == 3
    second = SpeechCache(tmp_path, SpeechSettings(rate_wpm=150), lambda: engine)
    assert [second.clip(t) for t in texts] == clips
    assert second.rendered == 0
    # a different rate is a different key
    other = SpeechCache(tmp_path, SpeechSettings(rate_wpm=200), lambda: engine)
    other.clip("One.")
    assert other.rendered == 1


def test_damaged_cache_entry_is_rendered_again(tmp_path: Path, engine: EspeakEngine) -> None:
    cache = SpeechCache(tmp_path, SpeechSettings(), lambda: engine)
    clip = cache.clip("Breathe.")
    cache.path_for("Breathe.").write_bytes(b"RIFF broken")
    again = SpeechCache(tmp_path, SpeechSettings(), lambda: engine)
    assert again.clip("Breathe.").frames == pytest.approx(clip.frames, rel=0.02)
    assert again.rendered == 1


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut-in-half"),
        pytest.param(lambda data: data[: len(data) // 2 + 1], id="cut-at-an-odd-byte"),
        pytest.param(lambda data: data[:30], id="cut-in-the-header"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(
            lambda data: data[:24] + (44_100).to_bytes(4, "little") + data[28:], id="other-rate"
        ),
    ],
)
def test_a_cut_or_altered_cache_entry_is_never_used(
    tmp_path: Path, engine: EspeakEngine, damage: object
) -> None:
    text = "Roll slowly up and down the length of your thigh."
    whole = SpeechCache(tmp_path, SpeechSettings(), lambda: engine).clip(text)
    path = SpeechCache(tmp_path, SpeechSettings(), lambda: engine).path_for(text)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    again = SpeechCache(tmp_path, SpeechSettings(), lambda: engine)
    assert again.cached(text) is None
    assert not path.exists()  # removed, so the next run renders it whole
    clip = again.clip(text)
    assert again.rendered == 1
    assert clip.frames == pytest.approx(whole.frames, rel=0.02)
    assert clip.sample_rate_hz == 22_050
    assert SpeechCache(tmp_path, SpeechSettings(), lambda: engine).cached(text) == clip


def test_rendering_prints_nothing_on_stdout_even_later(
    engine: EspeakEngine, capfd: pytest.CaptureFixture[str]
) -> None:
    """The driver prints "Audio saved to ..." from eSpeak's callback, at times after runAndWait.

    Long texts are synthesised in several callbacks: that is when it came late.
    """
    long = " ".join(["Roll slowly up and down your thigh, breathing out as you go"] * 4)
    for n in range(6):
        engine.render(f"{long} {n} {uuid.uuid4().hex[:6]}.", SpeechSettings())
    time.sleep(0.2)
    assert capfd.readouterr().out == ""


def test_voices_are_listed(engine: EspeakEngine) -> None:
    ids = {v.id for v in engine.voices()}
    assert {"gmw/en", "gmw/en-us"} <= ids


# -- a cold cache rendered by worker processes --

TEXTS = [
    "Halfway.",
    "Switch sides.",
    "Ten seconds left.",
    "Roll slowly up and down the length of your thigh.",
    "Breathe out and let the muscle soften over the ball.",
    "Take two lacrosse balls taped together or in a sock, and lie on your back.",
    "Good.",
    "Keep your hips off the floor and your weight on your hands.",
    "Now, pause on any tender spot for a few breaths.",
    "That is the end of the session. Well done.",
]


WORKER_TEXTS = [
    "Good.",
    "Switch sides.",
    "Ten seconds left now.",
    "Breathe out and let the muscle soften.",
    "Roll slowly up and down the length of your calf, then rest.",
    "Take two lacrosse balls taped together and lie on your back with them under "
    "the middle of your back.",
]
"""Each about 1.4 times as long as the one before, so jitter cannot pass one for another."""


def test_workers_render_what_this_process_would(tmp_path: Path) -> None:
    """Each text gets its own clip (not a neighbour's), at about the length rendered here.

    eSpeak NG carries some state from one utterance to the next, so a text's length
    depends a little on what the same engine said before it: Debian's 1.51 gave 60 ms
    on "Good." (0.56 s) between a worker and this process, the wheel's up to 10.6 ms.
    The tolerance is a share of the length, well under the gap between any two texts.
    """
    parallel = SpeechCache(tmp_path / "parallel", SpeechSettings(rate_wpm=180))
    parallel.render_all(WORKER_TEXTS, workers=2)
    assert parallel.rendered == len(WORKER_TEXTS)
    assert parallel._engine is None  # every text came from a worker, none from this process
    here = SpeechCache(tmp_path / "here", SpeechSettings(rate_wpm=180))
    here.render_all(WORKER_TEXTS, workers=1)
    assert here._engine is not None
    tolerance = 0.12
    lengths = [here.clip(text).duration_s for text in WORKER_TEXTS]
    # a mixed-up text would be out by more than the tolerance, both ways
    assert all(b / a > (1 + tolerance) ** 2 for a, b in itertools.pairwise(lengths)), lengths
    for text, length in zip(WORKER_TEXTS, lengths, strict=True):
        assert abs(parallel.clip(text).duration_s / length - 1) < tolerance, text
    again = SpeechCache(tmp_path / "parallel", SpeechSettings(rate_wpm=180))
    again.render_all(WORKER_TEXTS, workers=2)
    assert again.rendered == 0


def test_worker_errors_read_as_they_would_here(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, SpeechSettings(voice="no-such-voice"))
    with pytest.raises(SpeechError, match=r'^unknown voice "no-such-voice"; `coach voices` lists'):
        cache.render_all(TEXTS, workers=2)


@pytest.mark.parametrize("workers", [1, 2])
def test_rendering_reports_its_progress(tmp_path: Path, workers: int) -> None:
    """A long render (10,000 exercises took 150 s) shows a bar: progress is reported as it goes."""
    texts = [f"Exercise number {n}, {uuid.uuid4().hex[:6]}." for n in range(40)]
    heard: list[float] = []
    SpeechCache(tmp_path, SpeechSettings()).render_all(texts, heard.append, workers=workers)
    assert heard == sorted(heard)
    assert heard[-1] == 1.0
    assert len(heard) >= 3  # not just "done": it moved while the workers worked
    assert any(0 < f < 1 for f in heard)


def test_the_voice_error_from_a_worker_is_a_usage_error(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, SpeechSettings(voice="no-such-voice"))
    with pytest.raises(VoiceError) as caught:
        cache.render_all(TEXTS, workers=2)
    assert caught.value.exit_code == 2


def test_an_unwritable_cache_renders_here(tmp_path: Path) -> None:
    """Workers hand clips over through the cache folder: without one, this process renders."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = SpeechCache(blocker / "cache", SpeechSettings())
    cache.render_all(TEXTS[:3], workers=2)
    assert cache.rendered == 3
    assert cache._engine is not None
    assert all(cache.cached(text) is not None for text in TEXTS[:3])


def test_share_out_balances_and_keeps_every_text() -> None:
    shares = share_out(TEXTS, 3)
    assert sorted(t for share in shares for t in share) == sorted(TEXTS)
    loads = [sum(len(t) for t in share) for share in shares]
    assert max(loads) - min(loads) <= max(len(t) for t in TEXTS)
    assert share_out(TEXTS[:1], 4) == [TEXTS[:1]]


def test_worker_count() -> None:
    assert worker_count(0) == 1
    assert worker_count(MIN_TEXTS_PER_WORKER - 1) == 1
    assert 1 <= worker_count(1000) <= MAX_WORKERS


def _processes_with(marker: str, command: str = "") -> list[int]:
    """Processes whose environment holds ``marker`` and whose command line holds ``command``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                environ = (proc / "environ").read_bytes()
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in environ and command.encode() in cmdline:
                found.append(int(proc.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("to_group", [True, False], ids=["ctrl-c", "sigint-to-coach-only"])
def test_interrupting_a_cold_render_leaves_no_worker(tmp_path: Path, to_group: bool) -> None:
    """Ctrl-C reaches coach and its workers (one process group); a plain SIGINT only coach."""
    marker = f"COACH_TEST_MARK={uuid.uuid4().hex}"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), marker.split("=")[0]: marker}
    proc = subprocess.Popen(
        [*coach_command(), "export", "smr-full", "-o", str(tmp_path / "s.wav")],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a command
        preexec_fn=as_at_a_shell,
    )
    deadline = time.monotonic() + 30
    while len(_processes_with(marker, "coach.speech.worker")) < 2:
        assert time.monotonic() < deadline, "the render workers never started"
        time.sleep(0.005)
    if to_group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in errors
    assert errors.strip() == "coach: stopped"
    # coach kills and reaps its workers before it exits: none is left rendering, and
    # they stopped then (smr-full has 66 texts; a worker left to finish renders half)
    left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in _processes_with(marker)}
    assert left == {}
    assert len(list((tmp_path / "cache").rglob("*.wav"))) < 20
    assert not (tmp_path / "s.wav").exists()


KILLED_AFTER_A_RENDER = """
import os, signal
from coach.speech.cache import SpeechCache, SpeechSettings
from pathlib import Path
cache = SpeechCache(Path(os.environ["FOLDER"]), SpeechSettings(voice=None, rate_wpm=175))
cache.clip(os.environ["TEXT"])
if os.environ.get("KILL"):
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _render_in_a_process(tmp_path: Path, cache_home: Path, text: str, *, kill: bool) -> int:
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path / "tmp"),
        "XDG_CACHE_HOME": str(cache_home),
        "FOLDER": str(tmp_path / "speech"),
        "TEXT": text,
        "KILL": "1" if kill else "",
    }
    return subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_A_RENDER], env=env, timeout=60
    ).returncode


def test_a_killed_renderer_leaves_nothing_behind_and_processes_share_one_copy(
    tmp_path: Path,
) -> None:
    (tmp_path / "tmp").mkdir()
    cache_home = tmp_path / "cache"
    for n in range(3):
        status = _render_in_a_process(tmp_path, cache_home, f"Killed after cue {n}.", kill=True)
        assert status == -signal.SIGKILL
    assert list((tmp_path / "tmp").iterdir()) == []
    copies = list((cache_home / "coach" / "espeak").rglob("*"))
    assert [p.name for p in copies if p.is_file()] == ["libespeak-ng-coach.so"]
    assert len(list((tmp_path / "speech").rglob("*.wav"))) == 3


def test_a_damaged_copy_of_the_library_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    cache_home = tmp_path / "cache"
    assert _render_in_a_process(tmp_path, cache_home, "A first cue.", kill=False) == 0
    [copy] = (cache_home / "coach" / "espeak").rglob("*.so")
    size = copy.stat().st_size
    copy.write_bytes(copy.read_bytes()[: size // 3])  # cut short, as by a full disk
    assert _render_in_a_process(tmp_path, cache_home, "A second cue.", kill=False) == 0
    assert copy.stat().st_size == size


def test_with_no_writable_cache_the_copy_is_private_and_removed(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("")
    assert _render_in_a_process(tmp_path, not_a_folder, "No cache at all.", kill=False) == 0
    assert list((tmp_path / "tmp").iterdir()) == []
