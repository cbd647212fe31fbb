"""Everything coach itself says, one table per language: the planner and player say no other.

A routine's own words (setup, cues, names) are the author's, in the routine's
language; these are the sentences around them. Each language is written as a
coach speaking it would say them: numbers agree in plural (Polish has three
forms), adjectives agree with their nouns ("linke Seite", "lado izquierdo"),
and a name the author wrote follows a colon where an article or a case ending
would otherwise have to agree with a word coach cannot know the gender of.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loader checks languages against this table: no import back at run time
    from coach.routine.model import Side


def _join_with(word: str) -> Callable[[Sequence[str]], str]:
    def join(items: Sequence[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {word} " + items[-1]

    return join


def _join_spanish(items: Sequence[str]) -> str:
    """Spanish "y" becomes "e" before an /i/ sound: "agua y hielo", but "aguja e hilo"."""
    if len(items) <= 1:
        return "".join(items)
    last = items[-1]
    word = "e" if re.match(r"(?i)h?i(?![aeiouáéíóú])", last) else "y"
    return ", ".join(items[:-1]) + f" {word} " + last


@dataclass(frozen=True, slots=True)
class Phrases:
    """The sentences coach says in one language, as templates and small rules."""

    language: str
    """The primary BCP 47 subtag: ``en``, ``de``…"""
    name: str
    """The language's own name for itself."""
    voice: str | None
    """The eSpeak NG voice that speaks it by default (None: the engine's default)."""
    minutes: Callable[[int], str]
    """``This session takes about N minutes.``, with the plural the number takes."""
    join: Callable[[Sequence[str]], str]
    """``a, b and c``."""
    equipment_: str
    first_: str
    next_up_: str
    sides: dict[str, str]
    """How a side is named after an exercise: ``left side`` (keyed by ``Side.value``)."""
    switch_: dict[str, str]
    """The whole sentence that moves to a side: ``Switch to the left side.``"""
    start_with_: str
    now_: str
    halfway: str
    ten_seconds_left: str
    ending: str
    paused: str
    resuming: str
    round_: str
    """``Round {n} of {total}.``"""
    rest: str
    go: str
    ready_reminder: str
    """Said now and then while coach waits for the person to be ready (space)."""
    numbers: tuple[str, ...]
    """One to twenty, as counted aloud; higher numbers are said as digits."""
    faster: str
    slower: str
    longer: str
    """Confirms the `h` key: this hold lasts thirty seconds more."""
    minutes_left: Callable[[int], str]
    """``About N minutes left.``, after a change of pace."""

    def title(self, title: str) -> str:
        return f"{title}."

    def session_length(self, minutes: int) -> str:
        return self.minutes(minutes)

    def equipment(self, items: Sequence[str]) -> str:
        return self.equipment_.format(items=self.join(items))

    def announce(self, exercise: str, side: Side | None) -> str:
        return exercise if side is None else f"{exercise}, {self.sides[side.value]}"

    def first(self, exercise: str, side: Side | None) -> str:
        return self.first_.format(what=self.announce(exercise, side))

    def next_up(self, exercise: str, side: Side | None) -> str:
        return self.next_up_.format(what=self.announce(exercise, side))

    def switch(self, side: Side) -> str:
        return self.switch_[side.value]

    def start_with(self, step: str) -> str:
        return self.start_with_.format(step=step)

    def now(self, step: str) -> str:
        return self.now_.format(step=step)

    def step(self, step: str) -> str:
        return f"{step}."

    def round(self, number: int, rounds: int) -> str:
        return self.round_.format(n=number, total=rounds)

    def count(self, number: int) -> str:
        """A rep counted aloud: ``One.``"""
        word = self.numbers[number - 1] if 1 <= number <= len(self.numbers) else str(number)
        return f"{word}."

    @property
    def live(self) -> tuple[str, ...]:
        """What the live player says when a key (or the wait for one) calls for it."""
        return (self.paused, self.resuming, self.ready_reminder)

    @property
    def changes(self) -> tuple[str, ...]:
        """What the live player says when the pace or a hold changes (the time left aside)."""
        return (self.faster, self.slower, self.longer)

    def fixed(self) -> tuple[str, ...]:
        """Every sentence that takes no argument, for checks and tests."""
        return (
            self.halfway,
            self.ten_seconds_left,
            self.ending,
            self.paused,
            self.resuming,
            self.rest,
            self.go,
            self.ready_reminder,
            *self.switch_.values(),
        )


def _plural(one: str, other: str) -> Callable[[int], str]:
    """Languages whose nouns have one form for 1 and one for every other number."""
    return lambda n: one if n == 1 else other.format(n=n)


