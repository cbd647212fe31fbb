"""Coach's own sound cancelled from what the microphone hears, on a room simulated to the
sample (``tests.echo_room``) and real eSpeak NG speech: the reference lined up by time,
the echo found wherever it is, a command over a cue obeyed, coach's own words never."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import soxr
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.control.echo import KEEP_S, Canceller, Reference, speexdsp
from coach.control.recogniser import SAMPLE_RATE_HZ
from coach.play.speaking import SpeakingLog
from coach.speech.engine import SpeechSettings
from coach.speech.espeak import start
from tests.echo_room import (
    PLAYED_HZ,
    T0,
    CopyingReference,
    hand_over,
    heard_in_room,
    listener_for,
    through_listener,
)

LIB = speexdsp()
pytestmark = pytest.mark.skipif(LIB is None, reason="libspeexdsp is missing (./setup.sh)")

CUES = (
    "Place the ball under your right calf and roll slowly from the knee down to the ankle.",
    "Stop. Next. Pause. Faster. Back. Then breathe out, and let your weight sink in.",
    "Cross your left leg over the right to add pressure, and breathe out as you hold.",
)


@pytest.fixture(scope="module")
def engine() -> Any:
    return start()


def said(engine: Any, text: str, hz: int = PLAYED_HZ) -> np.ndarray:
    clip = engine.render(text, SpeechSettings())
    samples = np.frombuffer(clip.pcm, np.int16).astype(np.float64)
    if hz == clip.sample_rate_hz:
        return samples
    return np.asarray(soxr.resample(samples, clip.sample_rate_hz, hz))


def cues(engine: Any, times: int) -> np.ndarray:
    """Coach's cues, one after another with a second between: what the stream plays."""
    gap = np.zeros(PLAYED_HZ)
    parts = [said(engine, text) for text in CUES] * times
    return np.concatenate([x for part in parts for x in (part, gap)])


