"""The phrases table: every language says everything coach says, in its own words and grammar."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from coach.errors import RoutineError
from coach.language.table import TABLE, is_supported, phrases_for, voice_for
from coach.plan.planner import plan_session
from coach.render.build import build_session, load_sounds
from coach.resources import bundled_routines, schema_path
from coach.routine.model import Routine, Side
from coach.routine.reader import load_routine
from coach.speech.cache import SpeechCache, SpeechSettings
from coach.speech.espeak import EspeakEngine
from coach.timeline.events import Pacing, Sound
from tests.conftest import coach_command, fake_speech_s

LANGUAGES = sorted(TABLE)
ENGLISH_BUILT_INS = (
    "This session takes",
    "You will need",
    "First:",
    "Next up",
    "Start with",
    "Now,",
    "Switch to the",
    "left side",
    "right side",
    "Halfway",
    "Ten seconds left",
    "That is the end",
    "Paused",
    "Resuming",
    "Round",
    "Rest.",
    "Go.",
    "One.",
    "Two.",
)


def test_at_least_the_eight_languages_asked_for() -> None:
    assert {"en", "de", "fr", "es", "it", "nl", "pt", "pl"} <= set(TABLE)


def authored(routine: Routine) -> set[str]:
    """Every text the routine's author wrote (spoken as written, in any language)."""
    texts = {routine.title, *routine.equipment}
    for exercise in routine.exercises:
        texts |= {exercise.name, exercise.setup, exercise.switch}
        for step in exercise.steps:
            texts |= {step.name, step.setup, *(c.say for c in step.cues)}
    return {t for t in texts if t}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("name", sorted(bundled_routines()))
def test_no_english_built_in_sentence_in_another_language(name: str, language: str) -> None:
    routine = dataclasses.replace(load_routine(name), language=language)
    timeline = plan_session(routine, Pacing(1.0), fake_speech_s, {s: 1.0 for s in Sound})
    said = phrases_for(language)
    built_in = [t for t in timeline.texts() if t not in authored(routine)]
    for text in built_in:
        for english in ENGLISH_BUILT_INS:
            assert english not in text, (language, text)
    assert said.ending in built_in
    in_english = plan_session(
        dataclasses.replace(routine, language="en"),
        Pacing(1.0),
        fake_speech_s,
        {s: 1.0 for s in Sound},
    ).texts()
    for mine, theirs in ((said.halfway, "Halfway."), (said.rest, "Rest."), (said.go, "Go.")):
        assert (mine in built_in) == (theirs in in_english)
    assert any(t.startswith(said.first_.split("{")[0]) for t in built_in)
    assert timeline.language == language


@pytest.mark.parametrize(
    ("language", "minutes"),
    [
        ("en", ["This session takes about 1 minute.", "This session takes about 2 minutes."]),
        ("de", ["Diese Einheit dauert etwa eine Minute.", "Diese Einheit dauert etwa 2 Minuten."]),
        ("fr", ["Cette séance dure environ une minute.", "Cette séance dure environ 2 minutes."]),
        (
            "es",
            [
                "Esta sesión dura aproximadamente un minuto.",
                "Esta sesión dura aproximadamente 2 minutos.",
            ],
        ),
        ("it", ["Questa sessione dura circa un minuto.", "Questa sessione dura circa 2 minuti."]),
        ("nl", ["Deze sessie duurt ongeveer één minuut.", "Deze sessie duurt ongeveer 2 minuten."]),
        ("pt", ["Esta sessão dura cerca de um minuto.", "Esta sessão dura cerca de 2 minutos."]),
        ("pl", ["Ta sesja trwa około minuty.", "Ta sesja trwa około 2 minut."]),
    ],
)
def test_minutes_take_the_plural_their_number_needs(language: str, minutes: list[str]) -> None:
    said = phrases_for(language)
    assert [said.session_length(1), said.session_length(2)] == minutes


@pytest.mark.parametrize("count", [5, 12, 22, 25, 101])
def test_polish_genitive_after_okolo(count: int) -> None:
    assert phrases_for("pl").session_length(count) == f"Ta sesja trwa około {count} minut."


@pytest.mark.parametrize(
    ("items", "joined"),
    [
        (["agua", "hielo"], "agua y hielo"),
        (["aguja", "hilo"], "aguja e hilo"),
        (["una pelota", "una toalla", "Ibiza"], "una pelota, una toalla e Ibiza"),
        (["una pelota"], "una pelota"),
    ],
)
def test_spanish_and_before_an_i_sound(items: list[str], joined: str) -> None:
    assert phrases_for("es").join(items) == joined


@pytest.mark.parametrize(
    ("language", "left", "switch_right"),
    [
        ("de", "Waden, linke Seite", "Wechsle auf die rechte Seite."),
        ("fr", "Waden, côté gauche", "Passez au côté droit."),
        ("es", "Waden, lado izquierdo", "Cambia al lado derecho."),
        ("pl", "Waden, lewa strona", "Zmień stronę na prawą."),
    ],
)
def test_sides_agree_with_their_nouns(language: str, left: str, switch_right: str) -> None:
    said = phrases_for(language)
    assert said.announce("Waden", Side.LEFT) == left
    assert said.switch(Side.RIGHT) == switch_right


