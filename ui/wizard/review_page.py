"""Wizard page 4: everything that will be sent, the billed tokens and price, then Launch.

The page only shows what the backend computes, in a Task: the provider's create request where it has one
to show (``request_preview``; otherwise the configuration) and the cost of training the training share
(``backend.data.cost.training_cost``, the figure the job records). Launch runs ``backend.launch.launch`` in a
Task that opens the provider itself (validate, upload with progress, create, record); Cancel stops it before
the job is created. On success the job is in the store and "Open in Jobs" shows it in the monitor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout, QPlainTextEdit, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWizard, QWizardPage,
)

from backend.errors import StudioError
from backend.models import CostEstimate, Job, TrainingConfig
from ui.tasks import Task
from ui.widgets.plain import plain_label

_AFTER_LAUNCH = [QWizard.WizardButton.Stretch, QWizard.WizardButton.FinishButton]


@dataclass(frozen=True)
class Review:
    """What the review shows beside the configuration, computed off the GUI thread by ``compute_review``."""

    request: dict | None  # the create request; None: the provider sends none to show (the configuration is shown)
    cost: CostEstimate | None  # None: the data has not been checked
    problem: str = ""  # why the request could not be shown (the provider could not be opened)


def compute_review(open_provider: Callable, config: TrainingConfig, report, dedupe: bool) -> Review:
    """The cost of training ``config``'s training share of the examples ``report`` (the data page's validation
    report) counted, and the provider's create request. Runs in a Task: opening a provider may read the keyring."""
    from backend import providers
    from backend.data.cost import split_sizes, training_cost
    from backend.providers.base import PreviewsRequest, request_preview

    cls = providers.provider_class(config.provider)
    cost = None
    if report is not None:
        stats = report.stats
        # What preparation trains on: the valid examples, less the duplicates it removes, less the split.
        count = max(0, stats.valid_examples - (stats.duplicates if dedupe else 0))
        training, _held = split_sizes(count, config.validation_split, bool(config.validation_file))
        cost = training_cost(stats, training_examples=training, epochs=config.hyperparameters.n_epochs,
                             profile=cls.data, model=config.base_model)
    if not issubclass(cls, PreviewsRequest):  # nothing to open: the review shows the configuration
        return Review(None, cost)
    try:
        return Review(request_preview(open_provider(config.provider, config.account_id), config), cost)
    except StudioError as exc:
        return Review(None, cost, str(exc))


def estimate_text(cost: CostEstimate | None, label: str) -> str:
    """Billed tokens and price, or that the provider bills nothing, or why there is no figure."""
    if cost is None or not cost.tokens_per_epoch:
        return "Billed tokens: not known until the data is checked."
    text = (f"{'Trained' if cost.free else 'Billed'} tokens: about {cost.billed_tokens:,} ({cost.epochs} "
            f"epoch{'s' * (cost.epochs != 1)} × {cost.tokens_per_epoch:,} training tokens).")
    if cost.free:
        return text + f" Nothing to pay: training with {label} costs nothing per token."
    price = cost.price
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
        self.review: Review | None = None
        self._task: Task | None = None
        self._review_task: Task | None = None
        self._generation = 0  # a newer review (Back, then Next) supersedes an older one still running
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
        from ui.wizard.autotrain_save import SaveAutoTrainButton  # local runs: export as an AutoTrain config
        self.autotrain_save = SaveAutoTrainButton(lambda: self.wizard().draft.to_config(), lambda *a: self.wizard().opened(*a))
        row.addWidget(self.autotrain_save)
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
        self.review = None
        self._generation += 1
        draft = self.wizard().draft
        try:
            config = draft.to_config()
        except ValidationError as exc:  # the pages refuse this before Next; a sentence, never a traceback
            from backend.bounds import refusal

            self.summary.setPlainText(str(refusal(exc)))
            self.estimate.setText("")
            return
        self.summary.setPlainText(self.describe(config, None))
        from backend.providers import local_runner
        self.autotrain_save.setVisible(config.provider == local_runner())
        self.estimate.setText("Working out the billed tokens…")
        self._review_task = Task(compute_review, self.wizard().opened, config, draft.report, draft.data.dedupe,
                                 name="review fine-tune")
        generation = self._generation
        self._review_task.on_success(lambda found, g=generation, c=config: self._reviewed(g, c, found))
        self._review_task.on_error_message(lambda message, g=generation, c=config: self._reviewed(
            g, c, Review(None, None, message)))
        self._review_task.start()

    def _reviewed(self, generation: int, config: TrainingConfig, found: Review) -> None:
        if generation != self._generation:
            return
        self._review_task = None
        self.review = found
        from backend.providers import label

        self.summary.setPlainText(self.describe(config, found))
        self.estimate.setText(estimate_text(found.cost, label(config.provider)))

    def describe(self, config: TrainingConfig, found: Review | None) -> str:
        """The configuration in words, then the create request (or the configuration itself) once ``found``."""
        from backend.providers import label

        wizard = self.wizard()
        stats = wizard.draft.report.stats if wizard.draft.report is not None else None
        account = wizard.account()
        lines = [f"Provider: {label(config.provider)}" + (f" (account “{account.name}”)" if account else ""),
                 f"Training data: {config.training_file}"]
        if stats is not None:
            lines.append(f"Examples: {stats.valid_examples:,} valid of {stats.examples:,}")
        if config.validation_file:
            lines.append(f"Validation data: {config.validation_file}")
        elif config.validation_split:
            lines.append(f"Validation: {config.validation_split:.0%} of the examples, split with seed "
                         f"{config.split_seed}")
        else:
            lines.append("Validation: none")
        if found is None:
            return "\n".join(lines + ["", "Preparing the request…"])
        if found.problem:
            lines += ["", f"(The provider could not be opened: {found.problem})"]
        if found.request is not None:
            lines += ["", "Create request:", json.dumps(found.request, indent=2)]
        else:
            lines += ["", "Configuration:", json.dumps(config.model_dump(mode="json"), indent=2)]
        return "\n".join(lines)

    def ready(self) -> bool:
        """Whether the request and the cost are shown."""
        return self.review is not None

    # -- launch -------------------------------------------------------------------------------------
    def launch(self) -> None:
        from backend.launch import launch

        wizard = self.wizard()
        try:
            config = wizard.draft.to_config()
        except ValidationError as exc:  # shown as a sentence, never a traceback
            from backend.bounds import refusal

            self.status.setText(str(refusal(exc)))
            return
        self.status.setText("Starting…")
        self._busy(True)
        # The provider is opened in the task (the keyring may take its time), by the opener the other pages use.
        self._task = Task(launch, config, store=wizard.context.store, open_provider=wizard.opened,
                          name="launch fine-tune", keep_outcome=True)
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
