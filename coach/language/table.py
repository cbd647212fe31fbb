"""The languages coach speaks: one module each, registered here by one line."""

from __future__ import annotations

import re

from coach.language import de, en, es, fr, it, nl, pl, pt
from coach.language.phrases import Phrases

TABLE: dict[str, Phrases] = {
    p.language: p
    for p in (
        en.PHRASES,
        de.PHRASES,
        fr.PHRASES,
        es.PHRASES,
        it.PHRASES,
        nl.PHRASES,
        pt.PHRASES,
        pl.PHRASES,
    )
}

DEFAULT_LANGUAGE = "en"

REGIONAL_VOICES = {
    "en-us": "gmw/en-us",
    "es-419": "roa/es-419",
    "fr-be": "roa/fr-be",
    "fr-ch": "roa/fr-ch",
    "pt-br": "roa/pt-br",
}
"""Regional tags with a voice of their own; any other region speaks with the language's."""

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def primary(tag: str) -> str:
    """``pt-BR`` → ``pt``."""
    return tag.split("-")[0].lower()


def asked_for(tag: str, language: str) -> bool:
    """Whether ``tag`` is what a listing for ``language`` shows: the same tag (any case), or
    a tag of that primary language (``en-US`` for ``en``)."""
    return tag.lower() == language.lower() or primary(tag) == language.lower()


def is_supported(tag: str) -> bool:
    """A well-formed BCP 47 tag whose language has a phrases table."""
    return bool(_TAG.match(tag)) and primary(tag) in TABLE


def phrases_for(tag: str) -> Phrases:
    """The table for a language tag (``de``, ``de-AT``…); KeyError for one not supported."""
    return TABLE[primary(tag)]


def voice_for(tag: str) -> str | None:
    """The voice that speaks ``tag`` by default: its region's, else its language's."""
    return REGIONAL_VOICES.get(tag.lower(), phrases_for(tag).voice)
