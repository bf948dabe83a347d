"""One job in detail: status and reason, live charts, events log, settings and data, checkpoints.

The view renders and forwards: its actions are signals the page hands to ``JobActions`` (cancel, pause, stop
and save, resume, export, delete the remote model as ``action_requested``; clone, open in the playground and
remove). It shows exactly the actions that ``available(job, resumable)`` returns (``backend.control``'s rules:
the provider's verbs and the job's state); ``resumable`` is what only this view knows, whether the checkpoints
shown include one to resume from. All text that came from a provider (events, errors, names) is shown as plain
text.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSizePolicy, QTableWidget,
    QTableWidgetItem, QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from collections.abc import Callable

from backend import control
from backend.control import JobAction
from backend.models import Checkpoint, Job, JobEvent, JobStatus, MetricPoint
from backend.providers import label
from ui.monitor.charts import TrainingCharts
from ui.monitor.jobs_model import STATUS_COLOURS, status_label
from ui.widgets.elide import ElidedLabel
from ui.widgets.plain import plain_label, plain_tooltip


def _plain(text: str) -> QLabel:
    return plain_label(text, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)


#: How a checkpoint's figures read (the rest: the provider's key, its underscores as spaces).
FIGURE_NAMES = {"train_loss": "loss", "valid_loss": "validation loss", "full_valid_loss": "full validation loss",
                "train_accuracy": "token accuracy", "train_mean_token_accuracy": "token accuracy",
                "valid_accuracy": "validation accuracy", "valid_mean_token_accuracy": "validation accuracy",
                "full_valid_mean_token_accuracy": "full validation accuracy"}


def figures_text(metrics: dict[str, float]) -> str:
    """"loss 1.234 · validation loss 1.4": a checkpoint's figures in words, accuracies as percentages."""
    parts = []
    for key, value in metrics.items():
        if key == "step":
            continue
        name = FIGURE_NAMES.get(key, key.replace("_", " "))
        parts.append(f"{name} {value:.1%}" if "accuracy" in name else f"{name} {value:.4g}")
    return " · ".join(parts)


def checkpoint_name(checkpoint: Checkpoint) -> str:
    """What a checkpoint is called in the list: the final model, a local folder's name, or the provider's name."""
    if checkpoint.id == "final":
        return "Final model"
    return Path(checkpoint.model).name if "/" in checkpoint.model or "\\" in checkpoint.model else checkpoint.model


def no_figures_text(job: Job) -> str:
    """What the charts say while ``job`` has no training figures: why, in the job's state."""
    if job.status is JobStatus.SUCCEEDED:
        ready = " Its model is ready: open it in the playground or evaluate it." if job.fine_tuned_model else ""
        return f"{label(job.provider)} reported no training figures for this job, so there is nothing to chart.{ready}"
    if job.status.is_terminal:
        return "No training figures: the job ended before it reported any."
    if job.status is JobStatus.PAUSED:
        return "No training figures yet: the job was paused before it reported any."
    return "No figures yet: the charts fill in as training reports its steps."


NO_JOB_HINT = "Choose a job above. Start one on New fine-tune (Ctrl+1), or bring in others with Import jobs…"
#: What the detail says when the list above shows no job at all: nothing to choose.
NO_JOBS_HINT = "No jobs yet. Start one on New fine-tune (Ctrl+1), or bring in others with Import jobs…"
NO_MATCH_HINT = "No job matches the search or the filters above."


def _available(job: Job, resumable: bool = False) -> frozenset[JobAction]:
    return control.available(job, control.job_class(job), resumable=resumable)


#: Each action's button: its key in ``buttons`` and its text.
ACTION_BUTTONS: dict[JobAction, tuple[str, str]] = {
    JobAction.CANCEL: ("cancel", "Cancel job…"), JobAction.PAUSE: ("pause", "Pause"),
    JobAction.STOP_AND_SAVE: ("stop_and_save", "Stop and save"), JobAction.RESUME: ("resume", "Resume"),
    JobAction.DELETE_MODEL: ("delete", "Delete remote model…"), JobAction.EXPORT: ("export", "Export…"),
    JobAction.DEPLOY: ("deploy", "Deploy…"),
}


