"""`coach voices get`: a catalogue voice from a real HTTP server on the loopback address,
resumed, verified and installed whole or not at all; then spoken by show, export and play."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from coach.speech.catalogue import CLEAN_LICENCES, catalogue
from coach.speech.piper_voices import find_voice, found_voices
from coach.speech.voice_fetch import NetworkError, base_url
from coach.speech.voice_get import get
from tests.alsa_capture import as_heard, capture_home, trimmed
from tests.conftest import as_at_a_shell, coach_command
from tests.speech.user import coach, one_line, own_user
from tests.voice_server import VOICE_DIR, VOICE_ID, Behaviour, build_repository, serving

ONNX = f"{VOICE_DIR}/{VOICE_ID}.onnx"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a model of ~400 kB, so that a download can be cut and resumed in the middle
    return build_repository(tmp_path_factory.mktemp("repo"), padding=400_000)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return own_user(tmp_path)


def voices(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "coach" / "voices"


def nothing_installed(env: dict[str, str]) -> None:
    folder = voices(env)
    assert not (folder / VOICE_ID).exists()
    shown = (
        [p.name for p in folder.iterdir() if not p.name.startswith(".")] if folder.exists() else []
    )
    assert shown == []
    with_env = {**os.environ, **env}
    listed = coach("voices", "--engine", "piper", env=with_env)
    assert VOICE_ID not in listed.stdout


def installed_as_served(env: dict[str, str], repo: Path) -> None:
    place = voices(env) / VOICE_ID
    for name in (f"{VOICE_ID}.onnx", f"{VOICE_ID}.onnx.json", "MODEL_CARD"):
        assert (place / name).read_bytes() == (repo / VOICE_DIR / name).read_bytes()
    receipt = json.loads((place / "coach-voice.json").read_text())
    assert (receipt["id"], receipt["licence"]) == (VOICE_ID, "public domain")


def get_voice(env: dict[str, str], url: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return coach("voices", "get", VOICE_ID, env={**env, "COACH_VOICES_URL": url}, **kw)


def said_by(env: dict[str, str], *args: str) -> tuple[str, str]:
    shown = coach("show", "smr-legs", *args, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    return document["engine"], document["voice"]


@pytest.mark.slow
def test_a_voice_got_is_the_voice_show_export_and_play_speak_with(
    tmp_path: Path, repo: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    assert said_by(env)[0] == "espeak"
    with serving(repo) as server:
        got = get_voice(env, server.url)
    assert got.returncode == 0, got.stderr
    assert got.stdout == ""
    assert VOICE_ID in got.stderr
    installed_as_served(env, repo)
    assert said_by(env) == ("piper", VOICE_ID)
    listed = coach("voices", "--engine", "piper", env=env)
    assert "data: public domain" in listed.stdout
    # coach config says which voice each language gets, and which setting makes it so
    config = json.loads(coach("config", "--json", env=env).stdout)
    assert [(v["language"], v["voice"]) for v in config["voices"]] == [("en", VOICE_ID)]
    assert "neural unset" in config["voices"][0]["because"]
    off = json.loads(coach("config", "--json", env={**env, "COACH_NEURAL": "false"}).stdout)
    assert off["voices"] == []
    # what the user's settings say wins: --engine, and neural = false
    assert said_by(env, "--engine", "espeak")[0] == "espeak"
    assert said_by({**env, "COACH_NEURAL": "false"})[0] == "espeak"
    # an engine the user set in the config or environment is chosen as --engine is
    assert said_by({**env, "COACH_ENGINE": "espeak"})[0] == "espeak"
    chose = json.loads(coach("config", "--json", env={**env, "COACH_ENGINE": "espeak"}).stdout)
    assert chose["voices"] == []
    # and play speaks it: what ALSA was given is the voice's clips, as export writes them
    home, capture = capture_home(tmp_path)
    log = tmp_path / "log.jsonl"
    args = ["smr-legs", "--from", "calves", "--pace", "4", "--quiet", "--log", str(log)]
    played = coach("play", *args, env={**env, "HOME": home["HOME"]})
    assert played.returncode == 0, played.stderr
    from coach.render.build import load_sounds
    from coach.speech.cache import SpeechCache
    from coach.speech.engine import SpeechSettings

    model = str(voices(env) / VOICE_ID / f"{VOICE_ID}.onnx")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    says = [line for line in lines if line["kind"] == "say"]
    assert says
    speech = SpeechCache(
        Path(env["XDG_CACHE_HOME"]) / "coach" / "speech",
        SpeechSettings(voice=VOICE_ID, engine="piper"),
        lambda: None,  # type: ignore[arg-type,return-value]  # cached only: never renders
    )
    sounds = {s.value: c for s, c in load_sounds().items()}

    def pcm_of(line: dict[str, Any]) -> bytes:
        return speech.clip(line["text"]).pcm if line["kind"] == "say" else sounds[line["sound"]].pcm

    assert trimmed(capture.read_bytes()) == as_heard(lines, pcm_of)
    # the voice's clips are the voice's: eSpeak NG would not make a tone per phoneme
    by_path = coach(
        "export", "smr-legs", "-o", str(tmp_path / "a.wav"), "--voice", f"piper:{model}", env=env
    )
    assert by_path.returncode == 0, by_path.stderr
    chosen = coach("export", "smr-legs", "-o", str(tmp_path / "b.wav"), env=env)
    assert chosen.returncode == 0, chosen.stderr
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_available_lists_the_catalogue_and_marks_what_you_got(
    repo: Path, env: dict[str, str]
) -> None:
    listed = coach("voices", "--available", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert set(rows) == {voice.id for voice in catalogue()}
    assert "public domain" in rows[VOICE_ID]
    assert "(got)" not in rows[VOICE_ID]
    none = coach("voices", "--available", "--language", "de", env=env)
    assert none.returncode == 0
    assert none.stdout == ""
    assert "no natural voice for 'de'" in one_line(none, 0)
    with serving(repo) as server:
        assert get_voice(env, server.url).returncode == 0
    again = coach("voices", "--available", "--language", "en", env=env)
    assert "(got)" in again.stdout


def test_getting_it_twice_says_so_and_fetches_nothing(repo: Path, env: dict[str, str]) -> None:
    with serving(repo) as server:
        assert get_voice(env, server.url).returncode == 0
        asked = len(server.behaviour.requests)
        again = get_voice(env, server.url)
        assert again.returncode == 0, again.stderr
        assert "already" in again.stderr
        assert len(server.behaviour.requests) == asked


def test_an_unknown_id_names_the_nearest(env: dict[str, str]) -> None:
    line = one_line(coach("voices", "get", "en_US-ljspech-medum", env=env), 2)
    assert VOICE_ID in line
    assert "en_US-ljspech-medum" in line


def test_no_network_is_one_line_and_nothing_installed(env: dict[str, str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = one_line(get_voice(env, f"http://127.0.0.1:{port}/"), 1)
    assert f"127.0.0.1:{port}" in line
    nothing_installed(env)


@pytest.mark.parametrize(
    "url", ["ftp://mirror.lan/voices/", "file:///etc/", "mirror.lan", "http://"]
)
def test_a_voices_url_that_is_not_http_is_refused_before_anything(
    env: dict[str, str], url: str
) -> None:
    line = one_line(get_voice(env, url), 2)
    assert "COACH_VOICES_URL" in line
    assert not voices(env).exists()


def test_a_404_and_a_web_page_are_one_line_and_nothing_installed(
    repo: Path, env: dict[str, str]
) -> None:
    with serving(repo) as server:
        assert "404" in one_line(get_voice(env, server.url + "not/here/"), 1)
    nothing_installed(env)
    with serving(repo, Behaviour(web_page=True)) as server:
        assert "web page" in one_line(get_voice(env, server.url), 1)
    nothing_installed(env)


def test_a_download_that_breaks_off_resumes_where_it_stopped(
    repo: Path, env: dict[str, str]
) -> None:
    with serving(repo, Behaviour(break_after=100_000)) as server:
        line = one_line(get_voice(env, server.url), 1)
    assert "broke off" in line
    nothing_installed(env)
    part = voices(env) / ".partial" / VOICE_ID / f"{VOICE_ID}.onnx.part"
    assert part.stat().st_size == 100_000
    with serving(repo) as server:
        got = get_voice(env, server.url)
        assert got.returncode == 0, got.stderr
        ranges = [r for path, r in server.behaviour.requests if path.endswith(".onnx")]
    assert ranges == ["bytes=100000-"]
    installed_as_served(env, repo)
    assert not (voices(env) / ".partial" / VOICE_ID).exists()


def test_a_server_without_ranges_sends_it_whole_again(repo: Path, env: dict[str, str]) -> None:
    with serving(repo, Behaviour(break_after=50_000)) as server:
        one_line(get_voice(env, server.url), 1)
    with serving(repo, Behaviour(ranges=False)) as server:
        assert get_voice(env, server.url).returncode == 0
    installed_as_served(env, repo)


def test_a_wrong_digest_throws_the_file_away(
    tmp_path: Path, repo: Path, env: dict[str, str]
) -> None:
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(repo, bad)
    index = json.loads((bad / "voices.json").read_text())
    index[VOICE_ID]["files"][ONNX]["md5_digest"] = hashlib.md5(b"another").hexdigest()
    (bad / "voices.json").write_text(json.dumps(index))
    with serving(bad) as server:
        line = one_line(get_voice(env, server.url), 1)
    assert "digest" in line
    nothing_installed(env)
    assert not (voices(env) / ".partial" / VOICE_ID / f"{VOICE_ID}.onnx.part").exists()


def test_a_card_with_another_licence_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    repo = build_repository(tmp_path / "nc", licence="CC BY-NC-SA 4.0")
    with serving(repo) as server:
        line = one_line(get_voice(env, server.url), 1)
    assert "CC BY-NC-SA 4.0" in line
    nothing_installed(env)


def test_a_file_too_big_for_the_disk_is_one_line_and_resumes(
    repo: Path, env: dict[str, str]
) -> None:
    def small_disk() -> None:  # the file system refuses a file over 200 kB, as a full one would
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    with serving(repo) as server:
        line = one_line(get_voice(env, server.url, preexec_fn=small_disk), 1)
        assert "no room" in line
        nothing_installed(env)
        assert get_voice(env, server.url).returncode == 0
        ranges = [r for path, r in server.behaviour.requests if path.endswith(".onnx")]
    assert ranges[-1] is not None  # it went on from what the full disk had kept
    installed_as_served(env, repo)


def test_a_voices_folder_that_is_a_file_is_refused(repo: Path, env: dict[str, str]) -> None:
    voices(env).parent.mkdir(parents=True)
    voices(env).write_text("not a folder")
    with serving(repo) as server:
        line = one_line(get_voice(env, server.url), 2)
    assert "is a file" in line
    assert voices(env).read_text() == "not a folder"


def wait_for(part: Path, size: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not (part.exists() and part.stat().st_size >= size):
        assert time.monotonic() < deadline, f"{part} never reached {size} bytes"
        time.sleep(0.05)


def test_ctrl_c_keeps_what_arrived_and_a_second_get_waits_for_none(
    repo: Path, env: dict[str, str]
) -> None:
    part = voices(env) / ".partial" / VOICE_ID / f"{VOICE_ID}.onnx.part"
    with serving(repo, Behaviour(stall_after=120_000, stall_s=60)) as server:
        first = subprocess.Popen(
            [*coach_command(), "voices", "get", VOICE_ID],
            env={**env, "COACH_VOICES_URL": server.url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=as_at_a_shell,
        )
        try:
            wait_for(part, 120_000)
            # the same voice, at the same time: refused at once, the first goes on
            second = get_voice(env, server.url, timeout=30)
            assert "another" in one_line(second, 1)
            # nor is what it is fetching removed from under it
            assert "another" in one_line(coach("voices", "remove", VOICE_ID, env=env), 1)
            first.send_signal(signal.SIGINT)
            out, err = first.communicate(timeout=30)
        finally:
            first.kill()
    assert first.returncode == 130, err
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert part.stat().st_size == 120_000
    nothing_installed(env)
    with serving(repo) as server:
        assert get_voice(env, server.url).returncode == 0
        ranges = [r for path, r in server.behaviour.requests if path.endswith(".onnx")]
    assert ranges == ["bytes=120000-"]
    installed_as_served(env, repo)


def test_a_server_that_stops_answering_times_out(
    tmp_path: Path, repo: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    with serving(repo, Behaviour(stall_after=10_000, stall_s=5)) as server:
        started = time.monotonic()
        with pytest.raises(NetworkError, match=r"did not answer within 0\.5 s"):
            get(VOICE_ID, base_url(server.url), timeout=0.5)
        assert time.monotonic() - started < 4
    part = voices(env) / ".partial" / VOICE_ID / f"{VOICE_ID}.onnx.part"
    assert part.stat().st_size == 10_000


def test_a_server_that_trickles_is_given_up_not_waited_on_for_ever(
    repo: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte every 0.2 s never leaves a read unanswered for the timeout: the rate gives it up
    (under 1 kB/s over a whole timeout), what came is kept, and nothing is installed."""
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    with serving(repo, Behaviour(trickle_s=0.2)) as server:
        started = time.monotonic()
        with pytest.raises(NetworkError, match=r"under 1 kB/s"):
            get(VOICE_ID, base_url(server.url), timeout=1.0)
        assert time.monotonic() - started < 6
    part = voices(env) / ".partial" / VOICE_ID / f"{VOICE_ID}.onnx.part"
    assert 0 < part.stat().st_size < 20
    assert not (voices(env) / VOICE_ID).exists()