def cancelled(
    played: np.ndarray, mic: np.ndarray, jitter_s: float = 0.0
) -> tuple[Canceller, np.ndarray]:
    """``mic`` through a canceller fed ``played`` as the stream hands it over."""
    log = SpeakingLog()
    canceller = Canceller(LIB, log)
    rng = np.random.default_rng(2)
    out, handed = [], 0
    for n in range(len(mic) // 320):
        stamp = (n + 1) * 320 / SAMPLE_RATE_HZ
        handed = hand_over(log, played, handed, stamp)
        late = float(rng.uniform(0, jitter_s))
        block = mic[n * 320 : (n + 1) * 320].astype(np.int16).tobytes()
        out += [pcm for _, pcm in canceller.cancel(block, T0 + stamp + late)]
    return canceller, np.frombuffer(b"".join(out), np.int16).astype(np.float64)


def test_what_played_is_found_at_16_khz_by_the_time_it_was_heard() -> None:
    log = SpeakingLog()
    canceller = Canceller(LIB, log)
    noise = np.random.default_rng(1).normal(0, 3000, 3 * 8000)  # below 4 kHz, as speech mostly is
    played = np.asarray(soxr.resample(noise, 8000, PLAYED_HZ)).astype(np.int16)
    for at in range(0, len(played), 220):
        log.played(T0 + 1 + at / PLAYED_HZ, played[at : at + 220].tobytes(), PLAYED_HZ)
    canceller.reference.take()
    want = np.asarray(soxr.resample(played.astype(np.float32), PLAYED_HZ, SAMPLE_RATE_HZ))
    got = canceller.reference.between(T0 + 2, SAMPLE_RATE_HZ).astype(np.float64)
    part = want[SAMPLE_RATE_HZ : 2 * SAMPLE_RATE_HZ]
    assert np.corrcoef(got, part)[0, 1] > 0.99  # the same sound, on the same sample
    assert not canceller.reference.between(T0 + 0.5, 8000).any()  # before: silence
    assert not canceller.reference.between(T0 + 4.01, 8000).any()  # after: silence
    canceller.close()


# a block: samples after (or before) where the last one ended, and how many
blocks = st.lists(
    st.tuples(
        st.one_of(st.just(0), st.integers(-3000, 3000), st.integers(-200_000, 40_000)),
        st.one_of(st.integers(0, 400), st.integers(0, 120_000)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(blocks=blocks)
def test_what_is_held_is_what_copying_every_block_held(blocks: list[tuple[int, int]]) -> None:
    """Gaps, overlaps, a restart far back or ahead, blocks longer than what is kept, the
    buffer filled many times over: what the copy held, the newest held the same, ending at
    the same time."""
    reference, copying = Reference(SpeakingLog()), CopyingReference()
    end_s, rng = T0, np.random.default_rng(len(blocks))
    keep = round(KEEP_S * SAMPLE_RATE_HZ)
    for shift, count in blocks:
        at = end_s + shift / SAMPLE_RATE_HZ
        out = rng.integers(-30000, 30000, count, dtype=np.int16)
        reference._put(at, out)
        copying.put(at, out)
        end_s = copying.t0 + len(copying.samples) / SAMPLE_RATE_HZ
        assert reference.end_s == pytest.approx(end_s, abs=1e-9)
        held = len(reference.samples) - len(copying.samples)
        assert held >= 0  # at least as much, and at most twice what is kept
        assert len(reference.samples) <= 2 * keep
        assert np.array_equal(reference.samples[held:], copying.samples)


@pytest.mark.parametrize("delay_s", [-0.15, 0.03, 0.3])
def test_the_echo_is_found_wherever_it_is_and_cancelled(engine: Any, delay_s: float) -> None:
    """Ahead of when the stream says (a speaker that plays at once), a little after, or a
    Bluetooth speaker's 0.3 s after; the microphone's blocks stamped up to 8 ms late."""
    played = cues(engine, 3)
    mic, _ = heard_in_room(played, np.random.default_rng(3), delay_s)
    canceller, out = cancelled(played.astype(np.int16), mic, jitter_s=0.008)
    canceller.close()
    assert canceller.delay_s is not None
    assert canceller.delay_s == pytest.approx(delay_s + 0.012, abs=0.003)  # the direct path
    last = slice(len(out) - 8 * SAMPLE_RATE_HZ, len(out))  # the same samples, cancelled or not
    reduction_db = 10 * np.log10(np.mean(mic[last] ** 2) / np.mean(out[last] ** 2))
    assert reduction_db > 10, reduction_db  # at most a tenth of its power left


def test_a_command_over_a_cue_is_obeyed_and_coachs_own_words_never(engine: Any) -> None:
    """The cues hold command words; "longer" is said over the last cue, at the echo's level."""
    played = cues(engine, 3)
    mic, gain = heard_in_room(played, np.random.default_rng(3))
    last = len(said(engine, CUES[-1])) + PLAYED_HZ
    at = len(played) - last + last // 3  # a third into the last cue
    word = said(engine, "longer", SAMPLE_RATE_HZ)
    level = np.sqrt(np.mean(played[at - PLAYED_HZ : at + PLAYED_HZ] ** 2)) * gain
    start = round(at / PLAYED_HZ * SAMPLE_RATE_HZ)
    mic[start : start + len(word)] += word * level / np.sqrt(np.mean(word[np.abs(word) > 100] ** 2))
    pcm = np.clip(mic, -32768, 32767).astype(np.int16)
    for how, want in ((Canceller, ["longer"]), (None, [])):  # None: dropped by the gate
        heard = through_listener(listener_for(how, LIB), played.astype(np.int16), pcm)
        assert [h.word for h in heard] == want, (how, heard)


def test_said_over_coach_before_the_room_is_learned_is_dropped(engine: Any) -> None:
    played = cues(engine, 1).astype(np.int16)
    mic, _ = heard_in_room(played, np.random.default_rng(3))
    canceller, _ = cancelled(played[: PLAYED_HZ // 2], mic[: SAMPLE_RATE_HZ // 2])
    assert not canceller.clear(T0 + 0.2, T0 + 0.5, 1e12)  # however loud
    canceller, _ = cancelled(played, mic)
    end_s = T0 + len(mic) / SAMPLE_RATE_HZ  # once it is, a loud one just said is heard
    assert canceller.clear(end_s - 0.8, end_s - 0.3, 1e12)
    canceller.close()


def test_with_a_headset_a_command_over_a_cue_is_obeyed(engine: Any) -> None:
    """The microphone hears no coach at all: nothing to cancel, and nothing held back."""
    played = cues(engine, 1)
    mic = np.random.default_rng(4).normal(0, 20, round(len(played) / PLAYED_HZ * SAMPLE_RATE_HZ))
    word = said(engine, "next", SAMPLE_RATE_HZ)
    start = 3 * SAMPLE_RATE_HZ  # in the first cue, after it has said 3 s
    mic[start : start + len(word)] += word
    pcm = np.clip(mic, -32768, 32767).astype(np.int16)
    heard = through_listener(listener_for(Canceller, LIB), played.astype(np.int16), pcm)
    assert [h.word for h in heard] == ["next"]
