"""The findings table's model: one row per finding (line, severity, check, message, how to fix)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from backend.data import Finding, Severity
from ui.theme import ERROR_COLOUR, WARNING_COLOUR
from ui.widgets.plain import plain_tooltip

_COLUMNS = ("Line", "Severity", "Check", "What is wrong", "How to fix it")
_COLOURS = {Severity.ERROR: QColor(ERROR_COLOUR), Severity.WARNING: QColor(WARNING_COLOUR)}
Index = QModelIndex | QPersistentModelIndex


class FindingsModel(QAbstractTableModel):
    """Findings of one validation report; ``Qt.UserRole`` gives the Finding itself."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._findings: list[Finding] = []
        self._place = "line"

    def set_findings(self, findings: list[Finding], place: str = "line") -> None:
        """``place``: what the numbers count, "line" or "row" (``DataFormat.place``)."""
        # A new report is a new data set: a reset is the honest signal (not a refresh of the same rows).
        self.beginResetModel()
        self._findings = sorted(findings, key=lambda f: (f.severity is not Severity.ERROR, f.line, f.check))
        self._place = place
        self.endResetModel()

    def finding(self, row: int) -> Finding | None:
        return self._findings[row] if 0 <= row < len(self._findings) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._findings)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(_COLUMNS):
            return self._place.capitalize() if section == 0 else _COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._findings)):
            return None
        f = self._findings[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return "file" if f.line == 0 else (f"{f.line}:{f.column}" if f.column else str(f.line))
            return (None, f.severity.value, f.check, f.message, f.how_to_fix)[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(f"{f.message}\n{f.how_to_fix}")  # quotes the data
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return _COLOURS[f.severity]
        if role == Qt.ItemDataRole.UserRole:
            return f
        return None
