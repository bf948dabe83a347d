"""The evaluation's settings: the test set, the training examples the baselines draw on, the candidates
(a model and how it is prompted), the judge, the scores and the concurrency; ``spec()`` turns them into
the ``EvalSpec`` the backend runs. Model names come from the playground's catalog (every model the app
knows); any name can be typed for the provider of the model chosen before it."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton,
                               QSpinBox, QTableWidget, QHeaderView, QTableWidgetItem, QWidget, QAbstractItemView)

from backend.evaluate.scores import SCORES
from backend.evaluate.spec import Candidate, EvalSpec
from backend.models import ChatParams, ModelRef
from ui.evaluate.results import SCORE_LABELS

FILE_FILTER = "Chat JSONL (*.jsonl *.json);;All files (*)"
APPROACHES = [("as it is (zero-shot)", "zero-shot"), ("few-shot prompt", "few-shot"),
              ("retrieved examples", "retrieval")]


def _file_row(edit: QLineEdit, title: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    choose = QPushButton("Choose…")
    choose.setAccessibleName(f"Choose {title.lower()}")

    def pick() -> None:
        path, _ = QFileDialog.getOpenFileName(edit, f"Choose {title.lower()}", edit.text(), FILE_FILTER)
        if path:
            edit.setText(path)

    choose.clicked.connect(pick)
    row.addWidget(choose)
    return row


class SetupPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.models: list[ModelRef] = []
        self.candidates: list[Candidate] = []
        self.test_edit = QLineEdit(placeholderText="held-out questions (chat JSONL; the last answer is the reference)")
        self.test_edit.setAccessibleName("Test set")
        self.train_edit = QLineEdit(placeholderText="training examples, for the few-shot and retrieval baselines")
        self.train_edit.setAccessibleName("Training examples")
        self.model_box = QComboBox(editable=True)
        self.model_box.setAccessibleName("Model to add")
        self.model_box.setMinimumWidth(280)
        self.approach = QComboBox()
        self.approach.setAccessibleName("Prompting")
        for text, value in APPROACHES:
            self.approach.addItem(text, value)
        self.shots = QSpinBox(minimum=1, maximum=64, value=5, suffix=" examples")
        self.shots.setAccessibleName("Examples in the prompt")
        add = QPushButton("Add")
        add.setAccessibleName("Add candidate")
        add.clicked.connect(self._add_chosen)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        adder = QHBoxLayout()
        for widget in (self.model_box, self.approach, self.shots, add, remove):
            adder.addWidget(widget)
        adder.addStretch(1)
        self.table = QTableWidget(0, 2)
        self.table.setAccessibleName("Candidates")
        self.table.setHorizontalHeaderLabels(["Model", "Prompting"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMaximumHeight(150)
        self.judge_box = QComboBox(editable=True)
        self.judge_box.setAccessibleName("Judge")
        self.judge_box.setMinimumWidth(280)
        self.score_boxes: dict[str, QCheckBox] = {}
        scores = QHBoxLayout()
        for name in SCORES:
            box = QCheckBox(SCORE_LABELS[name])
            box.setChecked(name in ("exact", "contains", "chrf", "tool_calls"))
            self.score_boxes[name] = box
            scores.addWidget(box)
        self.pattern = QLineEdit(placeholderText="pattern for the regex score")
        self.pattern.setAccessibleName("Pattern")
        scores.addWidget(self.pattern, 1)
        self.concurrency = QSpinBox(minimum=1, maximum=64, value=4)
        self.concurrency.setAccessibleName("Requests at once")
        self.concurrency.setMaximumWidth(120)
        self.judge_box.setMaximumWidth(420)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Test set", _file_row(self.test_edit, "Test set"))
        form.addRow("Training examples", _file_row(self.train_edit, "Training examples"))
        form.addRow("Candidates", adder)
        form.addRow("", self.table)
        form.addRow("Judge", self.judge_box)
        form.addRow("Scores", scores)
        form.addRow("Requests at once", self.concurrency)  # a row of its own has its own label
        self.approach.currentIndexChanged.connect(lambda: self.shots.setEnabled(self.approach.currentData() != "zero-shot"))
        self.shots.setEnabled(False)

    # -- models -----------------------------------------------------------------------------------------
    def set_models(self, refs: list[ModelRef]) -> None:
        """The catalog's models, offered for candidates and for the judge ("no judge" first)."""
        self.models = list(refs)
        for box in (self.model_box, self.judge_box):
            current = box.currentText()
            box.clear()
            if box is self.judge_box:
                box.addItem("(no judge)", None)
            for ref in self.models:
                box.addItem(ref.title, ref)
            if current:
                box.setCurrentText(current)
            box.lineEdit().setCursorPosition(0)  # a long model name shows its start, not its end

    def _chosen_ref(self, box: QComboBox) -> ModelRef | None:
        text = box.currentText().strip()
        index = box.findText(text)
        if index >= 0:
            return box.itemData(index)
        if not text:
            return None
        known = self.models[0] if self.models else None  # a typed name: the provider of the first model
        return ModelRef(provider=known.provider if known else None, account_id=known.account_id if known else None,
                        model=text, label=text)

    def _add_chosen(self) -> None:
        ref = self._chosen_ref(self.model_box)
        if ref is None:
            return
        strategy = self.approach.currentData()
        self.add_candidate(Candidate(ref=ref, strategy=strategy, shots=self.shots.value() if strategy != "zero-shot" else 0))

    def add_candidate(self, candidate: Candidate) -> None:
        if any(c.id == candidate.id for c in self.candidates):
            return
        self.candidates.append(candidate)
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(candidate.ref.title))
        self.table.setItem(row, 1, QTableWidgetItem(candidate.approach))

    def clear_candidates(self) -> None:
        self.candidates.clear()
        self.table.setRowCount(0)

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
            del self.candidates[row]

    # -- the run ----------------------------------------------------------------------------------------
    def spec(self) -> EvalSpec:
        """The run as set here; ``EvalSpec.check`` and the backend say what is missing."""
        judge = self._chosen_ref(self.judge_box) if self.judge_box.currentIndex() != 0 else None
        names = [n for n, box in self.score_boxes.items() if box.isChecked()]
        return EvalSpec(test_path=self.test_edit.text().strip(), train_path=self.train_edit.text().strip() or None,
                        candidates=list(self.candidates), scores=names, pattern=self.pattern.text() or None,
                        judge=judge, concurrency=self.concurrency.value(),
                        params=ChatParams(temperature=0, max_tokens=256))
