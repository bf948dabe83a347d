"""Small helpers for the sentences the app shows: one way to say "1 error" and "3 errors"."""

from __future__ import annotations


def plural(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1: ``plural(1, "error")`` is "1 error",
    ``plural(3, "error")`` "3 errors", ``plural(2, "entry", "entries")`` "2 entries". Never "error(s)"."""
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"
