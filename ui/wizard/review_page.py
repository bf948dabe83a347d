"""Wizard page 4: everything that will be sent, the billed tokens and price, then Launch.

Launch runs ``backend.launch.launch`` in a Task (validate, upload with progress, create, record);
Cancel stops it before the job is created. On success the job is in the store and "Open in Jobs"
shows it in the monitor.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout, QPlainTextEdit, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWizard, QWizardPage,
)

from backend.models import DataRefs, Job, ProviderKind
from ui.tasks import Task
from ui.widgets.plain import plain_label

_AFTER_LAUNCH = [QWizard.WizardButton.Stretch, QWizard.WizardButton.FinishButton]


def estimate_text(draft) -> str:
    """Billed tokens and price from the data page's report, or why there is no figure."""
    from backend.data import estimate_price

    stats = getattr(draft.report, "stats", None)
    if stats is None or not stats.billed_tokens_per_epoch:
        return "Billed tokens: not known until the data is checked."
    epochs = draft.hyperparameters.n_epochs
    epochs = epochs if isinstance(epochs, int) else stats.default_epochs
    share = 1.0 - (draft.validation_split or 0.0)
    billed = int(stats.billed_tokens_per_epoch * share * epochs)
    text = f"Billed tokens: about {billed:,} ({epochs} epoch{'s' * (epochs != 1)} × " \
           f"{int(stats.billed_tokens_per_epoch * share):,} training tokens)."
    if draft.provider is ProviderKind.HF_LOCAL:
        return text + " Training on this computer costs nothing but time and electricity."
    price = estimate_price(billed, draft.provider, draft.base_model)
    if price is None:
        return text + " No price is known for this model."
    return text + f" Estimated price: ${price.amount_usd:,.2f} at ${price.usd_per_million_tokens:g} per million " \
                  f"tokens (prices as of {price.as_of}; check the provider's page)."


class ReviewPage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Review and launch")
        self.setSubTitle("This is what will be sent. Launch validates and uploads the data, then starts the job.")
        self.job: Job | None = None
        self._task: Task | None = None
        self.summary = QPlainTextEdit(readOnly=True, accessibleName="What will be sent")
        self.summary.setToolTip("The request the app will send, with the uploaded files' ids filled in at launch.")
        self.estimate = plain_label(wordWrap=True)
        self.launch_button = QPushButton("Launch", accessibleName="Launch the fine-tune")
        self.launch_button.setToolTip("Upload the data and start the fine-tune. The provider bills the job.")
        self.cancel_button = QPushButton("Cancel", accessibleName="Cancel the launch")
        self.cancel_button.setToolTip("Stop the upload; nothing is started. Once the job is sent, it cannot be "
                                      "called back from here: cancel it in Jobs.")
        self.progress = QProgressBar(accessibleName="Launch progress")
        self.status = plain_label(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open in Jobs", accessibleName="Open the job in the Jobs page")
        self.open_button.setToolTip("Follow the job's progress, metrics and events.")
        row = QHBoxLayout()
        row.addWidget(self.launch_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        row.addStretch(0)
        self.launch_button.setMinimumWidth(120)
        self.launch_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.estimate)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.launch_button.clicked.connect(self.launch)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self._open_job)

    def initializePage(self) -> None:
        self.job = None
        self.status.setText("")
        self._busy(False)
        self.open_button.hide()
        wizard = self.wizard()
        draft = wizard.draft
        self.summary.setPlainText(self.describe())
        self.estimate.setText(estimate_text(draft))

    def describe(self) -> str:
        wizard = self.wizard()
        draft = wizard.draft
        config = draft.to_config()
        account = wizard.account()
        lines = [f"Provider: {config.provider.label}" + (f" (account “{account.name}”)" if account else ""),
                 f"Training data: {config.training_file}"]
        stats = getattr(draft.report, "stats", None)
        if stats is not None:
            lines.append(f"Examples: {stats.valid_examples:,} valid of {stats.examples:,}")
        if config.validation_file:
            lines.append(f"Validation data: {config.validation_file}")
        elif config.validation_split:
            lines.append(f"Validation: {config.validation_split:.0%} of the examples, split with seed "
                         f"{config.split_seed}")
        else:
            lines.append("Validation: none")
        try:
            provider = wizard.provider()
            refs = DataRefs(training="<training file id, after upload>",
                            validation="<validation file id, after upload>" if config.validation_file or
                            config.validation_split else None)
            request = provider.job_request(config, refs, Job(provider=config.provider,
                                                               metadata={"fts_launch": "<set at launch>"}))
            lines += ["", "Create request:", json.dumps(request, indent=2)]
        except AttributeError:  # providers without a request body (local training): the configuration
            lines += ["", "Configuration:", json.dumps(config.model_dump(mode="json"), indent=2)]
        except Exception as exc:  # noqa: BLE001 - the review still shows what it can
            lines += ["", f"(The provider could not be opened: {exc})"]
        return "\n".join(lines)

    # -- launch -------------------------------------------------------------------------------------
    def launch(self) -> None:
        from backend.launch import launch

        wizard = self.wizard()
        try:
            provider = wizard.provider()
            config = wizard.draft.to_config()
        except Exception as exc:  # noqa: BLE001 - shown as a sentence, never a traceback
            from ui.tasks import describe_error

            self.status.setText(describe_error(exc))
            return
        self.status.setText("Starting…")
        self._busy(True)
        self._task = Task(launch, config, store=wizard.context.store, provider=provider, name="launch fine-tune",
                          keep_outcome=True)
        self._task.on_progress(self._progressed)
        self._task.on_success(self._launched)
        self._task.on_error_message(self._failed)
        self._task.on_cancelled(lambda: self._failed(
            "Cancelled before the job was sent: nothing was started."))
        self._task.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.status.setText("Cancelling…")

    def _progressed(self, progress) -> None:
        fraction = progress.fraction
        self.progress.setRange(0, 1000 if fraction is not None else 0)
        if fraction is not None:
            self.progress.setValue(int(fraction * 1000))
        eta = f" (about {progress.eta_seconds:.0f} s left)" if progress.eta_seconds else ""
        self.status.setText((progress.message or "Working…") + eta)

    def _launched(self, job: Job) -> None:
        self._task = None
        self.job = job
        self._busy(False)
        self.launch_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(f"Launched: “{job.name}” is {job.status.value.replace('_', ' ')} "
                            f"({job.remote_id or job.id}).")
        self.open_button.show()
        self.wizard().setButtonLayout(_AFTER_LAUNCH)
        self.wizard().context.job_recorded.emit(job.id)
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self._task = None
        self._busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(message)

    def _busy(self, busy: bool) -> None:
        self.launch_button.setEnabled(not busy and self.job is None)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy or self.job is not None)

    def _open_job(self) -> None:
        context = self.wizard().context
        context.open_job.emit(self.job.id)
        context.navigate.emit("jobs")

    def isComplete(self) -> bool:
        return self.job is not None

    def cleanupPage(self) -> None:
        self.cancel()