@pytest.mark.slow
def test_an_export_names_its_voice_and_the_licence_of_its_data(
    tmp_path: Path, repo: Path, env: dict[str, str]
) -> None:
    """The file's comment says which voice speaks and its data's licence, with the credit a
    CC-BY voice needs (as its receipt records it); eSpeak NG's files carry no comment."""
    import mutagen

    with serving(repo) as server:
        assert get_voice(env, server.url).returncode == 0
    part = ["smr-legs", "--from", "calves", "--to", "calves", "--pace", "4"]

    def comment(name: str, *extra: str) -> list[str]:
        target = tmp_path / name
        made = coach("export", *part, "-o", str(target), "--force", *extra, env=env)
        assert made.returncode == 0, made.stderr
        audio: Any = mutagen.File(target)
        if name.endswith(".mp3"):
            return [str(frame) for frame in audio.tags.getall("COMM")]
        return list(audio.get("COMMENT", []))

    for name in ("a.mp3", "a.ogg", "a.flac", "a.opus"):
        (said,) = comment(name)
        assert VOICE_ID in said
        assert "public domain" in said
    assert comment("e.mp3", "--engine", "espeak") == []
    assert comment("e.ogg", "--engine", "espeak") == []
    # a CC-BY voice's credit, from what `voices get` recorded
    receipt = voices(env) / VOICE_ID / "coach-voice.json"
    record = json.loads(receipt.read_text())
    record.update(licence="CC BY 4.0", attribution="Jane Roe, The Example Corpus")
    receipt.write_text(json.dumps(record))
    (said,) = comment("b.mp3")
    assert "CC BY 4.0" in said
    assert "Jane Roe, The Example Corpus" in said
    # the chapters stay in time order with the comment added (players list them as stored)
    audio: Any = mutagen.File(tmp_path / "b.mp3")
    starts = [frame.start_time for frame in audio.tags.values() if frame.FrameID == "CHAP"]
    assert starts == sorted(starts)
    assert len(starts) > 1


