"""The column-mapping dialog for CSV, TSV and Parquet files: which column holds which turn."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QVBoxLayout

from ui.widgets.plain import plain_label

_NONE = "(none)"
_ROLES = (("system", "System prompt", True), ("user", "User turn", False), ("assistant", "Assistant turn", False),
          ("rejected", "Rejected reply (DPO)", True))


class ColumnMappingDialog(QDialog):
    def __init__(self, columns: list[str], mapping: dict[str, str] | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Map columns")
        layout = QVBoxLayout(self)
        intro = plain_label("Choose the column that holds each part of a conversation.", wordWrap=True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        for role, title, optional in _ROLES:
            box = QComboBox()
            box.setAccessibleName(title)
            if optional:
                box.addItem(_NONE)
            box.addItems(columns)
            if mapping and mapping.get(role) in columns:
                box.setCurrentText(mapping[role])
            box.currentIndexChanged.connect(self._check)
            self.boxes[role] = box
            form.addRow(title + ":", box)
        layout.addLayout(form)
        self.problem = plain_label()
        self.problem.setProperty("role", "error")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if not mapping and len(columns) >= 2:
            self.boxes["assistant"].setCurrentIndex(1)
        self._check()

    def mapping(self) -> dict[str, str]:
        return {role: box.currentText() for role, box in self.boxes.items() if box.currentText() != _NONE}

    def _check(self, *_args) -> None:
        chosen = list(self.mapping().values())
        problem = "Each column can hold only one part." if len(chosen) != len(set(chosen)) else ""
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
