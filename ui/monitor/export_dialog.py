"""Export a finished local job: the merged model to a folder, a push to the Hugging Face Hub with a model
card, the TRL recipe as YAML, a GGUF with its Ollama Modelfile (``gguf_panel``); any of them in one run. Below,
a pushed repository can be deployed to an Inference Endpoint (``endpoint_panel``).

The dialog only gathers the choices and shows progress: ``backend.training.export.export_job`` (through the
provider) does the work on a ``ui.tasks.Task`` worker, checks everything before the long part, reads the
Hugging Face token from the keyring itself, and leaves nothing half-written when cancelled. Every text shown
is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from backend import paths
from backend.cancel import Progress
from backend.errors import StudioError
from backend.models import AccountKind, Job
from ui.tasks import Task
from ui.widgets.plain import plain_label


def _label(text: str = "", role: str | None = None) -> QLabel:
    label = plain_label(text, wordWrap=True)
    if role:
        label.setProperty("role", role)
    return label


def _slug(job: Job) -> str:
    """A folder and repository name from the job's name: letters, digits, "-" and "." only."""
    text = re.sub(r"[^A-Za-z0-9.]+", "-", job.name or Path(job.base_model).name or job.id[:10]).strip("-.")
    return re.sub(r"-{2,}|\.{2,}", "-", text)[:80] or job.id[:10]


class _Results:
    def __init__(self, results: list):
        self.results = results

    def summary(self) -> str:
        return " ".join(r.summary() for r in self.results)


def _export(open_provider: Callable, job: Job, requests: list, progress=None, cancel=None):
    """Worker: the provider exports (it declared EXPORT, or the button would not be there), each request in turn."""
    provider = open_provider(job.provider, job.account_id)
    return _Results([provider.export(job, request, progress=progress, cancel=cancel) for request in requests])


class _PathRow(QWidget):
    """A path field with a Choose… button (a folder, or a YAML file to save)."""

    def __init__(self, path: Path, name: str, folder: bool):
        super().__init__()
        self.edit = QLineEdit(str(path))
        self.edit.setAccessibleName(name)
        choose = QPushButton("Choose…")
        choose.setAccessibleName(f"Choose the {name.lower()}")
        choose.clicked.connect(lambda: self._choose(name, folder))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(choose)

    def _choose(self, name: str, folder: bool) -> None:
        if folder:
            chosen = QFileDialog.getExistingDirectory(self, name, str(Path(self.edit.text()).parent))
        else:
            chosen, _ = QFileDialog.getSaveFileName(self, name, self.edit.text(), "YAML (*.yaml *.yml)")
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None


