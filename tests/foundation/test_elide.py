"""ElidedLabel: a long path never widens its window; the middle is elided and the full text is a plain tooltip."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.widgets.elide import ElidedLabel
from ui.widgets.plain import plain_tooltip

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

LONG = "/home/someone/" + "very-long-folder-name/" * 30 + "train.jsonl"


def test_a_long_path_does_not_widen_the_window_and_keeps_both_ends(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    label = ElidedLabel("short", window)
    QVBoxLayout(window).addWidget(label)
    window.resize(400, 100)
    window.show()
    qtbot.waitExposed(window)
    label.setText(LONG)
    window.adjustSize()
    assert window.sizeHint().width() < 800 and window.minimumSizeHint().width() < 200
    window.resize(400, 100)
    qtbot.waitUntil(lambda: label.width() <= 400)
    drawn = label.elided_text()
    assert label.is_elided() and "…" in drawn
    assert drawn.startswith("/home/") and drawn.endswith("train.jsonl")
    assert label.toolTip() == plain_tooltip(LONG)
    assert label.text() == LONG


def test_a_short_text_has_no_tooltip_and_markup_stays_text(qtbot):
    label = ElidedLabel("<b>x</b>")
    qtbot.addWidget(label)
    label.resize(400, 30)
    assert not label.is_elided() and label.toolTip() == ""
    label.setFullToolTip("<img src=x>")
    assert label.toolTip() == plain_tooltip("<img src=x>")
