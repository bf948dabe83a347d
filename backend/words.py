"""Counted nouns in sentences: "1 example", "2 examples", "1,204 errors", never "example(s)".

One helper for every message the app writes about a count (data findings, the wizard, the command line).
"""

from __future__ import annotations

# Nouns whose plural is not noun + "s".
_IRREGULAR = {"epoch": "epochs", "entry": "entries", "duplicate pair": "duplicate pairs", "this": "these", "is": "are",
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


def duration(seconds: float) -> str:
    """A rough duration: "about 40 seconds", "about 3 minutes", "about 2.5 hours"."""
    if seconds < 55:
        return f"about {max(5, round(seconds / 5) * 5)} seconds"
    if seconds < 90:
        return "about a minute"
    if seconds < 5400:
        return f"about {round(seconds / 60)} minutes"
    return f"about {seconds / 3600:.1f} hours"


def size(count: float) -> str:
    """Bytes in the unit a person reads: "12 MB", "1.4 GB" (decimal, as file managers show)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{int(count)} bytes"
