"""Counted nouns in sentences: "1 example", "2 examples", "1,204 errors", never "example(s)".

One helper for every message the app writes about a count (data findings, the wizard, the command line).
"""

from __future__ import annotations

# Nouns whose plural is not noun + "s".
_IRREGULAR = {"entry": "entries", "duplicate pair": "duplicate pairs", "this": "these", "is": "are",
              "was": "were", "has": "have"}


def plural_of(noun: str) -> str:
    """The plural of ``noun`` ("example" -> "examples", "entry" -> "entries")."""
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun`` agreeing: ``plural(1, "example")`` is "1 example", ``plural(1204, "error")`` is
    "1,204 errors"; ``many`` gives an irregular plural."""
    word = noun if count == 1 else (many or plural_of(noun))
    return f"{count:,} {word}"
