"""The Export dialog's Inference Endpoints section: deploy a pushed repository to a dedicated endpoint (the plan, with
instance, region, price per hour and scale-to-zero, is shown and confirmed first), follow it until it runs, and
pause, resume, scale to zero or delete it. ``backend.endpoints`` does the work on ``ui.tasks.Task`` workers; the
account's token is read there. Deploy is sent once per confirmed click: the button stays disabled meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QSpinBox

from backend.cancel import Progress
from ui.tasks import Task
from ui.widgets.plain import confirm, plain_label


def _endpoints(account: str | None):
    from backend import accounts
    from backend.endpoints import Endpoints

    chosen, token = accounts.hub_push_account(account)
    return Endpoints(chosen, token)


def _plan(account, repository, name, accelerator, minutes):
    return _endpoints(account).plan(repository, name=name or None, accelerator=accelerator,
                                    scale_to_zero_minutes=minutes or None)


def _deploy(account, plan, progress=None, cancel=None):
    """Send the deploy (once), then follow it; a cancel stops only the following."""
    from backend.errors import Cancelled

    endpoints = _endpoints(account)
    endpoint = endpoints.deploy(plan)
    try:
        return endpoints.wait(endpoint.name, progress=progress, cancel=cancel, every=EndpointPanel.poll_seconds)
    except Cancelled:
        return endpoints.get(endpoint.name)


def _act(account, action: str, name: str):
    from backend.endpoints import CHARGES_STOP

    endpoints = _endpoints(account)
    {"pause": endpoints.pause, "resume": endpoints.resume, "scale-to-zero": endpoints.scale_to_zero,
     "delete": endpoints.delete}[action](name)
    return f"{name}: {CHARGES_STOP[action]}"


class EndpointPanel(QGroupBox):
    poll_seconds = 5.0

    def __init__(self, repository: Callable[[], str], account: Callable[[], str | None], *,
                 confirm_fn: Callable = confirm):
        super().__init__("Deploy to a Hugging Face Inference Endpoint (billed by the hour)")
        self.repository, self.account, self.confirm = repository, account, confirm_fn
        self._task: Task | None = None
        self.repo = QLineEdit(accessibleName="Endpoint repository", placeholderText="owner/model (pushed)")
        self.name = QLineEdit(accessibleName="Endpoint name", placeholderText="from the repository")
        self.accelerator = QComboBox(accessibleName="Accelerator")
        self.accelerator.addItem("GPU (cheapest available)", "gpu")
        self.accelerator.addItem("CPU (cheapest available)", "cpu")
        self.idle = QSpinBox(accessibleName="Scale to zero after minutes", minimum=0, maximum=10080, value=15,
                             suffix=" min idle", specialValueText="never scale to zero")
        self.deploy_button = QPushButton("Deploy…")
        self.deploy_button.clicked.connect(self.deploy)
        self.actions: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.addWidget(self.deploy_button)
        for action, text in (("pause", "Pause"), ("resume", "Resume"), ("scale-to-zero", "Scale to zero"),
                             ("delete", "Delete…")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            self.actions[action] = button
            row.addWidget(button)
        row.addStretch(1)
        self.status = plain_label("", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout(self)
        form.addRow("Repository", self.repo)
        form.addRow("Endpoint name", self.name)
        form.addRow("Instance", self.accelerator)
        form.addRow("Scale to zero", self.idle)
        form.addRow(row)
        form.addRow(self.status)

    def _repo(self) -> str:
        return self.repo.text().strip() or self.repository()

    def _busy(self, busy: bool) -> None:
        for button in (self.deploy_button, *self.actions.values()):
            button.setEnabled(not busy)
        if not busy:
            self._task = None

    def deploy(self) -> None:
        if self._task is not None:
            return
        self._busy(True)
        self.status.setText("Looking up instances and prices…")
        self._task = (Task(_plan, self.account(), self._repo(), self.name.text().strip(),
                           self.accelerator.currentData(), self.idle.value(), name="endpoint plan")
                      .on_success(self._confirm_plan).on_error_message(self._failed))
        self._task.start()

    def _confirm_plan(self, plan) -> None:
        self._task = None
        if not self.confirm(self, "Deploy to an Inference Endpoint", plan.confirmation() +
                            "\n\nCharges begin once it runs. Deploy it?"):
            self._busy(False)
            self.status.setText("Nothing was deployed.")
            return
        self.name.setText(plan.name)
        self.status.setText(f"Deploying {plan.name}…")
        self._task = (Task(_deploy, self.account(), plan, name="endpoint deploy", keep_outcome=True)
                      .on_progress(self._progress).on_success(self._deployed).on_error_message(self._failed))
        self._task.start()

    def _progress(self, progress: Progress) -> None:
        self.status.setText(progress.message)

    def _deployed(self, endpoint) -> None:
        self._busy(False)
        if endpoint.state in ("running", "scaledToZero"):
            self.status.setText(f"Ready at {endpoint.url}: “{endpoint.name}” is in the playground.")
        else:
            self.status.setText(endpoint.describe())

    def act(self, action: str) -> None:
        name = self.name.text().strip()
        if self._task is not None or not name:
            self.status.setText("" if name else "Name the endpoint first.")
            return
        if action == "delete" and not self.confirm(self, "Delete the endpoint", f"Delete the endpoint “{name}”?"):
            return
        self._busy(True)
        self._task = (Task(_act, self.account(), action, name, name=f"endpoint {action}")
                      .on_success(self._acted).on_error_message(self._failed))
        self._task.start()

    def _acted(self, sentence: str) -> None:
        self._busy(False)
        self.status.setText(sentence)

    def _failed(self, message: str) -> None:
        self._busy(False)
        self.status.setText(message)
