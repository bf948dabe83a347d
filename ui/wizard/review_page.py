"""Wizard page 4: the review, in the user's words for the chosen provider, then Launch.

The page shows what the backend computes in a Task (``compute_review``): the cost of training the training
share (``backend.data.cost.training_cost``, the figure the job records), for a run on this computer the plan
(settings, memory, time, disk), and the card that words them (``backend.review.review_card``). A hosted
provider's create request can be shown under "Show the request". Launch is the wizard's own Finish button,
relabelled: it runs ``backend.launch.launch`` in a Task that opens the provider itself (validate, upload with
progress, create, record); Cancel stops it before the job is created. On success the job is in the store,
"Open in Jobs" shows it in the monitor, and the same button becomes "Start another".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea,
    QVBoxLayout, QWidget, QWizard, QWizardPage,
)

from backend.errors import StudioError
from backend.models import CostEstimate, Job, TrainingConfig
from ui.tasks import Task
from ui.widgets.elide import ElidedLabel
from ui.widgets.plain import plain_label

_AFTER_LAUNCH = [QWizard.WizardButton.Stretch, QWizard.WizardButton.FinishButton]
_FINISH = QWizard.WizardButton.FinishButton


@dataclass(frozen=True)
class Review:
    """What the review shows, computed off the GUI thread by ``compute_review``."""

    request: dict | None  # the create request; None: the provider sends none to show
    cost: CostEstimate | None  # None: the data has not been checked
    problem: str = ""  # why the request could not be shown (the provider could not be opened)
    card: object = None  # backend.review.Card: the review in words
    report: object = None  # the data recounted with the model's own tokenizer (None: the data page's stands)


def compute_review(open_provider: Callable, config: TrainingConfig, report, dedupe: bool, *,
                   account_name: str | None = None, drop_invalid: bool = False,
                   recount: Callable | None = None) -> Review:
    """The cost of training ``config``'s training share of the examples ``report`` (the data page's validation
    report) counted, the plan of a run on this computer, the card that words them, and the provider's create
    request. Runs in a Task: opening a provider may read the keyring, and the plan imports torch.

    Where the provider counts with the model's own tokenizer and the data page counted with a stand-in (the model
    was chosen after the data), ``recount(tokenizer_path=FOLDER)`` (validation again) counts with the model's
    tokenizer when it is on this computer, and the review shows those figures."""
    from backend import hub, providers
    from backend.data.cost import training_cost
    from backend.data.profile import TokenizerSource
    from backend.providers.base import CostKind, PreviewsRequest, request_preview
    from backend.review import DataFacts, local_plan, review_card

    cls = providers.provider_class(config.provider)
    recounted = None
    if recount is not None and report is not None and cls.data is not None \
            and cls.data.tokenizer is TokenizerSource.MODEL_FOLDER:
        folder = hub.tokenizer_folder(config.base_model)
        if folder and report.stats.tokenizer != folder:
            report = recounted = recount(tokenizer_path=folder)
    data = DataFacts(report.stats if report is not None else None, dedupe, drop_invalid)
    sizes = data.training_examples(config)
    cost = None
    if sizes is not None:
        cost = training_cost(data.stats, training_examples=sizes[0], epochs=config.hyperparameters.n_epochs,
                             profile=cls.data, model=config.base_model)
    local = local_plan(config, data, cost) if cls.cost_kind is CostKind.THIS_COMPUTER else None
    card = review_card(config, cls, account_name=account_name, data=data, cost=cost, local=local)
    if not issubclass(cls, PreviewsRequest):  # nothing to open: no request to show
        return Review(None, cost, card=card, report=recounted)
    try:
        return Review(request_preview(open_provider(config.provider, config.account_id), config), cost, card=card,
                      report=recounted)
    except StudioError as exc:
        return Review(None, cost, str(exc), card, recounted)


def _recount(draft):
    """Validation of the draft's data as the data page ran it, waiting for a tokenizer (None without data)."""
    if not draft.data_path or draft.report is None:
        return None
    from functools import partial

    from backend.accounts import hub_dataset_token
    from backend.data import validate_file
    from backend.providers import provider_class

    return partial(validate_file, draft.data_path, format=draft.data.format, column_mapping=draft.data.column_mapping,
                   profile=provider_class(draft.provider).data, provider=draft.provider, hub_token=hub_dataset_token)


