"""Español: what coach says in it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.language.phrases import LEFT, RIGHT, Phrases, Written, join_with, plural


def _join_spanish(items: Sequence[str]) -> str:
    """Spanish "y" becomes "e" before an /i/ sound: "agua y hielo", but "aguja e hilo"."""
    if len(items) <= 1:
        return "".join(items)
    last = items[-1]
    word = "e" if re.match(r"(?i)h?i(?![aeiouáéíóú])", last) else "y"
    return ", ".join(items[:-1]) + f" {word} " + last


PHRASES = Phrases(
    language="es",
    name="Español",
    voice="roa/es",
    minutes=plural(
        "Esta sesión dura aproximadamente un minuto.",
        "Esta sesión dura aproximadamente {n} minutos.",
    ),
    join=_join_spanish,
    equipment_="Necesitarás {items}.",
    first_="Primero: {what}.",
    next_up_="Bien. A continuación: {what}.",
    sides={LEFT: "lado izquierdo", RIGHT: "lado derecho"},
    switch_={LEFT: "Cambia al lado izquierdo.", RIGHT: "Cambia al lado derecho."},
    start_with_="Empieza por: {step}.",
    now_="Ahora: {step}.",
    halfway="Vas por la mitad.",
    ten_seconds_left="Quedan diez segundos.",
    ending="Aquí termina la sesión. Buen trabajo.",
    paused="En pausa.",
    paused_how_="En pausa. Para continuar, {how}.",
    resuming="Seguimos en 3, 2, 1.",
    round_="Ronda {n} de {total}.",
    rest="Descansa.",
    go="Vamos.",
    ready_how_="Cuando estés listo, {how}.",
    ways={"space": "pulsa espacio", "play": "pulsa reproducir", "resume": "di resume"},
    either=join_with("o"),
    numbers=(
        "Uno",
        "Dos",
        "Tres",
        "Cuatro",
        "Cinco",
        "Seis",
        "Siete",
        "Ocho",
        "Nueve",
        "Diez",
        "Once",
        "Doce",
        "Trece",
        "Catorce",
        "Quince",
        "Dieciséis",
        "Diecisiete",
        "Dieciocho",
        "Diecinueve",
        "Veinte",
    ),
    faster="Más rápido.",
    slower="Más despacio.",
    longer="Treinta segundos más.",
    minutes_left=plural("Queda aproximadamente un minuto.", "Quedan aproximadamente {n} minutos."),
    written=Written(
        introduction="Introducción",
        round="serie {n}",
        rest_next="Descanso · después serie {n}",
        get_ready="Prepárate: {what}",
        switching="Cambio de lado: {what}",
        finishing="Final",
        next="Después: {what}",
        paused="PAUSA",
        waiting="¿LISTO? Pulsa espacio para seguir",
        header="{length} a ritmo {pace}, {holds} posiciones, {clips} clips",
        rest_mark="descanso, luego serie {n} ({length})",
        until_ready="hasta que estés listo; {length} en un archivo",
        left_out="Omitidos a ritmo {pace} (sus posiciones son demasiado cortas):",
        announcement="anuncio",
        cue="indicación",
        summary="{exercises} ejercicios, {holds} posiciones, {time} sobre la pelota",
        at_pace_one="{length} a ritmo 1",
        keys="espacio pausa · n siguiente · b atrás · +/- ritmo · h más largo · q salir",
        pace="ritmo {pace}",
    ),
)
