"""The validation-set choice on the data page: none, a held-out share with a seed, or a second file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QDoubleSpinBox, QFileDialog, QGridLayout, QLineEdit, QPushButton,
                               QRadioButton, QSpinBox, QWidget)

FILE_FILTER = "Data files (*.jsonl *.json *.csv *.tsv *.parquet *.txt);;All files (*)"


class SplitBox(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.no_split = QRadioButton("No validation set")
        self.ratio_split = QRadioButton("Hold out")
        self.file_split = QRadioButton("Validation file:")
        self.group = QButtonGroup(self)
        for b in (self.no_split, self.ratio_split, self.file_split):
            self.group.addButton(b)
        self.ratio = QDoubleSpinBox(minimum=1, maximum=50, decimals=0, suffix=" %", value=10)
        self.ratio.setAccessibleName("Share held out for validation")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=42, prefix="seed ")
        self.seed.setAccessibleName("Random seed of the split")
        self.val_edit = QLineEdit(placeholderText="a second file with validation examples")
        self.val_edit.setAccessibleName("Validation file")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.no_split, 0, 0)
        grid.addWidget(self.ratio_split, 0, 1)
        grid.addWidget(self.ratio, 0, 2)
        grid.addWidget(self.seed, 0, 3)
        grid.addWidget(self.file_split, 1, 0)
        grid.addWidget(self.val_edit, 1, 1, 1, 3)
        grid.addWidget(choose, 1, 4)
        grid.setColumnStretch(5, 1)  # room on the right, not a stretched button
        self.val_edit.setMinimumWidth(360)
        self.group.buttonToggled.connect(self._changed)
        self.val_edit.textChanged.connect(self._changed)
        self.ratio.valueChanged.connect(self._changed)
        self.seed.valueChanged.connect(self._changed)
        self.no_split.setChecked(True)

    def load(self, draft) -> None:
        self.ratio.setValue(round(draft.validation_split * 100) or 10)
        self.seed.setValue(draft.split_seed)
        self.val_edit.setText(draft.validation_path or "")
        (self.file_split if draft.validation_path else self.ratio_split if draft.validation_split
         else self.no_split).setChecked(True)

    def store(self, draft) -> None:
        draft.validation_path = (self.val_edit.text().strip() or None) if self.file_split.isChecked() else None
        draft.validation_split = self.ratio.value() / 100 if self.ratio_split.isChecked() else 0.0
        draft.split_seed = self.seed.value()

    def is_complete(self) -> bool:
        return not self.file_split.isChecked() or Path(self.val_edit.text().strip()).is_file()

    def _changed(self, *_args) -> None:
        self.ratio.setEnabled(self.ratio_split.isChecked())
        self.seed.setEnabled(self.ratio_split.isChecked())
        self.val_edit.setEnabled(self.file_split.isChecked())
        self.changed.emit()

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose validation data", self.val_edit.text(), FILE_FILTER)
        if path:
            self.val_edit.setText(path)
            self.file_split.setChecked(True)
