"""The dark theme's style: Fusion with check boxes and radio buttons that stand out (``ui.theme`` uses it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle


class ContrastStyle(QProxyStyle):
    """Fusion, with check boxes' and radio buttons' edges drawn in a colour that stands out on a dark palette.

    Fusion draws an unchecked box as the Base colour framed by the Window colour darkened: on the dark
    palette both are near-black, so boxes and radio buttons were nearly invisible. Drawn over Fusion's own
    indicator (its check mark and dot kept); on a light palette nothing is added."""

    _INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorRadioButton,
                   QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)

    def __init__(self):
        super().__init__("Fusion")

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 - Qt's name
        super().drawPrimitive(element, option, painter, widget)
        palette = option.palette
        if element not in self._INDICATORS or palette.color(QPalette.ColorRole.Window).lightness() >= 128:
            return
        enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
        colour = palette.color(QPalette.ColorRole.PlaceholderText if enabled else QPalette.ColorRole.Light)
        if enabled and option.state & (QStyle.StateFlag.State_On | QStyle.StateFlag.State_MouseOver):
            colour = palette.color(QPalette.ColorRole.Highlight).lighter(130)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = option.rect.toRectF().adjusted(0.5, 0.5, -0.5, -0.5)
        if element is QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2, 2)
        painter.restore()
