"""The voices coach can get for its neural engine, and only those: ``voice_catalogue.toml``.

The catalogue is data, kept in one place: each voice's Piper id, language, quality,
rough size, its training data's licence (as its model card writes it), how it was
trained, the attribution it needs and where its card is. Only voices whose data is
public domain, CC0 or CC-BY and that were trained from scratch (or fine-tuned only from
such voices) are in it; ``tests/speech/test_voice_get.py`` holds it to that.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from coach.errors import UsageError
from coach.language.table import asked_for

CATALOGUE = Path(__file__).with_name("voice_catalogue.toml")
CLEAN_LICENCES = ("public domain", "cc0", "cc by 4.0", "cc by 3.0", "cc-by-4.0", "cc-by 4.0")
"""Data licences a voice may have to be in the catalogue, as cards write them (lower case)."""


@dataclass(frozen=True, slots=True)
class CatalogueVoice:
    id: str
    language: str
    """A BCP 47 tag: ``en-US``."""
    quality: str
    size_mb: int
    dataset: str
    dataset_url: str
    card_licence: str
    """The data licence as the voice's MODEL_CARD writes it on its ``License:`` line."""
    training: str
    attribution: str
    """What a user must credit (CC-BY data); empty where the data needs none."""
    card: str


@functools.cache
def catalogue() -> tuple[CatalogueVoice, ...]:
    """Every voice coach can get, in the catalogue's order."""
    data = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    return tuple(CatalogueVoice(**entry) for entry in data["voice"])


def catalogued(voice_id: str) -> CatalogueVoice:
    """The catalogue's voice of this id.

    Raises:
        UsageError: no such voice (the message names the nearest ids).
    """
    for voice in catalogue():
        if voice.id == voice_id:
            return voice
    ids = [voice.id for voice in catalogue()]
    near = difflib.get_close_matches(voice_id, ids, n=3, cutoff=0.4) or ids[:3]
    raise UsageError(
        f'no voice "{voice_id}" in coach\'s catalogue; did you mean {" or ".join(near)}? '
        "(`coach voices --available` lists every voice coach can get)"
    )


def for_language(language: str | None) -> tuple[CatalogueVoice, ...]:
    """The catalogue's voices for ``language`` (``en``, ``en-US``), or all of them."""
    if language is None:
        return catalogue()
    return tuple(voice for voice in catalogue() if asked_for(voice.language, language))
