"""Export to every format, decoded back with soundfile and measured against the timeline."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from coach.audio import PEAK_CEILING_DBFS, SPEECH_RMS_DBFS, active_rms_dbfs
from coach.errors import OutputError
from coach.export.chapters import chapters, format_vtt
from coach.export.writer import export_session, sample_offset
from coach.render.build import build_session, load_sounds
from coach.render.session import Session
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.timeline.events import EventKind, Sound
from tests.conftest import SHORT, as_at_a_shell, coach_command

# how far a lossy codec may move the length: Vorbis up to a frame (2048 samples)
CODEC_FRAME = {"wav": 0, "flac": 0, "ogg": 2048, "mp3": 0}  # MP3: LAME's tag trims it exactly
CEILING = 10 ** (-1 / 20)  # -1 dBFS


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    speech = SpeechCache(tmp_path_factory.mktemp("speech"), SpeechSettings())
    return build_session(load_routine(SHORT), speech, load_sounds(), pace=2.0)


def onset(samples: np.ndarray, around: int, rate: int) -> int:
    """The first sample louder than -40 dBFS in the 300 ms before ``around`` and after (a
    lossy codec's pre-echo ahead of a chime stays under that)."""
    start = max(0, around - round(0.3 * rate))
    window = np.abs(samples[start : around + round(0.3 * rate)])
    return start + int(np.argmax(window > 10 ** (-40 / 20)))


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
@pytest.mark.parametrize("rate", [22_050, 44_100])
def test_each_format_decodes_to_the_timeline(
    session: Session, tmp_path: Path, fmt: str, rate: int
) -> None:
    target = tmp_path / f"session.{fmt}"
    result = export_session(session, target, sample_rate_hz=rate)
    samples, read_rate = soundfile.read(target, dtype="float64")
    assert read_rate == rate
    expected = sample_offset(session.timeline.total_s, rate)
    assert abs(len(samples) - expected) <= max(CODEC_FRAME[fmt], 1 if rate != 22_050 else 0)
    assert result.frames == pytest.approx(expected, abs=1)
    # every chime starts where it is planned (within the chime's 8 ms fade-in)
    for event in session.timeline.events:
        if event.kind is EventKind.SOUND:
            planned = sample_offset(event.at_s, rate)
            found = onset(samples, planned, rate)
            assert -0.003 * rate <= found - planned <= 0.012 * rate, (event, found - planned)
    # no clipping anywhere, peak at most -1 dBFS
    assert np.abs(samples).max() <= CEILING
    assert list(tmp_path.iterdir()) == [target]


def test_lossless_formats_hold_the_exact_samples(session: Session, tmp_path: Path) -> None:
    wav, flac = tmp_path / "a.wav", tmp_path / "a.flac"
    export_session(session, wav)
    export_session(session, flac)
    a, _ = soundfile.read(wav, dtype="int16")
    b, _ = soundfile.read(flac, dtype="int16")
    assert np.array_equal(a, b)
    switch = next(e for e in session.timeline.events if e.sound is Sound.SWITCH)
    start = sample_offset(switch.at_s)
    chime = np.frombuffer(load_sounds()[Sound.SWITCH].pcm, dtype="<i2")
    assert np.array_equal(a[start : start + len(chime)], chime)


def test_mp3_chapters_and_tags(session: Session, tmp_path: Path) -> None:
    target = tmp_path / "s.mp3"
    export_session(session, target)
    tags = ID3(target)
    assert str(tags["TIT2"]) == "Test routine"
    assert str(tags["TALB"]) == "short"
    marks = chapters(session.timeline)
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in chaps] == [
        (round(m.start_s * 1000), round(m.end_s * 1000), m.title) for m in marks
    ]
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [c.element_id for c in chaps]
    # tagging keeps the file gapless: the decoded length is still exact
    assert soundfile.info(target).frames == sample_offset(session.timeline.total_s)


@pytest.mark.parametrize("rate", [16_000, 22_050, 44_100, 48_000])
@pytest.mark.parametrize("lame", [True, False], ids=["system-lame", "libsndfile"])
def test_mp3_decodes_to_the_exact_length_through_either_encoder(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rate: int, lame: bool
) -> None:
    """LAME's info tag tells decoders its delay and padding: the length is exact (gapless)."""
    from coach.export import lame as lame_mp3

    if not lame:  # a machine without libmp3lame: libsndfile's encoder, as before
        monkeypatch.setattr(lame_mp3, "_lame", lambda: None)
    elif lame_mp3._lame() is None:
        pytest.fail("libmp3lame is missing: ./setup.sh installs libmp3lame0")
    target = tmp_path / "s.mp3"
    written = export_session(session, target, sample_rate_hz=rate).frames
    info = MP3(target).info
    assert info is not None
    assert info.sample_rate == rate
    assert info.channels == 1
    assert soundfile.info(target).frames == written  # every sample written, none added
    assert ID3(target).getall("CHAP")
    assert list(tmp_path.iterdir()) == [target]


