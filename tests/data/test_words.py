"""plural(): counts and nouns agree in every message ("1 example", "2 examples"), never "example(s)"."""

from __future__ import annotations

from backend.words import plural


def test_singular_plural_and_thousands():
    assert plural(1, "example") == "1 example"
    assert plural(0, "error") == "0 errors"
    assert plural(1204, "warning") == "1,204 warnings"
    assert plural(2, "entry") == "2 entries" and plural(3, "match") == "3 matches"
    assert plural(2, "epoch") == "2 epochs"
    assert plural(2, "person", "people") == "2 people"