def card_widget(card) -> QWidget:
    """The card's sections as group boxes of label/value rows, two by two (what and on what; settings and where,
    how long, what it costs); paths elided in the middle, sentences wrapped."""
    widget = QWidget()
    layout = QGridLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, section in enumerate(card.sections):
        box = QGroupBox(section.title)
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for row in section.rows:
            value = ElidedLabel(row.value) if row.path else plain_label(
                row.value, wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(f"{row.label}: {row.value}")
            if row.role:
                value.setProperty("role", row.role)
            form.addRow(plain_label(row.label + ":"), value)
        layout.addWidget(box, index // 2, index % 2)
    rows = (len(card.sections) + 1) // 2
    launch = plain_label(card.launch, wordWrap=True, accessibleName="What Launch does")
    launch.setContentsMargins(0, 6, 0, 0)
    layout.addWidget(launch, rows, 0, 1, 2)
    layout.setColumnStretch(0, 1)
    layout.setColumnStretch(1, 1)
    layout.setRowStretch(rows + 1, 1)
    return widget


class ReviewPage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Review and launch")
        self.setSubTitle("Check what will train, on what, where and at what cost. Nothing starts before Launch.")
        self.setButtonText(_FINISH, "Launch")
        self.job: Job | None = None
        self.review: Review | None = None
        self._task: Task | None = None
        self._review_task: Task | None = None
        self._generation = 0  # a newer review (Back, then Next) supersedes an older one still running
        self.card = None  # the backend.review.Card shown
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setAccessibleName("Review")
        self.placeholder = plain_label(wordWrap=True)
        self.scroll.setWidget(self.placeholder)
        self.request_button = QPushButton("Show the request", checkable=True,
                                          accessibleName="Show the request that will be sent")
        self.request_button.setToolTip("The body of the create request, as it will be sent (the uploaded files' "
                                       "ids are filled in at launch).")
        self.request_view = QPlainTextEdit(readOnly=True, accessibleName="The request that will be sent")
        self.request_view.setVisible(False)
        self.request_button.toggled.connect(self.request_view.setVisible)
        self.cancel_button = QPushButton("Cancel", accessibleName="Cancel the launch")
        self.cancel_button.setToolTip("Stop the upload; nothing is started. Once the job is sent, it cannot be "
                                      "called back from here: cancel it in Jobs.")
        self.progress = QProgressBar(accessibleName="Launch progress")
        self.status = plain_label(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open in Jobs", accessibleName="Open the job in the Jobs page")
        self.open_button.setToolTip("Follow the job's progress, metrics and events.")
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        from ui.wizard.autotrain_save import SaveAutoTrainButton  # local runs: export as an AutoTrain config
        self.autotrain_save = SaveAutoTrainButton(lambda: self.wizard().draft.to_config(),
                                                  lambda *a: self.wizard().opened(*a))
        row.addWidget(self.autotrain_save)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 3)
        layout.addWidget(self.request_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.request_view, 2)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self._open_job)

    @property
    def launch_button(self) -> QPushButton:
        """The wizard's Finish button, labelled Launch on this page (Start another once launched)."""
        return self.wizard().button(_FINISH)

    def initializePage(self) -> None:
        self.job = None
        self.setButtonText(_FINISH, "Launch")
        self.status.setText("")
        self._busy(False)
        self.open_button.hide()
        self.review = None
        self._generation += 1
        self._show_card(None)
        self.request_button.setChecked(False)
        self.request_button.hide()
        wizard = self.wizard()
        draft = wizard.draft
        try:
            config = draft.to_config()
        except ValidationError as exc:  # the pages refuse this before Next; a sentence, never a traceback
            from backend.bounds import refusal

            self.placeholder.setText(str(refusal(exc)))
            return
        self.placeholder.setText("Working out the settings, the time and the cost…")
        from backend.providers import local_runner

        self.autotrain_save.setVisible(config.provider == local_runner())
        account = wizard.account()
        self._review_task = Task(compute_review, wizard.opened, config, draft.report, draft.data.dedupe,
                                 account_name=account.name if account else None,
                                 drop_invalid=draft.data.drop_invalid, recount=_recount(draft),
                                 name="review fine-tune")
        generation = self._generation
        self._review_task.on_success(lambda found, g=generation: self._reviewed(g, found))
        self._review_task.on_error_message(lambda message, g=generation: self._reviewed(
            g, Review(None, None, message)))
        self._review_task.start()
        self.completeChanged.emit()

    def _reviewed(self, generation: int, found: Review) -> None:
        if generation != self._generation:
            return
        self._review_task = None
        self.review = found
        if found.report is not None:  # counted again with the model's own tokenizer: the data page shows it too
            self.wizard().draft.report = found.report
        self._show_card(found.card)
        if found.card is None or found.problem:
            self.placeholder.setText(f"The review could not be completed: {found.problem}" if found.card is None
                                     else "")
        if found.problem and found.card is not None:
            self.status.setText(f"The provider could not be opened to show the request: {found.problem}")
        if found.request is not None:
            self.request_view.setPlainText(json.dumps(found.request, indent=2))
            self.request_button.show()
        self.completeChanged.emit()

    def _show_card(self, card) -> None:
        self.card = card
        if card is None:
            if self.scroll.widget() is not self.placeholder:
                self.placeholder = plain_label(wordWrap=True)
                self.scroll.setWidget(self.placeholder)
            return
        self.scroll.setWidget(card_widget(card))

    def card_text(self) -> str:
        """The card shown, as plain text ("" while it is worked out)."""
        return self.card.text() if self.card is not None else ""

    def ready(self) -> bool:
        """Whether the review is shown."""
        return self.review is not None

    def validatePage(self) -> bool:
        """Launch (the wizard's Finish button, labelled Launch) starts the launch and stays; once launched, the
        same button ("Start another") finishes the wizard, which starts a new one."""
        if self.job is not None:
            return True
        if self._task is None:
            self.launch()
        return False

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
        # The provider is opened in the task (the keyring may take its time), by the opener the other pages use.
        self._task = Task(launch, config, store=wizard.context.store, open_provider=wizard.opened,
                          name="launch fine-tune", keep_outcome=True)
        self._busy(True)
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
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(f"Launched: “{job.name}” is {job.status.value.replace('_', ' ')} "
                            f"({job.remote_id or job.id}).")
        self.open_button.show()
        self.setButtonText(_FINISH, "Start another")
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
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy or self.job is not None)
        self.completeChanged.emit()

    def _open_job(self) -> None:
        context = self.wizard().context
        context.open_job.emit(self.job.id)
        context.navigate.emit("jobs")

    def isComplete(self) -> bool:
        """Launch is offered once the review is shown and no launch is under way; Start another once launched."""
        return self.job is not None or (self.review is not None and self.review.card is not None
                                        and self._task is None)

    def cleanupPage(self) -> None:
        self.cancel()
