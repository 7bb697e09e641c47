"""Numbers that agree with their nouns, and ordinals that agree with gender, in one place.

Every report sentence that puts a number before a noun ("mirė 3 054 gyventojai", "531
gyventojas", "2-oji vieta") takes the noun's form from :func:`plural_form`, which asks Babel
for the CLDR plural category of the number in the report language:

======  ============================================  ==============================
lt      numbers                                       form (noun "gyventojas")
======  ============================================  ==============================
one     1, 21, 31, 101, 1 001 (not 11)                gyventojas (nominative sing.)
few     2–9, 22–29, 102 (not 12–19)                   gyventojai (nominative pl.)
many    numbers written with decimals (2,5)           gyventojo (genitive sing.)
other   0, 10–20, 30, 100, 1 000                      gyventojų (genitive pl.)
======  ============================================  ==============================

English has ``one`` (1) and ``other``. Case matters in Lithuanian: after "iš" a number takes
the genitive ("iš 21 savivaldybės", "iš 60 savivaldybių") and after "sudarė" the accusative
("sudarė 22 gyventojus"), so a noun is given with its forms per case (:data:`NOUNS`).

Lithuanian ordinals are written as digits with the ending of the ordinal numeral (the
pronominal form, as in "2-oji vieta", "3-iasis sparčiausias augimas"): masculine ``-asis``,
but ``-iasis`` after a 3 that is "trečiasis" (3, 23, 103, not 13); feminine ``-oji`` /
``-ioji``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Mapping

__all__ = ["NOUNS", "plural_category", "plural_form", "count_phrase", "ordinal"]

#: noun -> case -> plural category -> form. Lithuanian cases: ``nom`` (nominative), ``gen``
#: (genitive, after "iš", "nuo", "iki", "reikėtų"), ``acc`` (accusative, after "sudarė").
#: English nouns have only ``one`` and ``other`` (and no cases).
NOUNS: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "resident": {
        "lt": {
            "nom": {"one": "gyventojas", "few": "gyventojai", "many": "gyventojo", "other": "gyventojų"},
            "gen": {"one": "gyventojo", "few": "gyventojų", "many": "gyventojo", "other": "gyventojų"},
            "acc": {"one": "gyventoją", "few": "gyventojus", "many": "gyventojo", "other": "gyventojų"},
        },
        "en": {"nom": {"one": "resident", "other": "residents"}},
    },
    "working_age_resident": {
        "lt": {
            "nom": {"one": "darbingo amžiaus gyventojas", "few": "darbingo amžiaus gyventojai",
                    "many": "darbingo amžiaus gyventojo", "other": "darbingo amžiaus gyventojų"},
            "gen": {"one": "darbingo amžiaus gyventojo", "few": "darbingo amžiaus gyventojų",
                    "many": "darbingo amžiaus gyventojo", "other": "darbingo amžiaus gyventojų"},
        },
        "en": {"nom": {"one": "working-age resident", "other": "working-age residents"}},
    },
    "newborn": {
        "lt": {"nom": {"one": "kūdikis", "few": "kūdikiai", "many": "kūdikio", "other": "kūdikių"}},
        "en": {"nom": {"one": "birth", "other": "births"}},
    },
    "death": {
        "lt": {"nom": {"one": "gyventojas", "few": "gyventojai", "many": "gyventojo", "other": "gyventojų"}},
        "en": {"nom": {"one": "death", "other": "deaths"}},
    },
    "municipality": {
        "lt": {
            "nom": {"one": "savivaldybė", "few": "savivaldybės", "many": "savivaldybės", "other": "savivaldybių"},
            "gen": {"one": "savivaldybės", "few": "savivaldybių", "many": "savivaldybės", "other": "savivaldybių"},
        },
        "en": {"nom": {"one": "municipality", "other": "municipalities"}},
    },
    "most_similar_municipality": {
        # a peer group's name: "5 panašiausios savivaldybės", "1 panašiausia savivaldybė", "10 panašiausių savivaldybių"
        "lt": {"nom": {"one": "panašiausia savivaldybė", "few": "panašiausios savivaldybės",
                       "many": "panašiausios savivaldybės", "other": "panašiausių savivaldybių"}},
        "en": {"nom": {"one": "most similar municipality", "other": "most similar municipalities"}},
    },
    "percentage_point": {
        "lt": {"gen": {"one": "procentinio punkto", "few": "procentinių punktų", "many": "procentinio punkto",
                       "other": "procentinių punktų"}},
        "en": {"nom": {"one": "percentage point", "other": "percentage points"}},
    },
    "row": {  # of a table written to a file
        "lt": {"nom": {"one": "eilutė", "few": "eilutės", "many": "eilutės", "other": "eilučių"}},
        "en": {"nom": {"one": "row", "other": "rows"}},
    },
    "year": {
        # accusative of duration: "išlaikoma 1 metus, 2 metus, 12 metų"; genitive after "iki": "iki 1 metų,
        # 2 metų, 12 metų" (a plurale tantum: "metų" for every number)
        "lt": {"nom": {"one": "metai", "few": "metai", "many": "metų", "other": "metų"},
               "gen": {"one": "metų", "few": "metų", "many": "metų", "other": "metų"},
               "acc": {"one": "metus", "few": "metus", "many": "metų", "other": "metų"}},
        "en": {"nom": {"one": "year", "other": "years"}},
    },
}


@lru_cache(maxsize=None)
def _locale(lang: str):
    from babel import Locale

    return Locale.parse(lang)


def plural_category(n: float | int, lang: str, decimals: int = 0) -> str:
    """CLDR plural category (``one``, ``few``, ``many``, ``other``) of ``n`` as it is written
    with ``decimals`` decimal places in ``lang``.

    The category is that of the written number (its absolute value), so "−22" is ``few``
    like "22". Lithuanian numbers written with decimals ("20,2", "2,0") take the genitive
    singular (``many``): the written fraction, not its value, decides.
    """
    written = Decimal(f"{abs(float(n)):.{int(decimals)}f}")
    if lang == "lt" and decimals > 0:
        return "many"
    return _locale(lang).plural_form(written)


def plural_form(n: float | int, forms: Mapping[str, str], lang: str, decimals: int = 0) -> str:
    """The form of ``forms`` (plural category -> word) that agrees with ``n`` in ``lang``.

    A category missing from ``forms`` falls back to ``other``.

    >>> plural_form(22, NOUNS["resident"]["lt"]["nom"], "lt")
    'gyventojai'
    """
    cat = plural_category(n, lang, decimals)
    return forms.get(cat, forms["other"])


def count_phrase(number_text: str, n: float | int, noun: str, lang: str, case: str = "nom",
                 decimals: int = 0) -> str:
    """``number_text`` (the number as formatted for the text) followed by ``noun`` (a key of
    :data:`NOUNS`) in the form agreeing with ``n`` and the grammatical ``case``.

    >>> count_phrase("3 054", 3054, "death", "lt")
    '3 054 gyventojai'
    """
    cases = NOUNS[noun][lang]
    forms = cases.get(case) or cases["nom"]
    return f"{number_text} {plural_form(n, forms, lang, decimals)}"


def _lt_ordinal_suffix(n: int, gender: str) -> str:
    # "trečias" (3rd) is the only ordinal numeral whose stem ends in a soft consonant; 13 is
    # "tryliktas", so 13, 113... take the ordinary ending.
    soft = n % 10 == 3 and n % 100 != 13
    if gender == "f":
        return "ioji" if soft else "oji"
    return "iasis" if soft else "asis"


def ordinal(n: int, lang: str, gender: str = "m") -> str:
    """Ordinal number written with digits: ``1st``, ``22nd``; Lithuanian ``2-asis`` /
    ``3-iasis`` (``gender="m"``) or ``2-oji`` / ``3-ioji`` (``gender="f"``, e.g. "vieta").
    """
    n = int(n)
    if lang == "lt":
        if gender not in ("m", "f"):
            raise ValueError(f"gender must be 'm' or 'f', got {gender!r}")
        return f"{n}-{_lt_ordinal_suffix(n, gender)}"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