def chap_frames_in_file_order(path: Path) -> list[str]:
    """CHAP element ids as the file stores them: how libavformat (ffprobe, VLC, mpv) lists them."""

    def syncsafe(data: bytes) -> int:
        return sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data))

    data = path.read_bytes()
    assert data[:3] == b"ID3"
    assert data[3] == 4  # ID3v2.4, as coach writes it
    end = 10 + syncsafe(data[6:10])
    at, found = 10, []
    while at + 10 <= end and data[at : at + 4] != b"\0\0\0\0":
        frame_id, size = data[at : at + 4], syncsafe(data[at + 4 : at + 8])
        if frame_id == b"CHAP":
            body = data[at + 10 : at + 10 + size]
            found.append(body[: body.index(b"\0")].decode())
        at += 10 + size
    return found


def test_mp3_chapters_are_stored_in_time_order(session: Session, tmp_path: Path) -> None:
    from coach.export.tags import write_id3
    from coach.plan.planner import plan_session
    from coach.timeline.events import Pacing
    from tests.conftest import SOUND_S, fake_speech_s

    target = tmp_path / "s.mp3"
    export_session(session, target)
    # the tags of a long routine (smr-full: 16 chapters of many sizes) on a short file
    timeline = plan_session(load_routine("smr-full"), Pacing(1.0), fake_speech_s, SOUND_S)
    write_id3(target, timeline)
    stored = chap_frames_in_file_order(target)
    assert len(stored) == len(chapters(timeline)) > 12
    starts = {c.element_id: c.start_time for c in ID3(target).getall("CHAP")}
    assert [starts[element] for element in stored] == sorted(starts.values())
    assert stored == [f"chp{i}" for i in range(len(stored))]


def test_chapters_name_every_side(session: Session) -> None:
    marks = chapters(session.timeline)
    assert [m.title for m in marks] == [
        "Introduction",
        "Calves, left side",
        "Calves, right side",
        "Thighs, left side",
        "Thighs, right side",
        "Traps",
    ]
    assert marks[0].start_s == 0
    assert marks[-1].end_s == session.timeline.total_s
    switch = [e.at_s for e in session.timeline.events if e.sound is Sound.SWITCH]
    assert [marks[2].start_s, marks[4].start_s] == switch
    assert marks[1].start_s == session.timeline.segments[0].start_s


@pytest.mark.parametrize(("fmt", "reader"), [("ogg", OggVorbis), ("flac", FLAC), ("opus", OggOpus)])
def test_vorbis_chapter_comments(session: Session, tmp_path: Path, fmt: str, reader: type) -> None:
    target = tmp_path / f"s.{fmt}"
    export_session(session, target)
    tags = reader(target)
    assert tags["TITLE"] == ["Test routine"]
    assert tags["ALBUM"] == ["short"]
    assert tags["CHAPTER001"] == ["00:00:00.000"]
    assert tags["CHAPTER001NAME"] == ["Introduction"]
    assert tags["CHAPTER003NAME"] == ["Calves, right side"]


def test_opus_is_written_at_its_own_rate_and_holds_the_session(
    session: Session, tmp_path: Path
) -> None:
    """Opus has no 22,050 Hz: unasked, the writer takes its nearest above, 24,000 Hz."""
    target = tmp_path / "s.opus"
    result = export_session(session, target)
    assert result.sample_rate_hz == 24_000
    audio = OggOpus(target)
    assert audio.info is not None
    assert audio.info.length == pytest.approx(session.timeline.total_s, abs=0.05)
    samples, rate = soundfile.read(target, dtype="float64")
    # speech where the timeline says, silence where it says nothing
    first = next(e for e in session.timeline.events if e.kind is EventKind.SAY)
    heard = samples[round(first.at_s * rate) : round(first.end_s * rate)]
    assert np.abs(heard).max() > 0.1
    with pytest.raises(OutputError, match="--sample-rate 22050 is not supported for opus"):
        export_session(session, tmp_path / "t.opus", sample_rate_hz=22_050)


def test_speech_is_at_one_loudness_and_chimes_just_below_it(session: Session) -> None:
    speech = [session.clip(e) for e in session.timeline.events if e.kind is EventKind.SAY]
    levels = [active_rms_dbfs(c) for c in speech]
    for clip, level in zip(speech, levels, strict=True):
        # at the target, less what the limiter took off its peaks, which stay under the ceiling
        assert SPEECH_RMS_DBFS - 6.0 <= level <= SPEECH_RMS_DBFS + 0.5
        assert clip.peak_dbfs() <= PEAK_CEILING_DBFS + 0.01
    assert max(levels) - min(levels) < 4.0
    for chime in load_sounds().values():
        # heard over a fan, never startling: a few dB under the speech
        assert min(levels) - 10.0 < active_rms_dbfs(chime) < min(levels)


def test_vtt_transcript(session: Session) -> None:
    text = format_vtt(session.timeline)
    blocks = text.strip().split("\n\n")
    assert blocks[0].startswith("WEBVTT")
    says = [e for e in session.timeline.events if e.kind is EventKind.SAY]
    assert len(blocks) - 1 == len(says)
    first = f"00:00:{says[0].at_s:06.3f} --> 00:00:{says[0].end_s:06.3f}"
    assert blocks[1] == f"{first}\n{says[0].text}"