def _polish_minutes(n: int) -> str:
    # "około" takes the genitive: "około minuty", and "minut" for every number above one
    # (około dwóch minut, około pięciu minut, około dwudziestu dwóch minut).
    return "Ta sesja trwa około minuty." if n == 1 else f"Ta sesja trwa około {n} minut."


def _polish_minutes_left(n: int) -> str:
    # as in _polish_minutes: "około" takes the genitive, and the verb stays neuter
    return "Zostało około minuty." if n == 1 else f"Zostało około {n} minut."


LEFT, RIGHT = "left", "right"

TABLE: dict[str, Phrases] = {
    p.language: p
    for p in (
        Phrases(
            language="en",
            name="English",
            voice=None,
            minutes=_plural(
                "This session takes about 1 minute.", "This session takes about {n} minutes."
            ),
            join=_join_with("and"),
            equipment_="You will need {items}.",
            first_="First: {what}.",
            next_up_="Good. Next up: {what}.",
            sides={LEFT: "left side", RIGHT: "right side"},
            switch_={LEFT: "Switch to the left side.", RIGHT: "Switch to the right side."},
            start_with_="Start with {step}.",
            now_="Now, {step}.",
            halfway="Halfway.",
            ten_seconds_left="Ten seconds left.",
            ending="That is the end of the session. Well done.",
            paused="Paused. Press space to go on.",
            resuming="Resuming in 3, 2, 1.",
            round_="Round {n} of {total}.",
            rest="Rest.",
            go="Go.",
            ready_reminder="Press space when you are ready.",
            numbers=(
                "One",
                "Two",
                "Three",
                "Four",
                "Five",
                "Six",
                "Seven",
                "Eight",
                "Nine",
                "Ten",
                "Eleven",
                "Twelve",
                "Thirteen",
                "Fourteen",
                "Fifteen",
                "Sixteen",
                "Seventeen",
                "Eighteen",
                "Nineteen",
                "Twenty",
            ),
            faster="Faster.",
            slower="Slower.",
            longer="Thirty seconds more.",
            minutes_left=_plural("About 1 minute left.", "About {n} minutes left."),
        ),
        Phrases(
            language="de",
            name="Deutsch",
            voice="gmw/de",
            minutes=_plural(
                "Diese Einheit dauert etwa eine Minute.",
                "Diese Einheit dauert etwa {n} Minuten.",
            ),
            join=_join_with("und"),
            equipment_="Du brauchst {items}.",
            first_="Zuerst: {what}.",
            next_up_="Gut. Als Nächstes: {what}.",
            sides={LEFT: "linke Seite", RIGHT: "rechte Seite"},
            switch_={LEFT: "Wechsle auf die linke Seite.", RIGHT: "Wechsle auf die rechte Seite."},
            start_with_="Beginne mit: {step}.",
            now_="Jetzt: {step}.",
            halfway="Die Hälfte ist geschafft.",
            ten_seconds_left="Noch zehn Sekunden.",
            ending="Das ist das Ende der Einheit. Gut gemacht.",
            paused="Pause. Drück die Leertaste, um weiterzumachen.",
            resuming="Weiter in 3, 2, 1.",
            round_="Runde {n} von {total}.",
            rest="Kurze Pause.",
            go="Los.",
            ready_reminder="Drück die Leertaste, wenn du bereit bist.",
            numbers=(
                "Eins",
                "Zwei",
                "Drei",
                "Vier",
                "Fünf",
                "Sechs",
                "Sieben",
                "Acht",
                "Neun",
                "Zehn",
                "Elf",
                "Zwölf",
                "Dreizehn",
                "Vierzehn",
                "Fünfzehn",
                "Sechzehn",
                "Siebzehn",
                "Achtzehn",
                "Neunzehn",
                "Zwanzig",
            ),
            faster="Schneller.",
            slower="Langsamer.",
            longer="Dreißig Sekunden mehr.",
            minutes_left=_plural("Noch etwa eine Minute.", "Noch etwa {n} Minuten."),
        ),
        Phrases(
            language="fr",
            name="Français",
            voice="roa/fr",
            minutes=_plural(
                "Cette séance dure environ une minute.",
                "Cette séance dure environ {n} minutes.",
            ),
            join=_join_with("et"),
            equipment_="Il vous faut {items}.",
            first_="Pour commencer : {what}.",
            next_up_="Bien. Ensuite : {what}.",
            sides={LEFT: "côté gauche", RIGHT: "côté droit"},
            switch_={LEFT: "Passez au côté gauche.", RIGHT: "Passez au côté droit."},
            start_with_="Commencez par : {step}.",
            now_="Maintenant : {step}.",
            halfway="Vous êtes à la moitié.",
            ten_seconds_left="Encore dix secondes.",
            ending="C'est la fin de la séance. Bravo.",
            paused="Pause. Appuyez sur espace pour continuer.",
            resuming="Reprise dans 3, 2, 1.",
            round_="Tour {n} sur {total}.",
            rest="Repos.",
            go="C'est parti.",
            ready_reminder="Appuyez sur espace pour continuer.",
            numbers=(
                "Un",
                "Deux",
                "Trois",
                "Quatre",
                "Cinq",
                "Six",
                "Sept",
                "Huit",
                "Neuf",
                "Dix",
                "Onze",
                "Douze",
                "Treize",
                "Quatorze",
                "Quinze",
                "Seize",
                "Dix-sept",
                "Dix-huit",
                "Dix-neuf",
                "Vingt",
            ),
            faster="Plus vite.",
            slower="Plus lentement.",
            longer="Trente secondes de plus.",
            minutes_left=_plural("Encore environ une minute.", "Encore environ {n} minutes."),
        ),
        Phrases(
            language="es",
            name="Español",
            voice="roa/es",
            minutes=_plural(
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
            paused="En pausa. Pulsa espacio para continuar.",
            resuming="Seguimos en 3, 2, 1.",
            round_="Ronda {n} de {total}.",
            rest="Descansa.",
            go="Vamos.",
            ready_reminder="Pulsa espacio para seguir.",
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
            minutes_left=_plural(
                "Queda aproximadamente un minuto.", "Quedan aproximadamente {n} minutos."
            ),
        ),
        Phrases(
            language="it",
            name="Italiano",
            voice="roa/it",
            minutes=_plural(
                "Questa sessione dura circa un minuto.",
                "Questa sessione dura circa {n} minuti.",
            ),
            join=_join_with("e"),
            equipment_="Ti serve: {items}.",
            first_="Per iniziare: {what}.",
            next_up_="Bene. Ora passiamo a: {what}.",
            sides={LEFT: "lato sinistro", RIGHT: "lato destro"},
            switch_={LEFT: "Passa al lato sinistro.", RIGHT: "Passa al lato destro."},
            start_with_="Inizia con: {step}.",
            now_="Adesso: {step}.",
            halfway="Sei a metà.",
            ten_seconds_left="Ancora dieci secondi.",
            ending="La sessione è finita. Ottimo lavoro.",
            paused="In pausa. Premi spazio per continuare.",
            resuming="Si riprende tra 3, 2, 1.",
            round_="Giro {n} di {total}.",
            rest="Riposo.",
            go="Via.",
            ready_reminder="Premi spazio per andare avanti.",
            numbers=(
                "Uno",
                "Due",
                "Tre",
                "Quattro",
                "Cinque",
                "Sei",
                "Sette",
                "Otto",
                "Nove",
                "Dieci",
                "Undici",
                "Dodici",
                "Tredici",
                "Quattordici",
                "Quindici",
                "Sedici",
                "Diciassette",
                "Diciotto",
                "Diciannove",
                "Venti",
            ),
            faster="Più veloce.",
            slower="Più lento.",
            longer="Trenta secondi in più.",
            minutes_left=_plural("Manca circa un minuto.", "Mancano circa {n} minuti."),
        ),
        Phrases(
            language="nl",
            name="Nederlands",
            voice="gmw/nl",
            minutes=_plural(
                "Deze sessie duurt ongeveer één minuut.",
                "Deze sessie duurt ongeveer {n} minuten.",
            ),
            join=_join_with("en"),
            equipment_="Je hebt {items} nodig.",
            first_="Eerst: {what}.",
            next_up_="Goed. Hierna: {what}.",
            sides={LEFT: "linkerkant", RIGHT: "rechterkant"},
            switch_={LEFT: "Wissel naar de linkerkant.", RIGHT: "Wissel naar de rechterkant."},
            start_with_="Begin met: {step}.",
            now_="Nu: {step}.",
            halfway="Je bent halverwege.",
            ten_seconds_left="Nog tien seconden.",
            ending="Dit is het einde van de sessie. Goed gedaan.",
            paused="Gepauzeerd. Druk op de spatiebalk om verder te gaan.",
            resuming="We gaan verder over 3, 2, 1.",
            round_="Ronde {n} van {total}.",
            rest="Rust.",
            go="Start.",
            ready_reminder="Druk op de spatiebalk als je klaar bent.",
            numbers=(
                "Een",
                "Twee",
                "Drie",
                "Vier",
                "Vijf",
                "Zes",
                "Zeven",
                "Acht",
                "Negen",
                "Tien",
                "Elf",
                "Twaalf",
                "Dertien",
                "Veertien",
                "Vijftien",
                "Zestien",
                "Zeventien",
                "Achttien",
                "Negentien",
                "Twintig",
            ),
            faster="Sneller.",
            slower="Langzamer.",
            longer="Dertig seconden extra.",
            minutes_left=_plural("Nog ongeveer één minuut.", "Nog ongeveer {n} minuten."),
        ),
        Phrases(
            language="pt",
            name="Português",
            voice="roa/pt",
            minutes=_plural(
                "Esta sessão dura cerca de um minuto.",
                "Esta sessão dura cerca de {n} minutos.",
            ),
            join=_join_with("e"),
            equipment_="Vai precisar de: {items}.",
            first_="Primeiro: {what}.",
            next_up_="Muito bem. A seguir: {what}.",
            sides={LEFT: "lado esquerdo", RIGHT: "lado direito"},
            switch_={LEFT: "Mude para o lado esquerdo.", RIGHT: "Mude para o lado direito."},
            start_with_="Comece por: {step}.",
            now_="Agora: {step}.",
            halfway="Já vai a meio.",
            ten_seconds_left="Faltam dez segundos.",
            ending="Chegámos ao fim da sessão. Bom trabalho.",
            paused="Em pausa. Prima a barra de espaço para continuar.",
            resuming="A retomar em 3, 2, 1.",
            round_="Ronda {n} de {total}.",
            rest="Descanse.",
            go="Vamos.",
            ready_reminder="Prima a barra de espaço para seguir em frente.",
            numbers=(
                "Um",
                "Dois",
                "Três",
                "Quatro",
                "Cinco",
                "Seis",
                "Sete",
                "Oito",
                "Nove",
                "Dez",
                "Onze",
                "Doze",
                "Treze",
                "Catorze",
                "Quinze",
                "Dezasseis",
                "Dezassete",
                "Dezoito",
                "Dezanove",
                "Vinte",
            ),
            faster="Mais rápido.",
            slower="Mais devagar.",
            longer="Mais trinta segundos.",
            minutes_left=_plural("Falta cerca de um minuto.", "Faltam cerca de {n} minutos."),
        ),
        Phrases(
            language="pl",
            name="Polski",
            voice="zlw/pl",
            minutes=_polish_minutes,
            join=_join_with("i"),
            equipment_="Potrzebujesz: {items}.",
            first_="Na początek: {what}.",
            next_up_="Dobrze. Następnie: {what}.",
            sides={LEFT: "lewa strona", RIGHT: "prawa strona"},
            switch_={LEFT: "Zmień stronę na lewą.", RIGHT: "Zmień stronę na prawą."},
            start_with_="Zacznij od: {step}.",
            now_="Teraz: {step}.",
            halfway="Połowa za tobą.",
            ten_seconds_left="Jeszcze dziesięć sekund.",
            ending="To koniec sesji. Dobra robota.",
            paused="Pauza. Naciśnij spację, aby kontynuować.",
            resuming="Wznawiamy za 3, 2, 1.",
            round_="Runda {n} z {total}.",
            rest="Odpoczynek.",
            go="Start.",
            ready_reminder="Naciśnij spację, aby przejść dalej.",
            numbers=(
                "Jeden",
                "Dwa",
                "Trzy",
                "Cztery",
                "Pięć",
                "Sześć",
                "Siedem",
                "Osiem",
                "Dziewięć",
                "Dziesięć",
                "Jedenaście",
                "Dwanaście",
                "Trzynaście",
                "Czternaście",
                "Piętnaście",
                "Szesnaście",
                "Siedemnaście",
                "Osiemnaście",
                "Dziewiętnaście",
                "Dwadzieścia",
            ),
            faster="Szybciej.",
            slower="Wolniej.",
            longer="Trzydzieści sekund dłużej.",
            minutes_left=_polish_minutes_left,
        ),
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


def is_supported(tag: str) -> bool:
    """A well-formed BCP 47 tag whose language has a phrases table."""
    return bool(_TAG.match(tag)) and primary(tag) in TABLE


def phrases_for(tag: str) -> Phrases:
    """The table for a language tag (``de``, ``de-AT``…); KeyError for one not supported."""
    return TABLE[primary(tag)]


def voice_for(tag: str) -> str | None:
    """The voice that speaks ``tag`` by default: its region's, else its language's."""
    return REGIONAL_VOICES.get(tag.lower(), phrases_for(tag).voice)