class JobDetail(QWidget):
    action_requested = Signal(str, object)  # job id, JobAction
    clone_requested = Signal(str)
    playground_requested = Signal(str, str)  # job id, model
    evaluate_requested = Signal(str)  # job id: its model against the base's prompting baselines
    remove_requested = Signal(str)
    rename_requested = Signal(str, str)  # job id, new name

    def __init__(self, parent: QWidget | None = None, *,
                 available: Callable[[Job, bool], frozenset[JobAction]] = _available):
        super().__init__(parent)
        self.job: Job | None = None
        self.available = available
        # One line each, elided: a long name or model path must never widen the window (the full text is in
        # the tooltip); the reason is a sentence, so it wraps.
        self.title = ElidedLabel("No job selected", mode=Qt.TextElideMode.ElideRight, role="heading")
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Job name")
        self.name_edit.setToolTip("Enter renames the job, Escape keeps its name")
        self.name_edit.hide()
        self.name_edit.returnPressed.connect(self._commit_rename)
        self.name_edit.editingFinished.connect(self._end_rename)
        self.rename_button = QToolButton(text="Rename…")
        self.rename_button.setAccessibleName("Rename job")
        self.rename_button.setToolTip("Give this job a name of your own (shown in the list and the playground)")
        self.rename_button.clicked.connect(self.start_rename)
        self.status = ElidedLabel()
        # Each asks for its text up to ~40 characters and needs only a few: the status line takes what is left.
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.reason = _plain("")
        self.reason.setProperty("role", "error")
        self.reason.setWordWrap(True)
        self.connection = ElidedLabel(mode=Qt.TextElideMode.ElideRight, role="warning")
        self.connection.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.facts = _plain("")  # the provider's own lines (cost so far, resources): control.job_facts
        self.facts.setWordWrap(True)

        self.buttons: dict[str, QPushButton] = {}
        self._action_keys: dict[str, JobAction] = {}
        for action, (key, text) in ACTION_BUTTONS.items():
            button = QPushButton(text)
            button.setAccessibleName(text.rstrip("…"))
            button.clicked.connect(lambda _=False, a=action: self.job and self.action_requested.emit(self.job.id, a))
            self.buttons[key] = button
            self._action_keys[key] = action
        for key, text, signal in [("clone", "Clone into wizard", self.clone_requested),
                                  ("remove", "Remove from list…", self.remove_requested)]:
            button = QPushButton(text)
            button.setAccessibleName(text.rstrip("…"))
            button.clicked.connect(lambda _=False, s=signal: self.job and s.emit(self.job.id))
            self.buttons[key] = button
        self.buttons["playground"] = QPushButton("Open model in playground")
        self.buttons["playground"].clicked.connect(
            lambda: self.job and self.job.fine_tuned_model
            and self.playground_requested.emit(self.job.id, self.job.fine_tuned_model))
        self.buttons["evaluate"] = QPushButton("Evaluate")
        self.buttons["evaluate"].setToolTip("Compare the fine-tuned model with prompting its base model, on "
                                            "held-out questions, on quality and cost")
        self.buttons["evaluate"].clicked.connect(lambda: self.job and self.evaluate_requested.emit(self.job.id))
        self.buttons["stop_and_save"].setToolTip("Save what was learned at the current step, then stop; "
                                                 "Resume continues from there")
        self.buttons["export"].setToolTip("Save the merged model to a folder, push it to the Hugging Face Hub with "
                                          "a model card, or write its TRL recipe")
        actions = QHBoxLayout()  # the order the user reads them in
        for key in ("cancel", "pause", "stop_and_save", "resume", "clone", "playground", "evaluate", "export", "remove",
                    "delete"):
            actions.addWidget(self.buttons[key])
        actions.addStretch(1)

        self.charts = TrainingCharts()
        self.events = QPlainTextEdit(readOnly=True)
        self.events.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.events.setAccessibleName("Events log")
        self.event_search = QLineEdit(placeholderText="Find in events (Enter: next)")
        self.event_search.setClearButtonEnabled(True)
        self.event_search.returnPressed.connect(self.find_next)
        copy = QToolButton(text="Copy all")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.events.toPlainText()))
        events_tab = QWidget()
        events_layout = QVBoxLayout(events_tab)
        search_row = QHBoxLayout()
        search_row.addWidget(self.event_search, 1)
        search_row.addWidget(copy)
        events_layout.addLayout(search_row)
        events_layout.addWidget(self.events, 1)

        self.settings = QPlainTextEdit(readOnly=True)
        self.settings.setAccessibleName("Hyperparameters and data")
        self.checkpoints = QTableWidget(0, 3)
        self.checkpoints.setHorizontalHeaderLabels(["Step", "Model", "Figures at that step"])
        self.checkpoints.setWordWrap(False)
        self.checkpoints.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a path keeps both ends
        self.checkpoints.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.checkpoints.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.checkpoints.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.checkpoints.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.checkpoints.verticalHeader().hide()
        self.checkpoints.doubleClicked.connect(self._open_checkpoint)
        open_checkpoint = self.open_checkpoint_button = QPushButton("Open checkpoint in playground")
        open_checkpoint.clicked.connect(self._open_checkpoint)
        checkpoints_tab = QWidget()
        checkpoints_layout = QVBoxLayout(checkpoints_tab)
        checkpoints_layout.addWidget(self.checkpoints, 1)
        checkpoints_layout.addWidget(open_checkpoint, 0, Qt.AlignmentFlag.AlignRight)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.charts, "Charts")
        self.tabs.addTab(events_tab, "Events")
        self.tabs.addTab(self.settings, "Settings and data")
        self.tabs.addTab(checkpoints_tab, "Checkpoints")
        self.checkpoints_tab = checkpoints_tab

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.name_edit, 1)
        header.addWidget(self.rename_button)
        header.addWidget(self.status, 1)
        header.addWidget(self.connection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)  # flush with the jobs table above it
        layout.addLayout(header)
        layout.addWidget(self.reason)
        layout.addWidget(self.facts)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)
        layout.addStretch(0)  # takes the height only while the tabs are hidden: the header stays at the top
        self.hint = NO_JOB_HINT
        self.show_job(None)

    # -- what is shown --------------------------------------------------------------------------------
    def show_job(self, job: Job | None) -> None:
        """A different job: clear the history views (the page loads them off the GUI thread, then calls
        ``history_loaded``)."""
        self.job = job
        self.loaded = False  # until the stored figures are in, no "no figures" sentence
        self.events.clear()
        self.charts.replace([])
        self.checkpoints.setRowCount(0)
        self.resumable = False
        self.connection.setText("")
        self.update_job(job)

    def update_job(self, job: Job | None) -> None:
        self.job = job
        if job is None:
            self.title.setText("No job selected")
            self.status.setText(self.hint)
            self.status.setStyleSheet("")
            self.rename_button.hide()
            self._end_rename()
            self.reason.hide()
            self.tabs.hide()  # no empty charts and tabs under "Choose a job above"
            self.facts.hide()
            for button in self.buttons.values():
                button.hide()
            self.settings.clear()
            return
        self.title.setText(job.name or job.remote_id or job.id[:10])
        self.rename_button.setVisible(not self.name_edit.isVisible())
        progress = f" · step {job.step}/{job.total_steps}" if job.step is not None and job.total_steps else ""
        model = f" · {job.fine_tuned_model}" if job.fine_tuned_model else ""
        model += " (deleted)" if job.fine_tuned_model and job.model_deleted_at else ""
        self.status.setText(f"{status_label(job.status)}{progress} · {label(job.provider)}{model}")
        self.status.setStyleSheet(f"color: {STATUS_COLOURS[job.status]}")
        self.reason.setText(f"Reason: {job.error}" if job.error else "")
        self.reason.setVisible(bool(job.error))
        self.tabs.show()
        facts = control.job_facts(job)
        self.facts.setText("\n".join(facts))
        self.facts.setVisible(bool(facts))
        offered = self.available(job, self.resumable)
        visible = {key: action in offered for key, action in self._action_keys.items()}
        visible.update(clone=bool(job.config) and not job.config.get("imported"), remove=True,
                       playground=bool(job.fine_tuned_model) and job.model_deleted_at is None)
        visible["evaluate"] = visible["playground"]
        for key, button in self.buttons.items():
            button.setVisible(visible[key])
        self.charts.set_empty_text(no_figures_text(job) if self.loaded else None)
        self.tabs.setTabVisible(self.tabs.indexOf(self.checkpoints_tab),
                                control.has_checkpoints(control.job_class(job)) or self.checkpoints.rowCount() > 0)
        self.settings.setPlainText(self._settings_text(job))

    @staticmethod
    def _settings_text(job: Job) -> str:
        sections = [("Job", {"id": job.id, "provider job id": job.remote_id, "base model": job.base_model,
                             "method": job.method, "created": job.created_at.isoformat(timespec="seconds"),
                             "trained tokens": job.trained_tokens})]
        config = dict(job.config)
        resolved = config.pop("resolved_hyperparameters", None)
        if resolved:
            sections.append(("Hyperparameters (as the provider resolved them)", resolved))
        local = config.pop("local_settings", None)  # training on this computer: every "auto" resolved at launch
        if local:
            sections.append(("Training settings (as resolved for this computer)", local))
        if config:
            sections.append(("Configuration", config))
        if job.data_summary:
            sections.append(("Data", job.data_summary))
        out = []
        for title, values in sections:
            out.append(title)
            for key, value in values.items():
                if value is not None:
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    out.append(f"  {key}: {text}")
            out.append("")
        return "\n".join(out)

    def set_connection(self, text: str) -> None:
        self.connection.setText(text)

    def add_events(self, events: list[JobEvent]) -> None:
        if events:
            self.events.appendPlainText("\n".join(
                f"{e.created_at:%Y-%m-%d %H:%M:%S}  {e.level:<5}  {e.message}" for e in events))

    def event_lines(self) -> list[str]:
        return self.events.toPlainText().splitlines()

    def find_next(self) -> bool:
        text = self.event_search.text()
        if not text:
            return False
        if self.events.find(text):
            return True
        cursor = self.events.textCursor()  # wrap around to the top
        cursor.movePosition(cursor.MoveOperation.Start)
        self.events.setTextCursor(cursor)
        return self.events.find(text, QTextDocument.FindFlag(0))

    def set_hint(self, hint: str) -> None:
        """What the detail says while no job is chosen (``NO_JOB_HINT``, ``NO_JOBS_HINT``, ``NO_MATCH_HINT``)."""
        self.hint = hint
        if self.job is None:
            self.status.setText(hint)

    def history_loaded(self) -> None:
        """The job's stored history is shown: with no figures in it, the charts say why instead of empty axes."""
        self.loaded = True
        if self.job is not None:
            self.charts.set_empty_text(no_figures_text(self.job))

    def add_metrics(self, points: list[MetricPoint], replaced: bool = False) -> None:
        (self.charts.replace if replaced else self.charts.append)(points)

    def set_checkpoints(self, checkpoints: list[Checkpoint]) -> None:
        self.checkpoints.setRowCount(len(checkpoints))
        for row, checkpoint in enumerate(checkpoints):
            texts = [str(checkpoint.step), checkpoint_name(checkpoint), figures_text(checkpoint.metrics)]
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, checkpoint.model)
                item.setToolTip(plain_tooltip(checkpoint.model if column == 1 else text))  # the whole path
                self.checkpoints.setItem(row, column, item)
        self.charts.set_checkpoints(checkpoints)
        # A checkpoint to resume from: one saved during training, not the finished model.
        self.resumable = any(c.model != (self.job and self.job.fine_tuned_model) and c.id != "final"
                             for c in checkpoints)
        if self.job is not None:
            self.update_job(self.job)

    def _open_checkpoint(self) -> None:
        row = self.checkpoints.currentRow()
        if self.job is not None and row >= 0:
            self.playground_requested.emit(self.job.id, self.checkpoints.item(row, 1).data(Qt.ItemDataRole.UserRole))

    # -- renaming -------------------------------------------------------------------------------------
    def start_rename(self) -> None:
        """Edit the job's name in place of the title."""
        if self.job is None:
            return
        self.name_edit.setText(self.job.name or self.title.text())
        self.title.hide()
        self.rename_button.hide()
        self.name_edit.show()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _commit_rename(self) -> None:
        name = self.name_edit.text().strip()
        job = self.job
        self._end_rename()
        if job is not None and name and name != job.name:
            self.rename_requested.emit(job.id, name)

    def _end_rename(self) -> None:
        if self.name_edit.isVisible():
            self.name_edit.hide()
            self.title.show()
            self.rename_button.setVisible(self.job is not None)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and self.name_edit.isVisible():
            self._end_rename()
            return
        super().keyPressEvent(event)

