"""In the dark theme, check boxes and radio buttons stand out from the window (they were nearly invisible:
Fusion frames them with the window colour darkened, on a near-black base); the light theme is untouched."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QRadioButton, QStyle, QStyleOptionButton

from ui.theme import apply_theme


@pytest.fixture
def restored(qapp):
    """The application's style, palette and style sheet as they were: the test session's other windows must not
    inherit this test's theme (a chart's palette test read the app's style sheet after it)."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


@pytest.fixture
def dark(restored):
    apply_theme(restored, True)
    yield restored
    apply_theme(restored, False)


def _edge_contrast(qtbot, widget, element) -> int:
    """The largest lightness difference between the indicator's pixels and the window behind it."""
    qtbot.addWidget(widget)
    widget.resize(widget.sizeHint())
    image = widget.grab().toImage()
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    rect = widget.style().subElementRect(element, option, widget)
    window = widget.palette().color(QPalette.ColorRole.Window).lightness()
    return max(abs(QColor(image.pixel(x, y)).lightness() - window)
               for x in range(rect.left(), rect.right() + 1) for y in range(rect.top(), rect.bottom() + 1))


@pytest.mark.parametrize("checked", [False, True])
def test_dark_check_boxes_and_radio_buttons_are_clearly_visible(qtbot, dark, checked):
    box, radio = QCheckBox("Pack short examples together"), QRadioButton("LoRA")
    box.setChecked(checked)
    radio.setChecked(checked)
    assert _edge_contrast(qtbot, box, QStyle.SubElement.SE_CheckBoxIndicator) >= 60
    assert _edge_contrast(qtbot, radio, QStyle.SubElement.SE_RadioButtonIndicator) >= 60


def test_the_light_theme_keeps_fusion_and_switching_back_drops_the_dark_edges(qtbot, restored):
    qapp = restored
    from ui.theme import uses_contrast_style

    apply_theme(qapp, True)
    assert uses_contrast_style()
    apply_theme(qapp, False)
    assert not uses_contrast_style() and qapp.palette().color(QPalette.ColorRole.Window).lightness() >= 128
