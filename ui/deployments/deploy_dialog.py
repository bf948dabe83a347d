"""Deploy a succeeded job's model (or one of its checkpoints) so that it can be chatted with.

The dialog states the hourly hosting cost of the chosen type before the user clicks Deploy (from the dated price
table, with its date and source), then deploys once, in a worker, and probes the deployment until it answers. The
Deploy button stays off from the click until the outcome is known: one click, at most one deployment.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from backend import accounts, deployments
from backend.models import Job
from backend.store import JobStore
from ui.tasks import Task
from ui.widgets.note import Note
from ui.widgets.plain import plain_label, plain_tooltip, show_error

#: The types offered, in this order; Developer first: free hosting, the natural first try.
TYPE_ORDER = ["DeveloperTier", "Standard", "GlobalStandard"]
DEFAULT_CAPACITY = {"DeveloperTier": 50}


class DeployDialog(QDialog):
    deployed = Signal(object)  # (DeploymentInfo, ready)
    said = Signal(str)  # a sign-in's instructions (a device code), from the worker to the note

    def __init__(self, job: Job, account, models: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Deploy the fine-tuned model")
        self.setMinimumWidth(640)
        self.job, self.account, self.task = job, account, None
        self.model = QComboBox()
        for model, label in models:
            self.model.addItem(label, model)
            self.model.setItemData(self.model.count() - 1, plain_tooltip(label), Qt.ItemDataRole.ToolTipRole)
        # A long fine-tuned model id must not make the dialog wider than the screen: the combo keeps a sensible
        # width and elides; the chosen model's full id is its tooltip.
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(40)
        self.model.setToolTip(plain_tooltip(self.model.currentText()))
        self.name = QLineEdit(deployments.default_name(models[0][0]))
        self.name.setMaxLength(64)
        self.type = QComboBox()
        for sku in TYPE_ORDER:
            self.type.addItem(deployments.DEPLOYMENT_TYPES[sku], sku)
        self.capacity = QSpinBox(minimum=1, maximum=10_000)
        self.cost = plain_label("", wordWrap=True)
        self.note = Note()
        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("Deployment name", self.name)
        form.addRow("Type", self.type)
        form.addRow("Capacity", self.capacity)
        self.deploy_button = QPushButton("Deploy")
        self.deploy_button.setDefault(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.deploy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.deploy_button.clicked.connect(self.deploy)
        self.said.connect(self._say)  # queued: the worker never touches a widget
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"On the Azure OpenAI account “{account.name}”.", wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.cost)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.model.currentIndexChanged.connect(self._explain)
        self.model.currentIndexChanged.connect(lambda: self.model.setToolTip(plain_tooltip(self.model.currentText())))
        self.type.currentIndexChanged.connect(self._type_changed)
        self._type_changed()

    def sku(self) -> str:
        return self.type.currentData()

    def _type_changed(self) -> None:
        self.capacity.setValue(DEFAULT_CAPACITY.get(self.sku(), 1))
        self._explain()

    def _explain(self) -> None:
        self.cost.setText(deployments.hosting_quote(self.model.currentData(), self.sku()))

    def deploy(self) -> None:
        if self.task is not None:
            return  # one click, one deployment
        name = self.name.text().strip()
        self.deploy_button.setEnabled(False)
        self._say(f"Deploying “{name}”…")
        self.task = Task(deployments.deploy, self.account, self.model.currentData(), name, self.sku(),
                         self.capacity.value(), prompt=self.said.emit, name="deploy", keep_outcome=True)
        self.task.on_progress(lambda p: self._say(p.message)).on_success(self._done).on_error_message(
            self._failed).on_cancelled(lambda: self._say("Stopped waiting; Azure carries on."))
        self.task.start()

    def _say(self, text: str) -> None:
        """Show ``text`` in the note, and grow the dialog to fit it (a shown dialog does not grow by itself, and
        a two-line refusal would squeeze the form)."""
        self.note.setText(text)
        QTimer.singleShot(0, self._fit)

    def _fit(self) -> None:
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def _done(self, outcome) -> None:
        info, ready = outcome
        self.task = None
        if ready:
            self._say(f"“{info.name}” is deployed and answers: chat with it in the playground. Delete it "
                              "on the Deployments page when you are done, so that hosting charges stop.")
        else:
            self._say(f"“{info.name}” is deployed but does not answer yet. The Deployments page shows it; "
                              "probe it again later, or delete it there.")
        self.deployed.emit(outcome)

    def _failed(self, sentence: str) -> None:
        self.task = None
        self._say(sentence)
        self.deploy_button.setEnabled(True)

    def reject(self) -> None:
        if self.task is not None:
            self.task.cancel()
        super().reject()


def open_deploy_dialog(job: Job, store: JobStore, parent: QWidget | None) -> DeployDialog | None:
    """The Deploy dialog for ``job`` (window-modal), or an error box saying why it cannot be deployed."""
    try:
        account = accounts.get_account(job.account_id or "")
        models = deployments.deployable_models(job, store.checkpoints(job.id))
    except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
        from ui.tasks import describe_error

        show_error(parent, "Cannot deploy", describe_error(exc))
        return None
    dialog = DeployDialog(job, account, models, parent)
    dialog.open()
    return dialog
