"""The wizard's data step: choose or drop a file, validate it in the background (progress, ETA, cancel),
show findings (a click shows the offending example), statistics and a preview, and set up the
validation split. Next is available only when the data can be used.

Reads and writes ``wizard().draft`` only (a ui.wizard.draft.WizardDraft), so it works in any QWizard
that has a ``draft``."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSplitter, QTableView,
                               QTabWidget, QTextEdit, QVBoxLayout, QWizardPage)

from backend.cancel import Progress
from backend.kinds import ProviderKind
from backend.data import DataFormat, ValidationReport, iter_canonical, read_columns, record_text
from backend.data.profile import DataProfile, TokenizerSource
from ui.tasks import Task
from ui.theme import ERROR_COLOUR
from backend.words import plural
from ui.widgets.elide import elide_middle
from ui.widgets.plain import plain_label
from ui.wizard.data_columns import ColumnMappingDialog
from ui.wizard.data_findings import FindingsModel
from ui.wizard.data_preview import ChatPreview, TemplatePreview
from ui.evaluate.holdout import HoldOutRow
from ui.wizard.data_split import FILE_FILTER, SplitBox
from ui.wizard.data_stats import StatsView

PREVIEW_EXAMPLES = 4
_TABLES = (DataFormat.CSV, DataFormat.TSV, DataFormat.PARQUET)


def load_preview(path: str, fmt: str | None, mapping: dict | None, tokenizer: str | None):
    """(first valid examples, the first rendered through the local model's chat template or None)."""
    examples = list(itertools.islice(iter_canonical(path, fmt, mapping), PREVIEW_EXAMPLES))
    rendered = None
    if tokenizer and examples:
        from backend.data import render_training_example

        rendered = render_training_example(examples[0], tokenizer)
    return examples, rendered


class DataPage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Training data")
        self.setSubTitle("Choose or drop a file of example conversations. It is checked line by line before "
                         "anything is uploaded or trained.")
        self.setAcceptDrops(True)
        self.report: ValidationReport | None = None
        self._task: Task | None = None
        self._generation = 0
        self._ready_to_store = False

        self.path_edit = QLineEdit(placeholderText="A data file, a dataset folder or a Hub dataset id")
        self.path_edit.setToolTip("A .jsonl, .csv, .parquet or .txt file, a folder of them, or a Hugging Face Hub "
                                  "dataset id such as owner/name. You can also drop a file on this page.")
        self.path_edit.setAccessibleName("Training data file")
        self.path_edit.editingFinished.connect(self._path_entered)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Format")
        self.format_combo.addItem("Detect the format", None)
        for f in DataFormat:
            self.format_combo.addItem(f.label, f.value)
        self.format_combo.activated.connect(lambda _i: self.validate())
        self.columns_button = QPushButton("Map columns…")
        self.columns_button.clicked.connect(self._map_columns)
        self.progress = QProgressBar()
        self.eta_label = plain_label()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.summary = plain_label("No file chosen yet.")  # a file's name, a reader's message
        self.summary.setWordWrap(True)
        self.drop_invalid = QCheckBox("Leave out the invalid examples")
        self.drop_invalid.toggled.connect(self._changed)
        self.dedupe = QCheckBox("Remove exact duplicates")
        self.dedupe.toggled.connect(self._changed)

        self.findings = FindingsModel(self)
        self.table = QTableView()
        self.table.setModel(self.findings)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        # Long messages and fixes wrap, each row as tall as its text: nothing is cut off (at most a few thousand
        # findings are kept: MAX_FINDINGS_PER_CHECK per check).
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.clicked.connect(self._finding_clicked)
        self.example_view = QPlainTextEdit(readOnly=True, placeholderText="Click a finding to see its example.")
        self.example_view.setAccessibleName("Offending example")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.example_view)
        split.setSizes([220, 90])
        self.stats = StatsView()
        self.preview = ChatPreview()
        self.template = TemplatePreview()
        self.tabs = QTabWidget()
        self.tabs.addTab(split, "Findings")
        self.tabs.addTab(self.stats, "Statistics")
        self.tabs.addTab(self.preview, "Preview")
        self.tabs.addTab(self.template, "As the model sees it")

        self.split = SplitBox()
        self.split.changed.connect(self._changed)
        # the split's controls, by name, for tests and accessibility tools
        self.no_split, self.ratio_split, self.file_split = self.split.no_split, self.split.ratio_split, \
            self.split.file_split
        self.ratio, self.seed, self.val_edit = self.split.ratio, self.split.seed, self.split.val_edit

        source = QHBoxLayout()
        source.addWidget(self.path_edit, 1)
        for w in (choose, self.format_combo, self.columns_button):
            source.addWidget(w)
        busy = QHBoxLayout()
        for w, stretch in ((self.progress, 1), (self.eta_label, 0), (self.cancel_button, 0)):
            busy.addWidget(w, stretch)
        options = QHBoxLayout()
        options.addWidget(self.drop_invalid)
        options.addWidget(self.dedupe)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(source)
        layout.addLayout(busy)
        layout.addWidget(self.summary)
        layout.addLayout(options)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.split)
        self.holdout = HoldOutRow(lambda: self.path_edit.text().strip())  # a test set, never trained on
        self.holdout.split_made.connect(self.set_path)
        layout.addWidget(self.holdout)
        self._set_busy(False)
        self._show(None)

    # the draft
    def initializePage(self) -> None:
        draft = self.wizard().draft
        self._ready_to_store = False
        self.path_edit.setText(draft.data_path or "")
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(draft.data.format)))
        self.split.load(draft)
        self.drop_invalid.setChecked(draft.data.drop_invalid)
        self.dedupe.setChecked(draft.data.dedupe)
        self._ready_to_store = True
        if draft.data_path:
            if self._current(draft.report):
                self._validated(self._generation, draft.report)  # checked against this provider and model already
            else:
                self.validate()

    def showEvent(self, event) -> None:
        """Back from a later step does not run ``initializePage``: a report made before the model was chosen
        (its rules "no model given") is checked again against the model chosen since."""
        super().showEvent(event)
        wizard = self.wizard()
        if wizard is not None and wizard.draft.data_path and self._task is None and self.report is not None \
                and not self._current(self.report):
            self.validate()

    def _current(self, report) -> bool:
        """Whether ``report`` is of the chosen file, checked against the chosen provider and model (and counted
        with the model's own tokenizer where that is at hand)."""
        draft = self.wizard().draft
        provider, model = self._rules()
        own = self._local_tokenizer()  # the model's own tokenizer, once one is chosen and at hand
        return isinstance(report, ValidationReport) and report.path == draft.data_path and (
            report.provider, report.model) == (provider.value if provider else None, model) and (
            own is None or report.stats.tokenizer == own)

    def _store(self) -> None:
        if not self._ready_to_store or self.wizard() is None:
            return
        draft = self.wizard().draft
        draft.data_path = self.path_edit.text().strip() or None
        draft.data = draft.data.model_copy(update={"format": self.format_combo.currentData(),
                                                   "drop_invalid": self.drop_invalid.isChecked(),
                                                   "dedupe": self.dedupe.isChecked()})
        self.split.store(draft)
        draft.report = self.report

    def isComplete(self) -> bool:
        r = self.report
        if self._task is not None or r is None or not (r.ok or (r.usable and self.drop_invalid.isChecked())):
            return False
        return self.split.is_complete()

    def validatePage(self) -> bool:
        self._store()
        return self.isComplete()

    def _changed(self, *_args) -> None:
        self._store()
        self.completeChanged.emit()

    # choosing
    def dragEnterEvent(self, event) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.set_path(files[0])

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose training data", self.path_edit.text(), FILE_FILTER)
        if path:
            self.set_path(path)

    def _path_entered(self) -> None:
        # The field also finishes editing when it loses focus as the wizard is being closed: by then the page may
        # have no wizard, or only the Qt part of one (its Python side, with the draft, already gone).
        draft = getattr(self.wizard(), "draft", None)
        if draft is not None and self.path_edit.text().strip() != (draft.data_path or ""):
            self.set_path(self.path_edit.text().strip())

    def set_path(self, path: str) -> None:
        self.path_edit.setText(path)
        self.format_combo.setCurrentIndex(0)
        self._set_mapping(None)
        self.validate()

    def _set_mapping(self, mapping: dict[str, str] | None) -> None:
        draft = self.wizard().draft
        draft.data = draft.data.model_copy(update={"column_mapping": mapping})

    def _map_columns(self) -> None:
        path, fmt = self.path_edit.text().strip(), self.format_combo.currentData()
        try:
            columns = read_columns(path, fmt)
        except Exception as exc:  # noqa: BLE001 - shown as a sentence
            self.summary.setText(str(exc))
            return
        dialog = ColumnMappingDialog(columns, self.wizard().draft.data.column_mapping, self)
        if dialog.exec():
            self._set_mapping(dialog.mapping())
            self.validate()

    # validating
    def validate(self) -> None:
        """Validate the chosen source in the background; a newer request supersedes an older one."""
        path = self.path_edit.text().strip()
        self.cancel()
        self._show(None)
        self._store()
        if not path:
            return
        draft = self.wizard().draft
        self._generation += 1
        generation = self._generation
        provider, model = self._rules()
        self.summary.setText(f"Checking {elide_middle(Path(path).name)}…")
        from backend.data import validate_file  # here: its numpy costs the wizard's first paint 100 ms
        from backend.accounts import hub_dataset_token as dataset_token

        # dataset_token reads the keyring: passed uncalled, it runs in the task, and only for a Hub dataset
        self._task = Task(validate_file, path, format=self.format_combo.currentData(),
                          column_mapping=draft.data.column_mapping, profile=self._profile(), provider=provider,
                          model=model, tokenizer_path=self._local_tokenizer(), hub_token=dataset_token,
                          name="validate data")
        self._task.on_progress(lambda p, g=generation: self._progressed(g, p))
        self._task.on_success(lambda r, g=generation: self._validated(g, r))
        self._task.on_error_message(lambda m, g=generation: self._failed(g, m))
        self._task.on_cancelled(lambda g=generation: self._failed(g, "Validation cancelled."))
        self._set_busy(True)
        self._task.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._failed(self._generation, "Validation cancelled.")

    def _set_busy(self, busy: bool) -> None:
        for w in (self.progress, self.eta_label, self.cancel_button):
            w.setVisible(busy)
        self.progress.setRange(0, 0)  # busy until the first reading
        self.eta_label.clear()
        self.completeChanged.emit()

    def _progressed(self, generation: int, p: Progress) -> None:
        if generation != self._generation or self._task is None:
            return
        if p.fraction is not None:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(p.fraction * 1000))
        if p.eta_seconds is not None:
            self.eta_label.setText(f"about {p.eta_seconds:.0f} s left")

    def _failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._task = None
        self._generation += 1  # late results of this run are ignored
        self._set_busy(False)
        self._show(None)
        self.summary.setProperty("role", "error")
        self.summary.setText(message)
        self._restyle()

    def _validated(self, generation: int, report: ValidationReport) -> None:
        if generation != self._generation:
            return
        self._task = None
        self._set_busy(False)
        self._show(report)
        draft = self.wizard().draft
        if report.stats.valid_examples:
            Task(load_preview, report.path, self.format_combo.currentData(), draft.data.column_mapping,
                 self._local_tokenizer(),
                 name="preview data").on_success(lambda res, g=generation: self._previewed(g, res)).start()

    def _provider_class(self):
        """The chosen provider's class (None before a provider is chosen)."""
        kind = self.wizard().draft.provider if self.wizard() is not None else None
        if kind is None:
            return None
        from backend.providers import provider_class

        return provider_class(kind)

    def _profile(self) -> DataProfile | None:
        """The chosen provider's data profile (None before a provider is chosen)."""
        cls = self._provider_class()
        return cls.data if cls is not None else None

    def _rules(self) -> tuple[ProviderKind | None, str | None]:
        """The provider and model the data is checked against: the wizard's (the model counts only where tokens
        are counted by its name: context length and price). A report made for others is stale."""
        draft = self.wizard().draft
        profile = self._profile()
        model = draft.base_model if profile is not None and profile.tokenizer is TokenizerSource.TIKTOKEN else None
        return draft.provider, model

    def _local_tokenizer(self) -> str | None:
        """The chosen model's folder, where the provider counts with the model's own tokenizer: it counts and
        renders. Only a folder here (the GUI thread); the review counts again with a downloaded Hub model's."""
        from backend.hub import tokenizer_folder

        profile, model = self._profile(), self.wizard().draft.base_model
        own = profile is not None and profile.tokenizer is TokenizerSource.MODEL_FOLDER
        return tokenizer_folder(model, cached=False) if own else None

    def _show(self, report: ValidationReport | None) -> None:
        self.report = report
        self.findings.set_findings(report.findings if report else [],
                                   DataFormat(report.format).place if report else "line")
        self.example_view.clear()
        self.stats.show_report(report, self._provider_class())
        self.preview.clear()
        self.template.show_rendered(None)
        fmt = DataFormat(report.format) if report else None
        self.columns_button.setVisible(fmt in _TABLES or (self.format_combo.currentData() in [f.value for f in _TABLES]))
        if report is not None:
            self.summary.setProperty("role", "ok" if report.ok else "warning" if report.usable else "error")
            self.summary.setText(self._summary(report))
            self._restyle()
            invalid = report.invalid_examples
            self.drop_invalid.setText(f"Leave out the {plural(invalid, 'invalid example')} (they are counted, "
                                      "not fixed)")
            self.drop_invalid.setVisible(not report.ok and report.usable)
            self.dedupe.setText(f"Remove {plural(report.stats.duplicates, 'exact duplicate')}")
            self.dedupe.setVisible(report.stats.duplicates > 0)
            self.tabs.setTabText(0, f"Findings ({len(report.findings)})")
        else:
            self.drop_invalid.setVisible(False)
            self.dedupe.setVisible(False)
            self.tabs.setTabText(0, "Findings")
        self.tabs.setTabVisible(3, False)
        self._store()
        self.completeChanged.emit()

    @staticmethod
    def _summary(r: ValidationReport) -> str:
        s = r.stats
        head = (f"{DataFormat(r.format).label}: {plural(s.examples, 'example')}, {s.valid_examples:,} valid, "
                f"{plural(r.error_count, 'error')}, {plural(r.warning_count, 'warning')}; "
                f"{'preference pairs (DPO)' if r.method == 'dpo' else 'supervised'}.")
        if r.ok:
            return head + " Ready to use."
        if r.usable:
            return head + f" Fix the errors, or leave out the {plural(r.invalid_examples, 'invalid example')} to go on."
        return head + " This data cannot be used yet: fix the errors listed below."

    def _restyle(self) -> None:
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)

    def _previewed(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        examples, rendered = result
        self.preview.show_examples(examples, DataFormat(self.report.format).place if self.report else "line")
        if rendered is not None:
            self.template.show_rendered(rendered)
            self.tabs.setTabVisible(3, True)

    def _finding_clicked(self, index) -> None:
        finding = self.findings.finding(index.row())
        if finding is None or self.report is None:
            return
        if finding.line == 0:
            self.example_view.setPlainText(f"{finding.message}\n\n{finding.how_to_fix}")
            return
        self.example_view.setPlainText(f"Loading line {finding.line}…")
        generation = self._generation
        Task(record_text, self.report.path, finding.line, self.report.format, name="show example").on_success(
            lambda text, g=generation, f=finding: self._show_example(g, f, text)).start()

    def _show_example(self, generation: int, finding, text: str) -> None:
        if generation != self._generation:
            return
        column = finding.column if finding.check == "invalid_json" else None  # other columns count bytes
        marked = bool(column) and column <= len(text)
        where = f", column {column}" + (" (marked)" if marked else " (the end of the line)") if column else ""
        place = DataFormat(self.report.format).place.capitalize()
        head = f"{place} {finding.line}{where} ({finding.check}): {finding.message}\n{finding.how_to_fix}\n\n"
        self.example_view.setPlainText(head + text)
        self.example_view.setExtraSelections([])
        if marked:
            mark = QTextEdit.ExtraSelection()
            mark.cursor = self.example_view.textCursor()
            mark.cursor.setPosition(len(head) + column - 1)
            mark.cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor)
            mark.format.setBackground(QColor(ERROR_COLOUR))
            mark.format.setForeground(QColor("white"))
            self.example_view.setExtraSelections([mark])
