"""The neural engine through its real code: ONNX Runtime running a Piper-format voice.

The voice is built here (tests/piper_voice.py): no packaged voice is licence-clean.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from coach import DISTRIBUTION
from coach.audio import SAMPLE_RATE_HZ, level_speech
from coach.speech.cache import SpeechCache
from coach.speech.engine import SpeechSettings
from coach.speech.piper import PiperEngine
from coach.speech.piper_voices import find_voice, read_voice
from tests.alsa_capture import as_heard, capture_home, trimmed
from tests.piper_voice import build_voice
from tests.speech.user import coach, one_line, own_user

CUE = "Roll slowly along the calf, then switch sides."


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_voice(tmp_path_factory.mktemp("voices"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return own_user(tmp_path)


def wavs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.wav")) if folder.exists() else []


def dominant_hz(pcm: bytes) -> float:
    values = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(values))
    return float(np.fft.rfftfreq(len(values), 1 / SAMPLE_RATE_HZ)[int(spectrum.argmax())])


def test_the_engine_renders_what_the_voice_says(voice: Path) -> None:
    engine = PiperEngine()
    clip = engine.render(CUE, SpeechSettings(voice=str(voice), engine="piper"))
    assert clip.sample_rate_hz == SAMPLE_RATE_HZ
    # the tone voice pitches each phoneme at 140 + 7 x its id: only voiced ids sound
    found = read_voice(voice)
    ids = [i for sentence in engine.phoneme_ids(found, CUE) for i in sentence]
    assert ids[0] == found.phoneme_ids["^"]
    assert ids[-1] == found.phoneme_ids["$"]
    assert set(ids[2:-1:2]) == {found.phoneme_ids["_"]}  # each phoneme, then the pad
    assert {found.phoneme_ids[","], found.phoneme_ids["."]} <= set(ids)  # punctuation kept
    comma = ids.index(found.phoneme_ids[","])  # right after its clause, as Piper writes it
    assert ids[comma - 2] != found.phoneme_ids[" "]
    assert ids[comma + 2] == found.phoneme_ids[" "]
    voiced = [i for i in ids if i >= 8]
    assert len(voiced) > 20
    pitches = {140 + 7 * i for i in voiced}
    assert min(abs(dominant_hz(clip.pcm) - p) for p in pitches) < 3


def test_rate_maps_to_the_length_scale(voice: Path) -> None:
    engine = PiperEngine()
    slow = engine.render(CUE, SpeechSettings(voice=str(voice), rate_wpm=80, engine="piper"))
    usual = engine.render(CUE, SpeechSettings(voice=str(voice), engine="piper"))
    fast = engine.render(CUE, SpeechSettings(voice=str(voice), rate_wpm=320, engine="piper"))
    assert slow.duration_s / usual.duration_s == pytest.approx(2.0, rel=0.05)
    assert fast.duration_s / usual.duration_s == pytest.approx(0.5, rel=0.05)


def test_a_voice_at_another_sample_rate_is_resampled(tmp_path: Path) -> None:
    low = build_voice(tmp_path, "en_US-tones-low", sample_rate=16000)
    usual = build_voice(tmp_path, "en_US-tones-medium")
    engine = PiperEngine()
    a = engine.render(CUE, SpeechSettings(voice=str(low), engine="piper"))
    b = engine.render(CUE, SpeechSettings(voice=str(usual), engine="piper"))
    assert a.sample_rate_hz == SAMPLE_RATE_HZ
    assert a.duration_s == pytest.approx(b.duration_s, abs=0.02)


def test_the_cache_is_keyed_by_the_voice_files_content(tmp_path: Path, voice: Path) -> None:
    folder = tmp_path / "cache"
    first = SpeechCache(folder, SpeechSettings(voice=str(voice), engine="piper"))
    clip = first.clip(CUE)
    assert first.rendered == 1
    assert clip == level_speech(PiperEngine().render(CUE, first.settings))
    # the same files elsewhere: the same key, nothing rendered
    copy = tmp_path / "elsewhere" / voice.name
    copy.parent.mkdir()
    shutil.copy(voice, copy)
    shutil.copy(f"{voice}.json", f"{copy}.json")
    moved = SpeechCache(folder, SpeechSettings(voice=str(copy), engine="piper"))
    assert moved.clip(CUE) == clip
    assert moved.rendered == 0
    # other content at that path (a voice at another sample rate): rendered again
    build_voice(copy.parent, copy.name.removesuffix(".onnx"), sample_rate=16000)
    changed = SpeechCache(folder, SpeechSettings(voice=str(copy), engine="piper"))
    changed.clip(CUE)
    assert changed.rendered == 1


def test_a_cold_render_in_workers_gives_the_same_clips(tmp_path: Path, voice: Path) -> None:
    texts = [f"Hold number {n}, breathe out slowly." for n in range(24)]
    settings = SpeechSettings(voice=str(voice), engine="piper")
    together = SpeechCache(tmp_path / "a", settings)
    together.render_all(texts, workers=2)
    alone = SpeechCache(tmp_path / "b", settings)
    alone.render_all(texts, workers=1)
    assert together.rendered == alone.rendered == 24
    assert all(together.clip(t) == alone.clip(t) for t in texts)


def test_export_and_play_smr_legs_speak_with_the_piper_voice(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "legs.wav"
    exported = coach("export", "smr-legs", "-o", str(out), "--voice", f"piper:{voice}", env=env)
    assert exported.returncode == 0, exported.stderr
    planned = json.loads(
        coach("show", "smr-legs", "--voice", f"piper:{voice}", "--json", env=env).stdout
    )
    assert (planned["engine"], planned["voice"]) == ("piper", str(voice))
    speech = SpeechCache(
        Path(env["XDG_CACHE_HOME"]) / "coach" / "speech",
        SpeechSettings(voice=str(voice), engine="piper"),
        lambda: None,  # type: ignore[arg-type,return-value]  # cached only: never renders
    )
    samples, rate = soundfile.read(out, dtype="int16")
    assert rate == SAMPLE_RATE_HZ
    says = [e for e in planned["events"] if e["kind"] == "say"]
    for event in says[:3] + says[-2:]:
        clip = speech.clip(event["text"])
        start = round(event["at_s"] * SAMPLE_RATE_HZ)
        assert samples[start : start + clip.frames].tobytes() == clip.pcm
    # eSpeak NG's own export of the same routine differs: the voice was not ignored
    espeak = tmp_path / "espeak.wav"
    assert coach("export", "smr-legs", "-o", str(espeak), env=env).returncode == 0
    assert espeak.read_bytes() != out.read_bytes()


@pytest.mark.slow
def test_play_smr_legs_live_plays_exactly_the_voice_clips(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    home, capture = capture_home(tmp_path)
    run_env = {**env, "HOME": home["HOME"]}
    log = tmp_path / "log.jsonl"
    args = ["smr-legs", "--from", "calves", "--pace", "4", "--voice", f"piper:{voice}"]
    played = coach("play", *args, "--quiet", "--log", str(log), env=run_env)
    assert played.returncode == 0, played.stderr
    speech = SpeechCache(
        Path(env["XDG_CACHE_HOME"]) / "coach" / "speech",
        SpeechSettings(voice=str(voice), engine="piper"),
        lambda: None,  # type: ignore[arg-type,return-value]
    )
    from coach.render.build import load_sounds

    sounds = {s.value: c for s, c in load_sounds().items()}
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(line["kind"] == "say" for line in lines)

    def pcm_of(line: dict[str, Any]) -> bytes:
        return speech.clip(line["text"]).pcm if line["kind"] == "say" else sounds[line["sound"]].pcm

    # what export writes at those times, played at those times
    assert trimmed(capture.read_bytes()) == as_heard(lines, pcm_of)


def test_voices_lists_the_folder_and_installed_packages_with_their_language(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    folder = Path(env["XDG_DATA_HOME"]) / "coach" / "voices"
    build_voice(folder, "de_DE-tones-medium", language="de_DE", espeak_voice="de")
    site = tmp_path / "site"
    build_voice(site / "x_piper_voice" / "data", "en_GB-tones-low", language="en_GB")
    info = site / "x_piper_voice-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: x-piper-voice\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        "x_piper_voice/data/en_GB-tones-low.onnx,,\nx_piper_voice/data/en_GB-tones-low.onnx.json,,\n"
    )
    with_site = {**env, "PYTHONPATH": os.pathsep.join([str(site), env.get("PYTHONPATH", "")])}
    listed = coach("voices", "--engine", "piper", env=with_site)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert set(rows) == {"de_DE-tones-medium", "en_GB-tones-low"}
    assert "de-DE" in rows["de_DE-tones-medium"]
    assert "en-GB" in rows["en_GB-tones-low"]
    german = coach("voices", "--engine", "piper", "--language", "de", env=with_site)
    assert german.stdout.split()[0] == "de_DE-tones-medium"
    assert len(german.stdout.splitlines()) == 1
    # a voice named by its id is found where it lives
    out = tmp_path / "x.wav"
    by_id = coach(
        "export",
        str(Path(__file__).parent.parent / "data" / "tiny.yaml"),
        "-o",
        str(out),
        "--voice",
        "piper:en_GB-tones-low",
        env=with_site,
    )
    assert by_id.returncode == 0, by_id.stderr


def test_a_config_that_prefers_neural_voices_picks_the_routines_language(
    tmp_path: Path, env: dict[str, str]
) -> None:
    folder = Path(env["XDG_DATA_HOME"]) / "coach" / "voices"
    english = build_voice(folder, "en_US-tones-medium")
    (Path(env["XDG_CONFIG_HOME"]) / "coach").mkdir()
    (Path(env["XDG_CONFIG_HOME"]) / "coach" / "config.toml").write_text("neural = true\n")

    def said_by(*args: str) -> tuple[str, str]:
        shown = coach("show", *args, "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        document = json.loads(shown.stdout)
        return document["engine"], document["voice"]

    assert said_by("smr-legs") == ("piper", "en_US-tones-medium")
    # a language with no neural voice of the user's: eSpeak NG's voice for it
    assert said_by("smr-legs-de")[0] == "espeak"
    # and once there is one, that voice, for that language only
    build_voice(folder, "de_DE-tones-medium", language="de_DE", espeak_voice="de")
    assert said_by("smr-legs-de") == ("piper", "de_DE-tones-medium")
    assert said_by("smr-legs") == ("piper", "en_US-tones-medium")
    german = coach("export", "smr-legs-de", "-o", str(tmp_path / "de.wav"), env=env)
    assert german.returncode == 0, german.stderr
    # --engine on the command line wins over the preference
    assert said_by("smr-legs", "--engine", "espeak")[0] == "espeak"
    out = tmp_path / "legs.wav"
    exported = coach("export", "smr-legs", "-o", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    by_path = tmp_path / "by-path.wav"
    assert (
        coach(
            "export", "smr-legs", "-o", str(by_path), "--voice", f"piper:{english}", env=env
        ).returncode
        == 0
    )
    assert out.read_bytes() == by_path.read_bytes()


def test_without_the_neural_extra_it_says_how_to_get_it(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    blocked = tmp_path / "blocked" / "onnxruntime"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('no onnxruntime here')\n")
    no_extra = {**env, "PYTHONPATH": str(blocked.parent)}
    out = tmp_path / "x.wav"
    run = coach("export", "smr-legs", "-o", str(out), "--voice", f"piper:{voice}", env=no_extra)
    assert f"{DISTRIBUTION}[neural]" in one_line(run, 2)
    assert not out.exists()
    assert wavs(Path(env["XDG_CACHE_HOME"])) == []
    # what needs no model still works: the voices are listed, cached speech is played
    build_voice(Path(env["XDG_DATA_HOME"]) / "coach" / "voices")
    listed = coach("voices", "--engine", "piper", env=no_extra)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[0] == "en_US-tones-medium"
    tiny = str(Path(__file__).parent.parent / "data" / "tiny.yaml")
    args = ["export", tiny, "-o", str(out), "--voice", f"piper:{voice}"]
    assert coach(*args, env=env).returncode == 0
    out.unlink()
    warm = coach(*args, env=no_extra)
    assert warm.returncode == 0, warm.stderr
    assert out.exists()


def damaged(tmp_path: Path, voice: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    target = folder / voice.name
    shutil.copy(voice, target)
    shutil.copy(f"{voice}.json", f"{target}.json")
    return target


@pytest.mark.parametrize(
    "harm",
    [
        "no model",
        "no config",
        "model is noise",
        "model cut short",
        "config is not json",
        "config lacks the map",
        "config nests deep",
        "model is a fifo",
        "model is a folder",
        "not a piper model",
        "infinite scale",
        "unknown espeak voice",
        "infinite sample rate",
        "sample rate of 5,001 digits",
        "huge noise scale",
        "infinite speakers",
        "huge phoneme id",
        "config is a list",
    ],
)
def test_a_missing_or_damaged_voice_is_one_line_and_leaves_nothing_cached(
    tmp_path: Path, voice: Path, env: dict[str, str], harm: str
) -> None:
    target = damaged(tmp_path, voice, "voice")
    config = Path(f"{target}.json")
    data = json.loads(config.read_text())
    if harm == "no model":
        target.unlink()
    elif harm == "no config":
        config.unlink()
    elif harm == "model is noise":
        target.write_bytes(os.urandom(4096))
    elif harm == "model cut short":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif harm == "config is not json":
        config.write_bytes(b"\xff\xfe{nope")
    elif harm == "config lacks the map":
        del data["phoneme_id_map"]
        config.write_text(json.dumps(data))
    elif harm == "config nests deep":
        config.write_text("[" * 100_000 + "]" * 100_000)
    elif harm == "model is a fifo":
        target.unlink()
        os.mkfifo(target)
    elif harm == "model is a folder":
        target.unlink()
        target.mkdir()
    elif harm == "not a piper model":
        import onnx
        from onnx import TensorProto, helper

        graph = helper.make_graph(
            [helper.make_node("Identity", ["x"], ["y"])],
            "other",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        )
        onnx.save(helper.make_model(graph), target)
    elif harm == "infinite scale":
        data["inference"]["length_scale"] = float("inf")
        config.write_text(json.dumps(data))
    elif harm == "unknown espeak voice":
        data["espeak"]["voice"] = "xx-nope"
        config.write_text(json.dumps(data))
    elif harm == "infinite sample rate":
        config.write_text(
            json.dumps(data).replace('"sample_rate": 22050', '"sample_rate": Infinity')
        )
    elif harm == "sample rate of 5,001 digits":
        config.write_text(
            json.dumps(data).replace('"sample_rate": 22050', '"sample_rate": ' + "9" * 5001)
        )
    elif harm == "huge noise scale":
        config.write_text(json.dumps(data).replace('"noise_scale": 0.667', '"noise_scale": 1e999'))
    elif harm == "infinite speakers":
        data["num_speakers"] = float("inf")
        config.write_text(json.dumps(data))
    elif harm == "huge phoneme id":
        data["phoneme_id_map"]["a"] = [10**30]
        config.write_text(json.dumps(data))
    elif harm == "config is a list":
        config.write_text("[1, 2]")
    field = {
        "infinite sample rate": "'audio.sample_rate'",
        "sample rate of 5,001 digits": "'audio.sample_rate'",
        "huge noise scale": "'inference.noise_scale'",
        "infinite speakers": "'num_speakers'",
        "huge phoneme id": "'phoneme_id_map' 'a'",
    }.get(harm, "")
    out = tmp_path / "x.wav"
    run = coach("export", "smr-legs", "-o", str(out), "--voice", f"piper:{target}", env=env)
    line = one_line(run, 2)
    assert str(target.name) in line
    assert field in line
    assert not out.exists()
    assert wavs(Path(env["XDG_CACHE_HOME"]) / "coach" / "speech") == []


def test_a_voice_of_another_language_is_refused(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "x.wav"
    run = coach("export", "smr-legs-de", "-o", str(out), "--voice", f"piper:{voice}", env=env)
    line = one_line(run, 2)
    assert "en-US" in line
    assert "smr-legs-de" in line or " de" in line
    assert not out.exists()


def test_bad_voice_options_are_one_line(voice: Path, env: dict[str, str]) -> None:
    conflict = coach("show", "smr-legs", "--engine", "espeak", "--voice", f"piper:{voice}", env=env)
    empty = coach("show", "smr-legs", "--voice", "piper:", env=env)
    for refused in (conflict, empty):  # click's usage error, said in one line
        assert refused.stdout == ""
        assert one_line(refused, 2).startswith("coach: invalid value for '--voice'")
    unknown = coach("show", "smr-legs", "--voice", "piper:no-such-voice", env=env)
    assert "no-such-voice" in one_line(unknown, 2)
    no_voice = coach("show", "smr-legs", "--engine", "piper", env=env)
    assert "--voice piper:PATH" in one_line(no_voice, 2)


def test_find_voice_reads_a_path_or_an_id(voice: Path) -> None:
    assert find_voice(str(voice)).id == "en_US-tones-medium"
    assert find_voice(f"{voice}.json").model == voice
    assert read_voice(voice).language == "en-US"


def test_a_damaged_note_of_a_voices_digest_is_read_past(tmp_path: Path, voice: Path) -> None:
    from coach.speech import piper_voices as piper

    copy = damaged(tmp_path, voice, "copy")
    piper._digest.cache_clear()
    key = piper.voice_key(str(copy))
    notes = sorted((Path(os.environ["XDG_CACHE_HOME"]) / "coach" / "voices").glob("*.json"))
    assert notes
    for garbage in ("{", "[" * 50_000, json.dumps({"stamp": "x", "sha256": "0" * 64}), "\0\0"):
        for note in notes:
            note.write_text(garbage)
        piper._digest.cache_clear()
        assert piper.voice_key(str(copy)) == key
    # the note is kept by the files' size, time and inode: a changed file is read again
    copy.write_bytes(copy.read_bytes() + b"\0")
    piper._digest.cache_clear()
    assert piper.voice_key(str(copy)) != key


def test_onnx_runtime_leaves_no_device_id_and_sends_nothing(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    """coach is offline and private: ONNX Runtime's telemetry is off in every process that
    renders (its device id and event store would sit in the user's cache)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**env, "HOME": str(home)}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    target = tmp_path / "legs.wav"
    done = coach("export", "smr-legs", "--voice", f"piper:{voice}", "-o", str(target), env=env)
    assert done.returncode == 0, done.stderr
    left = [p for p in (*home.rglob("*"), *tmp_path.rglob("*")) if "Microsoft" in p.parts]
    assert left == []


def test_a_broken_voices_package_is_left_out_and_named_where_it_matters(
    tmp_path: Path, voice: Path, env: dict[str, str]
) -> None:
    """A coach.voices entry point to a missing module, or one that raises, never stops a
    command; a voice that is then not found names it."""
    folder = Path(env["XDG_DATA_HOME"]) / "coach" / "voices"
    build_voice(folder, "en_US-tones-medium")
    site = tmp_path / "site"
    info = site / "broken_voices-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-voices\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[coach.voices]\nmissing = no_such_package.voices\nraising = raising_voices.data\n"
    )
    (site / "raising_voices").mkdir()
    (site / "raising_voices" / "__init__.py").write_text("raise RuntimeError('boom')\n")
    with_site = {
        **env,
        "PYTHONPATH": os.pathsep.join([str(site), env.get("PYTHONPATH", "")]),
        "COACH_NEURAL": "1",
    }
    tiny = str(Path(__file__).parent.parent / "data" / "tiny.yaml")
    listed = coach("voices", "--engine", "piper", env=with_site)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[0] == "en_US-tones-medium"
    for args in (["show", tiny], ["export", tiny, "-o", str(tmp_path / "x.wav")]):
        done = coach(*args, env=with_site)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    named = coach("show", tiny, "--voice", "piper:en_GB-nowhere", env=with_site)
    line = one_line(named, 2)
    assert "no_such_package.voices" in line
