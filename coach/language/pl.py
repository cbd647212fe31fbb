"""Polski: what coach says in it."""

from __future__ import annotations

from coach.language.phrases import LEFT, RIGHT, Phrases, Written, join_with


def _polish_minutes(n: int) -> str:
    # "około" takes the genitive: "około minuty", and "minut" for every number above one
    # (około dwóch minut, około pięciu minut, około dwudziestu dwóch minut).
    return "Ta sesja trwa około minuty." if n == 1 else f"Ta sesja trwa około {n} minut."


def _polish_minutes_left(n: int) -> str:
    # as in _polish_minutes: "około" takes the genitive, and the verb stays neuter
    return "Zostało około minuty." if n == 1 else f"Zostało około {n} minut."


PHRASES = Phrases(
    language="pl",
    name="Polski",
    voice="zlw/pl",
    minutes=_polish_minutes,
    join=join_with("i"),
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
    paused="Pauza.",
    paused_how_="Pauza. Aby kontynuować, {how}.",
    resuming="Wznawiamy za 3, 2, 1.",
    round_="Runda {n} z {total}.",
    rest="Odpoczynek.",
    go="Start.",
    ready_how_="Kiedy będziesz gotowy, {how}.",
    ways={"space": "naciśnij spację", "play": "naciśnij odtwarzanie", "resume": "powiedz resume"},
    either=join_with("lub"),
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
    written=Written(
        introduction="Wstęp",
        round="runda {n}",
        rest_next="Odpoczynek · potem runda {n}",
        get_ready="Przygotuj się: {what}",
        switching="Zmiana strony: {what}",
        finishing="Zakończenie",
        next="Potem: {what}",
        paused="PAUZA",
        waiting="GOTOWY? Naciśnij spację, aby kontynuować",
        header="{length} w tempie {pace}, pozycje: {holds}, klipy: {clips}",
        rest_mark="odpoczynek, potem runda {n} ({length})",
        until_ready="aż będziesz gotowy; {length} w pliku",
        left_out="Pominięte w tempie {pace} (ich pozycje są za krótkie):",
        announcement="zapowiedź",
        cue="wskazówka",
        summary="ćwiczenia: {exercises}, pozycje: {holds}, {time} na piłce",
        at_pace_one="{length} w tempie 1",
        keys="spacja pauza · n dalej · b wstecz · +/- tempo · h dłużej · q zakończ",
        pace="tempo {pace}",
    ),
)