class ExportDialog(QDialog):
    def __init__(self, job: Job, parent: QWidget | None = None, *, open_provider: Callable | None = None,
                 confirm_fn: Callable | None = None):
        super().__init__(parent)
        from ui.monitor.endpoint_panel import EndpointPanel
        from ui.monitor.gguf_panel import GgufPanel
        from backend import accounts
        from backend.providers import open_provider as default_open

        self.job = job
        self.open_provider = open_provider or default_open
        self._task: Task | None = None
        self.setWindowTitle(f"Export {job.name or job.id[:10]}")
        self.setMinimumWidth(620)
        adapter = (job.config.get("local_settings") or {}).get("adapter", "lora") != "full"
        slug, exports = _slug(job), paths.data_dir() / "exports"

        intro = _label(f"“{job.name or job.id[:10]}”, fine-tuned from {job.base_model}.\nChoose what to export:")
        self.merged = QGroupBox("Merged model in a folder", checkable=True)
        self.merged_path = _PathRow(exports / f"{slug}-merged", "Model folder", folder=True)
        merged = QVBoxLayout(self.merged)
        merged.addWidget(self.merged_path)
        merged.addWidget(_label("The adapter merged onto its base: a standalone model that loads with transformers, "
                                "with its tokenizer, a model card and the recipe." if adapter else
                                "The trained model with its tokenizer, a model card and the recipe.", "hint"))

        self.push = QGroupBox("Push to the Hugging Face Hub", checkable=True, checked=False)
        self.repo = QLineEdit(slug, placeholderText="my-model, or owner/my-model")
        self.repo.setAccessibleName("Repository")
        self.repo.setToolTip("NAME puts the repository under your user name; OWNER/NAME under an organisation")
        self.account = QComboBox(accessibleName="Hugging Face account")
        for account in accounts.list_accounts(AccountKind.HUGGINGFACE):
            self.account.addItem(account.name, account.id)
        if not self.account.count():
            self.account.addItem("No Hugging Face account: add one on the Accounts page", None)
            self.account.setEnabled(False)
        elif job.account_id and self.account.findData(job.account_id) >= 0:
            self.account.setCurrentIndex(self.account.findData(job.account_id))
        self.private = QCheckBox("Private repository", checked=True)
        self.private.setToolTip("Only you (and your organisation) can see it; "
                                "an existing repository keeps its setting")
        form = QFormLayout(self.push)
        form.addRow("Repository", self.repo)
        form.addRow("Account", self.account)
        form.addRow("", self.private)
        form.addRow(_label("The merged model with a model card naming its base model, the data's size and "
                           "the settings.", "hint"))

        self.recipe = QGroupBox("TRL recipe (YAML)", checkable=True, checked=False)
        self.recipe_path = _PathRow(exports / f"{slug}-trl_config.yaml", "Recipe file", folder=False)
        recipe = QVBoxLayout(self.recipe)
        recipe.addWidget(self.recipe_path)
        recipe.addWidget(_label("Reruns the training with: trl sft --config FILE (it writes to ./trl-output).", "hint"))

        self.gguf = GgufPanel(_PathRow(exports / f"{slug}-gguf", "GGUF folder", folder=True), slug)
        self.deploy = EndpointPanel(lambda: self.repo.text().strip(), lambda: self.account.currentData(),
                                    **({"confirm_fn": confirm_fn} if confirm_fn else {}))

        self.progress = QProgressBar(accessibleName="Export progress", textVisible=False)
        self.progress.hide()
        self.status = _label()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("Export", default=True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setToolTip("Stop after the current step; nothing half-written is left behind")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        for widget in (intro, self.merged, self.push, self.recipe, self.gguf, self.progress, self.status, self.deploy):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    # -- choices ----------------------------------------------------------------------------------------
    def requests(self) -> list | None:
        """The requests the fields describe (an ``ExportRequest`` and/or a ``GgufRequest``), or None with the
        problem said in the status line."""
        wanted = []
        if self.merged.isChecked() or self.push.isChecked() or self.recipe.isChecked():
            wanted.append(self.request())
            if wanted[-1] is None:
                return None
        if self.gguf.isChecked():
            try:
                wanted.append(self.gguf.request(self.private.isChecked(), self.account.currentData()))
            except StudioError as exc:
                return self._say(str(exc))
        return wanted or self._say("Choose at least one thing to export.")

    def request(self):
        """The ``ExportRequest`` the fields describe, or None with the problem said in the status line."""
        from backend import hub
        from backend.training.export import ExportRequest

        if not (self.merged.isChecked() or self.push.isChecked() or self.recipe.isChecked()):
            return self._say("Choose at least one thing to export.")
        merged = self.merged_path.path() if self.merged.isChecked() else None
        recipe = self.recipe_path.path() if self.recipe.isChecked() else None
        if self.merged.isChecked() and merged is None:
            return self._say("Choose a folder for the merged model.")
        if self.recipe.isChecked() and recipe is None:
            return self._say("Choose a file for the recipe.")
        repo = None
        if self.push.isChecked():
            try:
                repo = hub.check_repo_id(self.repo.text())
            except StudioError as exc:
                self.repo.setFocus()
                return self._say(str(exc))
        return ExportRequest(merged_dir=merged, repo_id=repo, private=self.private.isChecked(),
                             account=self.account.currentData(), recipe_file=recipe)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        return None

    # -- running ----------------------------------------------------------------------------------------
    def start(self) -> None:
        requests = self.requests()
        if requests is None or self._task is not None:
            return
        self._running(True)
        self.status.setText("Checking…")
        first = requests[0]
        self._task = (Task(_export, self.open_provider, self.job, requests, name="export")
                      .on_progress(self._show_progress).on_success(self._done)
                      .on_error_message(self._failed).on_cancelled(lambda: self._cancelled(first)))
        self._task.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling: the current step finishes first…")

    def _show_progress(self, progress: Progress) -> None:
        from backend.monitor import duration_text
        from backend.training.push import COMMITTING

        if self._task is None or self._task.token.cancelled:
            return
        fraction = progress.fraction
        self.progress.setRange(0, 1000 if fraction is not None else 0)
        if fraction is not None:
            self.progress.setValue(int(fraction * 1000))
        eta = f" · about {duration_text(progress.eta_seconds)} left" if progress.eta_seconds else ""
        self.status.setText(f"{progress.message}…{eta}")
        if progress.message.startswith(COMMITTING):  # a commit cannot be taken back halfway
            self.cancel_button.setEnabled(False)
            self.cancel_button.setToolTip("The files are being committed: this last step cannot be stopped")

    def _done(self, result) -> None:
        self._running(False)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        self.export_button.setEnabled(False)  # the destinations exist now: a second export would be refused
        self.status.setText(f"Exported. {result.summary()}")

    def _failed(self, message: str) -> None:
        self._running(False)
        self.progress.hide()
        self.status.setText(message)

    def _cancelled(self, request) -> None:
        self._running(False)
        self.progress.hide()
        merged_dir = getattr(request, "merged_dir", None)
        kept = merged_dir is not None and merged_dir.is_dir() and any(merged_dir.iterdir())
        self.status.setText("Cancelled: nothing half-written was left behind." + (
            f" The model had already been saved to {merged_dir}; nothing was pushed." if kept else ""))

    def _running(self, running: bool) -> None:
        if not running:
            self._task = None
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)
            self.progress.show()
        for widget in (self.merged, self.push, self.recipe, self.gguf, self.export_button):
            widget.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        if running:
            self.close_button.setToolTip("Closing cancels the export")
        else:
            self.close_button.setToolTip("")

    def reject(self) -> None:  # Close, Escape, the window's close button
        self.cancel()
        super().reject()
