"""eSpeak NG's voice variants, as its library lists them.

A variant (``!v/f3`` in eSpeak NG's data) changes any voice's pitch, breathiness
and tone; ``gmw/en-us+f3`` is the American English voice with the variant ``f3``.
eSpeak NG speaks an unknown variant as the plain voice without a word, so coach
checks a variant against this list before it is used.
"""

from __future__ import annotations

import ctypes

VARIANTS = "variant"
"""What ``espeak_ListVoices`` is asked for to list the variants instead of the voices."""


class _EspeakVoice(ctypes.Structure):
    """speak_lib.h's ``espeak_VOICE``."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def list_variants(lib: ctypes.CDLL) -> tuple[tuple[str, str], ...]:
    """The variants a started library has, (name, description), by name."""
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
    lib.espeak_ListVoices.argtypes = [ctypes.POINTER(_EspeakVoice)]
    spec = _EspeakVoice()
    spec.languages = VARIANTS.encode()
    found = lib.espeak_ListVoices(ctypes.byref(spec))
    variants = {}
    i = 0
    while found and found[i]:
        voice = found[i].contents
        identifier = (voice.identifier or b"").decode(errors="replace")
        name = identifier.rpartition("/")[2]  # "!v/f3"
        if name:
            variants[name] = (voice.name or b"").decode(errors="replace")
        i += 1
    return tuple(sorted(variants.items()))
