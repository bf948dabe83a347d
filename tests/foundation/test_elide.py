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


def test_a_role_gets_the_themes_label_styling_in_light_and_dark(qtbot):
    """The theme styles labels by ``role``; an ElidedLabel with a role looks as a plain label with it does (the
    job detail's title is a heading, its connection line a warning), with no font or colour set in code."""
    from PySide6.QtGui import QColor
    from ui.monitor.detail import JobDetail
    from ui.theme import STYLE_SHEET, WARNING_COLOUR, dark_palette
    from ui.widgets.plain import plain_label

    window = QWidget()
    qtbot.addWidget(window)
    window.setStyleSheet(STYLE_SHEET)  # the theme's rules, on this window only
    layout = QVBoxLayout(window)
    heading, plain_heading = ElidedLabel("Support bot", role="heading"), plain_label("Support bot")
    plain_heading.setProperty("role", "heading")
    warning = ElidedLabel("Offline: retrying")
    detail = JobDetail()
    for widget in (heading, plain_heading, warning, detail):
        layout.addWidget(widget)
    window.show()
    qtbot.waitExposed(window)
    assert heading.font().pointSizeF() == plain_heading.font().pointSizeF() == 12
    assert heading.font().weight() == plain_heading.font().weight() > window.font().weight()
    warning.set_role("warning")  # after it is shown: styled at once
    assert warning.palette().color(warning.foregroundRole()) == QColor(WARNING_COLOUR)
    for palette in (window.palette(), dark_palette()):
        window.setPalette(palette)
        assert detail.title.font() == heading.font() and detail.title.property("role") == "heading"
        assert detail.connection.palette().color(detail.connection.foregroundRole()) == QColor(WARNING_COLOUR)
        assert detail.title.styleSheet() == detail.connection.styleSheet() == ""
    warning.set_role(None)
    assert warning.palette().color(warning.foregroundRole()) != QColor(WARNING_COLOUR)