@pytest.mark.parametrize(
    ("tag", "supported", "voice"),
    [
        ("de", True, "gmw/de"),
        ("de-AT", True, "gmw/de"),
        ("pt-BR", True, "roa/pt-br"),
        ("en", True, None),
        ("en-US", True, "gmw/en-us"),
        ("xx", False, None),
        ("de_DE", False, None),
        ("", False, None),
    ],
)
def test_language_tags(tag: str, supported: bool, voice: str | None) -> None:
    assert is_supported(tag) is supported
    if supported:
        assert voice_for(tag) == voice


def every_phrase(language: str) -> list[str]:
    said = phrases_for(language)
    return [
        *said.fixed(),
        said.session_length(1),
        said.session_length(17),
        said.equipment(["a ball", "a towel"]),
        said.first("Calves", Side.LEFT),
        said.next_up("Calves", Side.RIGHT),
        said.start_with("Quads"),
        said.now("Knee"),
    ]


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_phrase_renders_with_real_speech_in_its_language(
    language: str, engine: EspeakEngine
) -> None:
    voice = voice_for(language)
    if voice is not None:
        spoken = {tag.split("-")[0] for tag in engine.voice(voice).languages}
        assert language in spoken  # the default voice really speaks the language
    for text in every_phrase(language):
        clip = engine.render(text, SpeechSettings(voice=voice))
        assert clip.duration_s > 0.4, text
        assert clip.peak_dbfs() > -20, text  # audible speech, not silence


def test_a_german_session_holds_its_german_live_phrases(tmp_path: Path) -> None:
    speech = SpeechCache(tmp_path, SpeechSettings(voice="gmw/de"))
    session = build_session(load_routine("smr-legs-de"), speech, load_sounds(), pace=1.0)
    assert session.timeline.language == "de"
    assert session.phrase(phrases_for("de").paused).duration_s > 0.3
    assert "Die Hälfte ist geschafft." in session.timeline.texts()


# --- the routine format ---------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BODY = (
    "sections:\n  - name: S\n    exercises:\n      - name: A\n        setup: x\n        hold: 30s\n"
)


@pytest.mark.parametrize("tag", ["de", "pt-BR", "en"])
def test_a_supported_language_is_accepted_by_loader_and_schema(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path, f"title: T\nlanguage: {tag}\n{BODY}")
    assert load_routine(path).language == tag
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(schema_path().read_text()))


@pytest.mark.parametrize("tag", ["xx", "klingon", "5", "[de]", "de_DE"])
def test_an_unknown_language_is_refused_with_the_list(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path, f"title: T\nlanguage: {tag}\n{BODY}")
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    message = str(caught.value)
    assert f"{path}:2: 'language'" in message
    assert "use one of de, en, es, fr, it, nl, pl, pt" in message
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(schema_path().read_text()))


def test_the_schema_takes_exactly_the_languages_of_the_table() -> None:
    schema = json.loads(schema_path().read_text())["properties"]["language"]
    taken = [*LANGUAGES, *(tag.upper() for tag in LANGUAGES), *(f"{tag}-XY" for tag in LANGUAGES)]
    for tag in taken:
        jsonschema.validate(tag, schema)
    for tag in ("sv", "e", "english", "en_US", "", "de-", "xen"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(tag, schema)


def test_an_include_in_another_language_is_refused(tmp_path: Path) -> None:
    write(tmp_path, f"title: Inner\nlanguage: de\n{BODY}", "inner.yaml")
    outer = write(tmp_path, "title: Outer\nsections:\n  - include: inner.yaml\n")
    with pytest.raises(RoutineError, match="is in de, this routine in en"):
        load_routine(outer)


def test_check_refuses_an_unknown_language(tmp_path: Path) -> None:
    path = write(tmp_path, f"title: T\nlanguage: xx\n{BODY}")
    result = subprocess.run(
        [*coach_command(), "check", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:2: 'language' 'xx' is not one coach speaks")


# --- voices ---------------------------------------------------------------------------------


def test_a_voice_of_another_language_gets_one_warning() -> None:
    result = subprocess.run(
        [*coach_command(), "show", "smr-legs-de", "--voice", "gmw/en", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "coach: warning: voice gmw/en speaks en-gb, but the routine is in de; "
        "leave out --voice to use gmw/de\n"
    )
    assert json.loads(result.stdout)["language"] == "de"


def test_voices_filter_by_language() -> None:
    result = subprocess.run(
        [*coach_command(), "voices", "--language", "de"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert "gmw/de" in ids
    assert "gmw/en" not in ids


def test_voices_for_a_language_with_none_says_so() -> None:
    result = subprocess.run(
        [*coach_command(), "voices", "--language", "zz"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == (
        "coach: no espeak voices for 'zz'; `coach voices` lists them all, with their languages\n"
    )


def test_no_bundled_session_names_a_way_to_go_on_that_a_file_does_not_have() -> None:
    """An exported session plays on a phone with no space key: what it says names no key,
    button or word (before, smr-knees said "Press space when you are ready to finish")."""
    from coach.plan.planner import plan_session
    from coach.resources import bundled_routines
    from coach.testing import fake_speech_s
    from coach.timeline.events import Pacing, Sound

    ways = {how.split()[-1].casefold() for table in TABLE.values() for how in table.ways.values()}
    ways |= {"space", "spacebar", "leertaste", "espace", "espacio", "spazio", "spacja", "spację"}
    for name in bundled_routines():
        timeline = plan_session(
            load_routine(name), Pacing(1.0), fake_speech_s, dict.fromkeys(Sound, 1.0)
        )
        for text in timeline.texts():
            words = {w.strip(".,!?;:'\"").casefold() for w in text.split()}
            assert not words & ways, (name, text)