def test_a_disk_without_room_for_the_voice_is_said_before_anything_is_fetched(
    repo: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The free space the file system reports (here, made smaller than the voice and the
    spare coach keeps) is checked first: one line, no model byte fetched; what a resume
    already has counts, so a disk with room for the rest goes on."""
    import shutil

    from coach.errors import OutputError
    from coach.speech.voice_get import SPARE_BYTES

    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    real = shutil.disk_usage
    size = sum(f.stat().st_size for f in (repo / VOICE_DIR).iterdir())
    free = {"bytes": size + SPARE_BYTES - 1}  # one byte short

    def reported(path: Any) -> Any:
        return real(path)._replace(free=free["bytes"])

    monkeypatch.setattr(shutil, "disk_usage", reported)
    with serving(repo) as server:
        with pytest.raises(OutputError, match="free some space"):
            get(VOICE_ID, base_url(server.url))
        assert [p for p, _ in server.behaviour.requests] == ["/voices.json"]
    assert not (voices(env) / VOICE_ID).exists()
    # half of the model already here: the room for the other half is enough
    part = voices(env) / ".partial" / VOICE_ID / f"{VOICE_ID}.onnx.part"
    part.write_bytes((repo / VOICE_DIR / f"{VOICE_ID}.onnx").read_bytes()[:200_000])
    with serving(repo) as server:
        get(VOICE_ID, base_url(server.url))
    installed_as_served(env, repo)


def test_remove_takes_away_a_voice_got_and_only_that(
    tmp_path: Path, repo: Path, env: dict[str, str]
) -> None:
    with serving(repo) as server:
        assert get_voice(env, server.url).returncode == 0
    removed = coach("voices", "remove", VOICE_ID, env=env)
    assert removed.returncode == 0, removed.stderr
    nothing_installed(env)
    assert said_by(env)[0] == "espeak"
    assert "no voice" in one_line(coach("voices", "remove", VOICE_ID, env=env), 2)
    from tests.piper_voice import build_voice

    build_voice(voices(env) / "mine", "en_US-mine-medium")
    line = one_line(coach("voices", "remove", "mine", env=env), 2)
    assert "delete it yourself" in line
    assert (voices(env) / "mine" / "en_US-mine-medium.onnx").exists()


@pytest.mark.parametrize("voice_id", ["../..", "..", ".", "", ".partial", "a/b", "ABSOLUTE"])
def test_remove_takes_only_a_voice_id_never_a_path(env: dict[str, str], voice_id: str) -> None:
    # every path named here is inside this test's own folder, so that were the check ever
    # lost, what is removed is the test's, never the machine's
    data = Path(env["XDG_DATA_HOME"])
    (voices(env) / ".partial" / "x").mkdir(parents=True)
    (data / "coach" / "history.jsonl").write_text("{}\n")
    (data / "victim").mkdir()
    voice_id = str(data / "victim") if voice_id == "ABSOLUTE" else voice_id
    before = sorted(data.rglob("*"))
    assert "not a voice's id" in one_line(coach("voices", "remove", voice_id, env=env), 2)
    assert sorted(data.rglob("*")) == before


def test_what_is_not_a_download_in_its_place_is_never_written_through(
    tmp_path: Path, repo: Path, env: dict[str, str]
) -> None:
    partial = voices(env) / ".partial" / VOICE_ID
    partial.mkdir(parents=True)
    os.mkfifo(partial / "MODEL_CARD.part")  # a FIFO no one reads: writing it would wait
    precious = tmp_path / "precious"
    precious.write_text("the user's own")
    (partial / f"{VOICE_ID}.onnx.part").symlink_to(precious)
    with serving(repo) as server:
        got = get_voice(env, server.url, timeout=60)
    assert got.returncode == 0, got.stderr
    installed_as_served(env, repo)
    assert precious.read_text() == "the user's own"


def test_what_is_still_downloading_is_no_voice(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.piper_voice import build_voice

    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    build_voice(voices(env) / ".partial" / "x.new", "en_US-half-medium")
    build_voice(voices(env) / "whole", "en_US-whole-medium")
    assert [voice.id for voice in found_voices()] == ["en_US-whole-medium"]
    assert find_voice("en_US-whole-medium").id == "en_US-whole-medium"


def test_the_catalogue_holds_only_voices_whose_data_allows_use() -> None:
    ids = [voice.id for voice in catalogue()]
    assert len(ids) == len(set(ids))
    for voice in catalogue():
        assert voice.card_licence.lower() in CLEAN_LICENCES
        # trained from scratch, or fine-tuned only from a voice that is itself here
        assert "from scratch" in voice.training or any(
            other in voice.training for other in ids if other != voice.id
        )
        family, _, rest = voice.id.partition("_")
        region, name, quality = rest.split("-", 2)
        assert voice.language == f"{family}-{region}"
        assert voice.quality == quality
        assert voice.card.endswith(f"/{family}/{family}_{region}/{name}/{quality}/MODEL_CARD")
        assert voice.card_licence.lower() == "public domain" or voice.attribution
