"""The data step's "Set aside a test set" row: a share of the chosen file is set aside once (stored in the app's
data, reused for every model) and the wizard then trains on the remainder, so the test questions are not in
anything training reads; the Evaluate page finds the test set from the job's training file."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QPushButton, QWidget

from ui.tasks import Task
from ui.widgets.plain import plain_label


class HoldOutRow(QWidget):
    """``split_made(train_path)``: the remainder to train on, once the test set is stored."""

    split_made = Signal(str)

    def __init__(self, source: Callable[[], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.source = source
        self.share = QDoubleSpinBox(minimum=1, maximum=50, decimals=0, suffix=" %", value=10)
        self.share.setAccessibleName("Share set aside for testing")
        self.button = QPushButton("Set aside a test set")
        self.button.setToolTip("Keep this share of the examples out of training, to evaluate every model on later")
        self.button.clicked.connect(self.set_aside)
        self.status = plain_label("", wordWrap=True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.share)
        row.addWidget(self.status, 1)

    def set_aside(self) -> None:
        from backend.evaluate.testset import set_aside

        path = self.source()
        if not path:
            self.status.setText("Choose the training data first.")
            return
        self.button.setEnabled(False)
        Task(set_aside, path, self.share.value() / 100, name="evaluate.split").on_success(self._made) \
            .on_error_message(self._failed).start()

    def _made(self, split) -> None:
        self.button.setEnabled(True)
        state = "were already set aside" if split.reused else "are set aside"
        self.status.setText(f"{split.test_examples} test examples {state} ({split.test_path}); training uses the "
                            f"other {split.train_examples}.")
        self.split_made.emit(str(split.train_path))

    def _failed(self, text: str) -> None:
        self.button.setEnabled(True)
        self.status.setText(text)
