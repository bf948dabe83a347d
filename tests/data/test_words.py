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


def _texts_with_hedged_plural(root):
    """(file, line, text) for each string the code can show (docstrings aside) that hedges a count: "(s)", "(es)"."""
    import ast
    import re
    hedge = re.compile(r"[A-Za-z]\((?:s|es|ies)\)")
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and hedge.search(node.value):
                found.append((str(path), node.lineno, node.value))
    return found


def test_no_message_hedges_a_count_with_s_in_brackets():
    """The command line and every screen say "1 example" / "3 jobs" through plural(), never "job(s)"."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    found = [hit for part in ("backend", "ui") for hit in _texts_with_hedged_plural(root / part)]
    assert found == []