def test_unknown_format_and_bad_rate(session: Session, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"cannot write format 'aac'"):
        export_session(session, tmp_path / "a.wav", format_name="aac")
    with pytest.raises(OutputError, match="--sample-rate 12345 is not supported"):
        export_session(session, tmp_path / "a.wav", sample_rate_hz=12345)
    assert list(tmp_path.iterdir()) == []


def test_format_option_overrides_the_extension(session: Session, tmp_path: Path) -> None:
    target = tmp_path / "session.audio"
    export_session(session, target, format_name="flac")
    assert soundfile.info(target).format == "FLAC"


def long_export(tmp_path: Path, target: Path) -> subprocess.Popen[bytes]:
    # smr-full at pace 0.25 is about 100 minutes: long enough to interrupt midway
    return subprocess.Popen(
        [*coach_command(), "export", "smr-full", "--pace", "0.25", "-o", str(target), "--force"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        preexec_fn=as_at_a_shell,
    )


def wait_for_part(folder: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        parts = [p for p in folder.iterdir() if ".part" in p.name]
        if parts and parts[0].stat().st_size > 100_000:
            return
        time.sleep(0.01)
    raise AssertionError("the export never got under way")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_killed_export_leaves_the_old_file_intact(tmp_path: Path, sig: signal.Signals) -> None:
    target = tmp_path / "session.mp3"
    target.write_bytes(b"the old session")
    proc = long_export(tmp_path, target)
    wait_for_part(tmp_path, proc)
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    assert target.read_bytes() == b"the old session"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    if sig is signal.SIGKILL:
        # nothing can clean up after SIGKILL; the partial file is hidden and never the target
        assert all(n == "session.mp3" or n.startswith(".session.mp3.") for n in leftovers)
    else:
        assert leftovers == ["session.mp3"]
        assert proc.returncode == {signal.SIGTERM: 143, signal.SIGINT: 130}[sig]
        assert proc.stderr is not None
        assert proc.stderr.read().strip().splitlines()[-1] == b"coach: stopped"


def test_cli_writes_cues_and_refuses_to_overwrite_them(tmp_path: Path) -> None:
    cues = tmp_path / "cues.vtt"
    args = ["export", str(SHORT), "--pace", "4", "-o", str(tmp_path / "s.ogg"), "--cues", str(cues)]
    first = subprocess.run([*coach_command(), *args], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert cues.read_text().startswith("WEBVTT")
    (tmp_path / "s.ogg").unlink()
    again = subprocess.run([*coach_command(), *args], capture_output=True, text=True)
    assert again.returncode == 2  # a path the user must change
    assert "cues.vtt: already exists; use --force" in again.stderr
    assert not (tmp_path / "s.ogg").exists()


def _full_disk() -> None:
    # a file size limit stands in for a full disk: writes past it fail with an OSError
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [*coach_command(), "export", "smr-legs", "-o", str(tmp_path / "s.wav")],
        capture_output=True,
        text=True,
        preexec_fn=_full_disk,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"coach: {tmp_path / 's.wav'}: cannot write: ")
    assert line.endswith(f"; check the free space in {tmp_path}")
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_only_on_a_terminal() -> None:
    import io

    from coach.cli.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, shown = io.StringIO(), Terminal()
    for stream in (quiet, shown):
        with Progress(stream) as progress:
            progress.started -= 1  # as if a second had passed
            progress.update(0.5)
    assert quiet.getvalue() == ""
    assert "exporting" in shown.getvalue()
    assert "50%" in shown.getvalue()
    assert shown.getvalue().endswith("\r\x1b[2K")  # the bar is cleared at the end


def test_a_rate_the_format_cannot_carry_is_refused_before_any_speech(tmp_path: Path) -> None:
    """--sample-rate 22050 for Opus is said at once: nothing rendered, nothing written."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = ["export", str(SHORT), "-o", str(tmp_path / "s.opus"), "--sample-rate", "22050"]
    result = subprocess.run(
        [*coach_command(), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == (
        "coach: --sample-rate 22050 is not supported for opus; "
        "use one of 8000, 12000, 16000, 24000, 48000\n"
    )
    assert not (tmp_path / "cache" / "coach" / "speech").exists()  # nothing rendered
    assert not (tmp_path / "s.opus").exists()


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "opus", "mp3"])
def test_a_non_ascii_file_name_under_the_c_locale(tmp_path: Path, fmt: str) -> None:
    """With Python's UTF-8 mode off, ü.wav is written as the name's bytes say."""
    name = os.fsencode(tmp_path) + f"/übung.{fmt}".encode()
    env = os.environ | {
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
    }
    result = subprocess.run(
        [*coach_command(), "export", str(SHORT), "--pace", "4", "-o", name],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(b"wrote ")  # click spells the name "??" on ASCII stderr
    assert result.stderr.count(b"\n") == 1
    written = Path(os.fsdecode(name))
    assert soundfile.info(written).duration > 10
    assert [p.name for p in tmp_path.iterdir()] == [written.name]
