"""The Deployments page: every deployment of each Azure OpenAI account, with what it serves, its type, its state,
when it was made and how old it is (a Developer deployment: how long until Azure deletes it), and the actions
Chat (the playground, beside nothing else), Probe (one tiny chat: is it ready?), Sign in… and Delete….

Everything that speaks to Azure runs in a worker (``ui.tasks.Task``) with its progress in the page's note; the
ages are recounted every minute from what was listed, without asking Azure again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
                               QTableWidgetItem, QWidget)

from backend import deployments
from ui.context import AppContext
from ui.tasks import Task
from ui.widgets.header import PageHeader, page_layout
from ui.widgets.note import Note
from ui.widgets.plain import confirm, plain_tooltip

COLUMNS = ["Account", "Name", "Model", "Type", "State", "Created", "Age"]


def age_text(created: datetime | None, expires: datetime | None, now: datetime | None = None) -> str:
    """"3 h 05 min", and for a Developer deployment the countdown to Azure's deletion."""
    if created is None:
        return ""
    now = now or datetime.now(UTC)
    minutes = max(0, int((now - created).total_seconds() // 60))
    age = f"{minutes // 60} h {minutes % 60:02d} min"
    left = deployments.time_left(expires, now)
    return f"{age}; {left}" if left else age


class _Prompts(QObject):
    """Carries a sign-in's instructions (a device code) from the worker to the page."""

    said = Signal(str)


class DeploymentsPage(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.rows: list[tuple] = []  # (account, DeploymentView) per table row
        self.unlisted: list = []  # accounts whose deployments could not be listed (a sign-in refused, say)
        self.task: Task | None = None
        self.outcome = ""  # what the last action did, kept in the note past the listing that follows it
        self._shown_before = False
        self.confirm = lambda title, text: confirm(self, title, text)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        header = PageHeader("Deployments", "Fine-tuned models your Azure OpenAI accounts host for chat. Each costs "
                            "by the hour until it is deleted; a Developer deployment is free and Azure deletes it "
                            "after 24 hours.", [self.refresh_button])
        layout = page_layout(self, header)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # Name and Model share what the short columns leave, elided in the middle (the tooltip has all of it):
        # a 64-character name or a long fine-tuned model id must not push State and Age off the page.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in (COLUMNS.index("Name"), COLUMNS.index("Model")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        self.note = Note()
        layout.addWidget(self.note)
        row = QHBoxLayout()
        self.buttons = {}
        for key, text, slot in [("chat", "Chat", self.chat), ("probe", "Probe", self.probe),
                                ("sign_in", "Sign in to Azure…", self.sign_in), ("delete", "Delete…", self.delete),
                                ("stop", "Stop waiting", self.stop)]:
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        layout.addLayout(row)
        self.prompts = _Prompts(self)
        self.prompts.said.connect(self._prompted)
        self.clock = QTimer(self, interval=60_000)
        self.clock.timeout.connect(self._recount)
        self.clock.start()
        context.accounts_changed.connect(self.refresh)
        self._selection_changed()
        self.refresh()

    # -- listing ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.task is not None and self.task.running:
            return
        self.note.setText("Asking Azure for the deployments…")
        self._run(Task(deployments.list_all, prompt=self.prompts.said.emit, name="list deployments"),
                  self._show_all)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """List again each time the page is shown: a deployment made from the Jobs page (or deleted by Azure after
        its 24 hours) must not wait for a click on Refresh. The first showing follows the constructor's listing."""
        super().showEvent(event)
        if self._shown_before:
            self.refresh()
        self._shown_before = True

    def _show_all(self, found: list) -> None:
        problems = [f"{entry.account.name}: {entry.problem}" for entry in found if entry.problem]
        self.rows = [(entry.account, view) for entry in found for view in entry.views]
        self.unlisted = [entry.account for entry in found if entry.problem]
        self.table.setRowCount(len(self.rows))
        for number, (account, view) in enumerate(self.rows):
            info = view.info
            created = info.created.astimezone().strftime("%Y-%m-%d %H:%M") if info.created else ""
            texts = [account.name, info.name, info.model, info.type_label, view.status, created,
                     age_text(info.created, info.expires)]
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tooltip(view.problem if column == 4 and view.problem else text))
                self.table.setItem(number, column, item)
        if not found:
            self.note.setText("No Azure OpenAI account is saved: add one on the Accounts page to deploy its "
                              "fine-tuned models.")
        else:
            count = len(self.rows)
            self.note.setText(" ".join([*filter(None, [self.outcome]), f"{count} deployment{'s' * (count != 1)}.",
                                        *problems]))
        self.outcome = ""
        self._selection_changed()

    def _recount(self) -> None:
        for number, (_account, view) in enumerate(self.rows):
            item = self.table.item(number, 6)
            if item is not None:
                item.setText(age_text(view.info.created, view.info.expires))

    # -- actions ------------------------------------------------------------------------------------
    def selected(self) -> tuple | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        busy = self.task is not None and self.task.running
        ready = chosen is not None and chosen[1].ready
        self.buttons["chat"].setEnabled(bool(ready))
        for key in ("probe", "delete"):
            self.buttons[key].setEnabled(chosen is not None and not busy)
        self.buttons["sign_in"].setEnabled(not busy and (chosen is not None or bool(self.unlisted)))
        self.buttons["stop"].setVisible(busy)
        self.refresh_button.setEnabled(not busy)

    def chat(self) -> None:
        chosen = self.selected()
        if chosen is None or not chosen[1].ready:
            return
        account, view = chosen
        self.context.open_in_playground.emit([deployments.chat_ref(account, view.info.name, view.info.model)])

    def probe(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        account, view = chosen
        self.note.setText(f"Probing “{view.info.name}” with one tiny chat…")
        self._run(Task(deployments.probe, account, view.info.name, prompt=self.prompts.said.emit,
                       name="probe deployment"),
                  lambda ready: self._after(f"“{view.info.name}” is ready." if ready else
                                            f"“{view.info.name}” does not answer yet; probe again later or "
                                            "delete it."))

    def delete(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        account, view = chosen
        if not self.confirm("Delete the deployment?", f"Delete “{view.info.name}” on “{account.name}”? Its hosting "
                            "charges stop. The fine-tuned model stays and can be deployed again."):
            return
        self.note.setText(f"Deleting “{view.info.name}”…")
        self._run(Task(deployments.delete, account, view.info.name, prompt=self.prompts.said.emit,
                       name="delete deployment"),
                  lambda _r: self._after(f"Deleted “{view.info.name}”: its hosting charges stop."))

    def sign_in(self) -> None:
        """Sign in for the chosen deployment's account, or with none chosen for the first account that could not
        be listed: after a refused sign-in there is no row to choose."""
        chosen = self.selected()
        account = chosen[0] if chosen is not None else (self.unlisted[0] if self.unlisted else None)
        if account is None:
            return
        self.note.setText(f"Signing in to Azure for “{account.name}”…")
        self._run(Task(deployments.sign_in, account, prompt=self.prompts.said.emit, name="sign in to Azure"),
                  lambda account: self._after(f"Signed in to Azure as {account.azure_identity}."))

    def stop(self) -> None:
        """Stop waiting now. The worker is told to stop and the page lets go of it at once: a sign-in that waits
        for a device code or a browser cannot be interrupted, and its late outcome is not shown."""
        if self.task is None or not self.task.running:
            return
        self.task.cancel()
        self.task, self.outcome = None, ""
        self.note.setText("Stopped waiting; Azure carries on with anything it was already asked to do. Refresh to "
                          "see where it stands.")
        self._selection_changed()

    def _after(self, sentence: str) -> None:
        """Say what the action did, then list again (the listing's own sentence follows this one)."""
        self.task = None
        self.refresh()
        self.outcome = sentence
        self.note.setText(sentence)

    def _run(self, task: Task, done) -> None:
        self.task = task

        def while_current(slot):  # a task the user stopped waiting for says nothing more
            return lambda *args: slot(*args) if self.task is task else None

        task.on_success(while_current(done)).on_error_message(while_current(self._failed)).on_progress(
            while_current(lambda p: self.note.setText(p.message)))
        task.on_finished(while_current(self._selection_changed))
        task.start()
        self._selection_changed()

    def _prompted(self, text: str) -> None:
        if self.task is not None and self.task.running:  # not a sign-in the user stopped waiting for
            self.note.setText(text)

    def _failed(self, sentence: str) -> None:
        self.note.setText(" ".join(filter(None, [self.outcome, sentence])))
        self.outcome = ""
