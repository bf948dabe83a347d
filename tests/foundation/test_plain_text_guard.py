"""A static guard: code in ``ui/`` shows text through ``ui.widgets.plain`` (see its docstring), so a new
label, message box or tooltip cannot take a dataset's, a provider's or a model's text for HTML.

The rules, checked on the syntax tree of every module in ``ui/`` (``ui/widgets/plain.py`` excepted):

- no ``QLabel(...)``: ``plain_label(...)``; a QLabel subclass calls ``make_plain(self)``;
- no ``QMessageBox(...)`` nor its static boxes (``question``, ``critical`` ...): ``confirm``, ``show_error``,
  ``plain_message_box``;
- ``setToolTip`` gets a string literal or ``plain_tooltip(...)``, and so does every ``return`` under an
  ``if`` that tests ``ToolTipRole`` (item models' tooltips);
- a system tray's ``showMessage(title, text, icon, ms)`` gets ``notification_text(...)`` for both texts;
- nothing asks for rich text: no ``RichText``/``AutoText``, ``setHtml``, ``insertHtml``, ``appendHtml``,
  ``setMarkdown``, ``QTextBrowser`` or ``QToolTip.showText``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "ui"
HELPER = UI / "widgets" / "plain.py"
STATIC_BOXES = {"question", "critical", "warning", "information", "about", "aboutQt"}
RICH = {"RichText", "AutoText", "MarkdownText", "setHtml", "insertHtml", "appendHtml", "setMarkdown", "QTextBrowser"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_call_to(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) == name


def _literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def violations(source: str) -> list[tuple[int, str]]:
    """(line, rule) for each place in ``source`` that bypasses ``ui.widgets.plain``."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func, name = node.func, _name(node.func)
            if name == "QLabel":
                found.append((node.lineno, "QLabel(...): use plain_label"))
            elif name == "QMessageBox" or (isinstance(func, ast.Attribute) and _name(func.value) == "QMessageBox"
                                           and name in STATIC_BOXES):
                found.append((node.lineno, "QMessageBox: use confirm, show_error or plain_message_box"))
            elif name == "setToolTip" and node.args and not (_literal(node.args[-1])
                                                             or _is_call_to(node.args[-1], "plain_tooltip")):
                found.append((node.lineno, "setToolTip with a computed text: use plain_tooltip"))
            elif name == "showMessage" and len(node.args) >= 3 and not all(
                    _is_call_to(arg, "notification_text") for arg in node.args[:2]):
                found.append((node.lineno, "a tray message: use notification_text"))
            elif name == "showText" and isinstance(func, ast.Attribute) and _name(func.value) == "QToolTip":
                found.append((node.lineno, "QToolTip.showText: use setToolTip(plain_tooltip(...))"))
        elif isinstance(node, ast.ClassDef) and any(_name(base) == "QLabel" for base in node.bases):
            if not any(_is_call_to(n, "make_plain") for n in ast.walk(node)):
                found.append((node.lineno, "a QLabel subclass without make_plain(self)"))
        elif isinstance(node, ast.If) and "ToolTipRole" in ast.dump(node.test):
            for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
                if isinstance(inner, ast.Return) and inner.value is not None and not (
                        isinstance(inner.value, ast.Constant) or _is_call_to(inner.value, "plain_tooltip")):
                    found.append((inner.lineno, "a ToolTipRole value: use plain_tooltip"))
        elif isinstance(node, (ast.Attribute, ast.Name)) and _name(node) in RICH:
            found.append((node.lineno, f"{_name(node)}: the app shows only plain text"))
    return sorted(set(found))


def test_every_ui_module_shows_text_through_the_plain_text_helper():
    problems = [f"{path.relative_to(UI.parent)}:{line}: {rule}"
                for path in sorted(UI.rglob("*.py")) if path != HELPER
                for line, rule in violations(path.read_text(encoding="utf-8"))]
    assert problems == []


@pytest.mark.parametrize("source", [
    "label = QLabel(job.name)",
    "class Banner(QLabel):\n    pass",
    "QMessageBox.question(self, 'Delete?', f'Delete {job.name}?')",
    "box = QMessageBox(self)",
    "item.setToolTip(2, result.message)",
    "widget.setToolTip(f'{account.name}')",
    "def data(self, index, role):\n    if role == Qt.ItemDataRole.ToolTipRole:\n        return job.error",
    "tray.showMessage(title, text, icon, 10_000)",
    "QToolTip.showText(pos, text)",
    "label.setTextFormat(Qt.TextFormat.RichText)",
    "view.setHtml(reply)",
])
def test_the_guard_catches_each_way_around_the_helper(source):
    assert violations(source), source


def test_the_guard_accepts_the_helpers_ways():
    source = ("label = plain_label(job.name)\nclass Note(QLabel):\n    def __init__(self):\n        make_plain(self)\n"
              "confirm(self, 'Delete?', f'Delete {job.name}?')\nitem.setToolTip(2, plain_tooltip(result.message))\n"
              "button.setToolTip('Save the account')\nbar.showMessage(f'{title}. {text}')\n"
              "tray.showMessage(notification_text(title), notification_text(text), icon, 10_000)\n"
              "def data(self, index, role):\n    if role == Qt.ItemDataRole.ToolTipRole:\n"
              "        return plain_tooltip(job.error)\n    return None\n")
    assert violations(source) == []
