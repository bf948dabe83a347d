"""The playground page: a system prompt and parameters shared by two to four panes that each stream
one model's replies to the same prompt, so a base model and its fine-tune can be compared side by side."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout,
                               QWidget)

from backend import chat
from backend.chat_catalog import AccountModels, Catalog, build_catalog
from backend.errors import StudioError
from ui.context import AppContext
from ui.playground.params import ParamsBar
from ui.playground.pane import ChatPane
from ui.playground.stream import chat_pool
from ui.tasks import Task
from ui.widgets.header import PageHeader, page_layout
from ui.widgets.note import Note

MAX_PANES = 4


class PlaygroundPage(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        #: How a pane reaches a model's provider; tests point it at fake servers.
        self.open_provider = chat.provider_for
        self._providers: dict[tuple, object] = {}  # one client per account, reused by every reply
        self._providers_lock = threading.Lock()
        self.warm_tasks: list[Task] = []
        self.conversation = chat.Conversation()
        self.catalog = Catalog()
        self.panes: list[ChatPane] = []
        self._catalog_task: Task | None = None
        self._catalog_again = False  # something changed while the catalog was being built: build once more
        #: The providers' model lists, remembered: a job's update rebuilds the catalog without the network.
        self.sources = AccountModels()
        self.retry_timer = QTimer(self, singleShot=True)  # asks an account that failed again, after its delay
        self.retry_timer.timeout.connect(self.load_catalog)

        self.new_button = QPushButton("New")
        self.open_button = QPushButton("Open…")
        self.save_button = QPushButton("Save…")
        self.add_pane_button = QPushButton("Add pane")
        self.remove_pane_button = QPushButton("Remove pane")
        self.refresh_button = QPushButton("Refresh models")
        actions = ((self.new_button, self.new_conversation), (self.open_button, self._open_clicked),
                   (self.save_button, self._save_clicked), (self.add_pane_button, self.add_pane),
                   (self.remove_pane_button, self.remove_pane), (self.refresh_button, self.refresh_models))
        for button, slot in actions:
            button.clicked.connect(slot)
        self.header = PageHeader("Playground", "Ask several models the same thing side by side: a base model and "
                                 "its fine-tune, say.", [button for button, _ in actions])

        self.system = QPlainTextEdit()
        self.system.setPlaceholderText("System prompt (optional)")
        self.system.setAccessibleName("System prompt")
        self.system.setFixedHeight(52)
        self.params = ParamsBar()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Ask something (Ctrl+Enter sends to every pane)")
        self.prompt.setAccessibleName("Prompt")
        self.prompt.setFixedHeight(64)
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop all")
        self.stop_button.clicked.connect(self.stop_all)
        QShortcut(QKeySequence("Ctrl+Return"), self.prompt, activated=self.send)
        ask = QHBoxLayout()
        ask.addWidget(self.prompt, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        ask.addLayout(buttons)
        self.message = Note()

        layout = page_layout(self, self.header)
        layout.addWidget(self.system)
        layout.addWidget(self.params)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(ask)
        layout.addWidget(self.message)

        for _ in range(2):
            self.add_pane()
        context.serve("playground", self)  # open_in_playground requests: compare
        context.job_changed.connect(lambda _id: self.load_catalog())  # from the job store only: no network
        context.accounts_changed.connect(self.forget_providers)
        context.accounts_changed.connect(self.refresh_models)
        self.load_catalog()

    # -- panes -------------------------------------------------------------------------------------
    def settings(self) -> tuple[str, object]:
        return self.system.toPlainText(), self.params.params()

    def provider(self, ref: chat.ModelRef):
        """The provider for ``ref``, opened once per account (called on worker threads)."""
        key = (ref.provider, ref.account_id, self.open_provider)
        with self._providers_lock:
            if key not in self._providers:
                self._providers[key] = self.open_provider(ref)
            return self._providers[key]

    def warm_up(self, ref: chat.ModelRef) -> None:
        """Opens the model's provider in the background when a pane picks it, so the SDK's imports and
        connection setup do not compete with the first streamed replies."""
        if ref.model:
            task = Task(lambda: chat.warm_up(self.provider(ref)), name="warm up chat provider")
            self.warm_tasks = [t for t in self.warm_tasks if t.running] + [task]
            task.on_failure(lambda exc: None)  # the reply itself will report a broken account
            task.start(chat_pool())

    def forget_providers(self) -> None:
        with self._providers_lock:
            self._providers.clear()

    def add_pane(self) -> ChatPane | None:
        if len(self.panes) >= MAX_PANES:
            return None
        pane = ChatPane(self.settings, self.provider)
        pane.picker.setAccessibleName(f"Model for pane {len(self.panes) + 1}")
        pane.set_catalog(self.catalog)
        pane.busy_changed.connect(self._busy_changed)
        pane.model_changed.connect(self.warm_up)
        pane.add_to_dataset.connect(self.add_to_dataset)
        self.panes.append(pane)
        self.splitter.addWidget(pane)
        self.conversation.panes.append(pane.state)
        self._busy_changed()
        return pane

    def remove_pane(self) -> None:
        if len(self.panes) <= 1:
            return
        pane = self.panes.pop()
        pane.detach()
        self.conversation.panes.remove(pane.state)
        pane.setParent(None)
        pane.deleteLater()
        self._busy_changed()

    def set_pane_count(self, count: int) -> None:
        while len(self.panes) < count:
            self.add_pane()
        while len(self.panes) > count:
            self.remove_pane()

    def _busy_changed(self, *_args) -> None:
        busy = any(p.busy for p in self.panes)
        for widget in (self.new_button, self.open_button, self.remove_pane_button):
            widget.setEnabled(not busy)
        self.add_pane_button.setEnabled(not busy and len(self.panes) < MAX_PANES)
        self.remove_pane_button.setEnabled(not busy and len(self.panes) > 1)

    def compare(self, refs: list) -> None:
        """Sets up a comparison of these models (dicts or ModelRefs), one pane each, in a new conversation."""
        models = [r if isinstance(r, chat.ModelRef) else chat.ModelRef.model_validate(r) for r in refs][:MAX_PANES]
        if not models:
            return
        self.new_conversation()
        self.set_pane_count(max(1, len(models)))
        for pane, ref in zip(self.panes, models):
            pane.set_model(ref)
        self.context.navigate.emit("playground")

    # -- asking ------------------------------------------------------------------------------------
    def send(self) -> None:
        text = self.prompt.toPlainText().strip()
        if not text:
            return
        ready = [p for p in self.panes if p.state.model.model and not p.busy]
        if not ready:
            self.show_message("Choose a model in a pane first (or wait for its reply to finish).")
            return
        self.prompt.clear()
        self.show_message("")
        self._send_each(ready, text)

    def _send_each(self, panes: list[ChatPane], text: str, asked: tuple[ChatPane, ...] = ()) -> None:
        """Builds one pane's new turns per pass of the event loop, then starts every reply at once: the
        GUI thread never builds four panes in one go, nor competes with streams while it builds."""
        if panes:
            panes[0].send(text, start=False)
            QTimer.singleShot(0, lambda: self._send_each(panes[1:], text, (*asked, panes[0])))
            return
        for pane in asked:
            if pane.stream is not None and pane.busy:
                pane.stream.start()

    def stop_all(self) -> None:
        for pane in self.panes:
            pane.stop()

    def show_message(self, text: str, role: str | None = None) -> None:
        """The page's message line; ``role`` colours it ("warning", "error")."""
        if self.message.property("role") != (role or ""):
            self.message.setProperty("role", role or "")
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.message.setText(text)

    # -- catalog -----------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """Ask every account for its models again (the user's Refresh, or the accounts changed)."""
        self.load_catalog(force=True)

    def load_catalog(self, force: bool = False) -> None:
        """Rebuild the catalog on a worker: jobs and this computer's models afresh, the accounts' models as
        remembered (``force``: asked again). A request while a build runs is served by one more build."""
        if self._catalog_task is not None and self._catalog_task.running:
            self._catalog_again = True
            if force:
                self.sources.forget()  # the next build asks every account
            return
        self._catalog_again = False
        if force:
            self.sources.forget()
        self.refresh_button.setEnabled(False)
        self._catalog_task = (Task(build_catalog, self.context.store, sources=self.sources, name="chat catalog")
                              .on_success(self._catalog_loaded)
                              .on_error_message(self.show_message)
                              .on_finished(self._catalog_finished)
                              .start())

    def _catalog_finished(self) -> None:
        self.refresh_button.setEnabled(True)
        if self._catalog_again:
            self.load_catalog()
            return
        retry = self.sources.next_retry_in()
        if retry is not None:
            self.retry_timer.start(int(retry * 1000) + 500)  # just after the delay: the account is due then

    def _catalog_loaded(self, catalog: Catalog) -> None:
        same = [(r.key, r.title) for r in catalog.models] == [(r.key, r.title) for r in self.catalog.models]
        if not same:  # a job's progress that changes no model leaves the pickers (and an open list) alone
            self.catalog = catalog
            for pane in self.panes:
                pane.set_catalog(catalog)
        if catalog.problems != self.catalog.problems or not same:
            self.catalog = catalog
            self.show_message("Some models could not be listed: " + " ".join(catalog.problems)
                              if catalog.problems else "", "warning" if catalog.problems else None)

    # -- files -------------------------------------------------------------------------------------
    def new_conversation(self) -> None:
        self.stop_all()
        models = [p.state.model for p in self.panes]
        self.conversation = chat.Conversation(params=self.params.params())
        for pane, model in zip(self.panes, models):
            pane.load(chat.Pane(model=model))
            self.conversation.panes.append(pane.state)

    def save_to(self, path: Path | str | None = None) -> Path:
        self.conversation.system_prompt, self.conversation.params = self.settings()
        self.conversation.panes = [p.state for p in self.panes]
        if not self.conversation.title:
            first = next((t.content for p in self.panes for t in p.state.turns if t.role == "user"), "")
            self.conversation.title = first[:60]
        return chat.save_conversation(self.conversation, path)

    def open_from(self, path: Path | str) -> None:
        conversation = chat.open_conversation(path)
        self.stop_all()
        panes = conversation.panes or [chat.Pane(model=p.state.model) for p in self.panes[:1]]
        self.set_pane_count(len(panes))  # before the swap: a pane removed here belongs to the old conversation
        self.conversation = conversation
        self.system.setPlainText(conversation.system_prompt)
        self.params.set_params(conversation.params)
        for pane, state in zip(self.panes, panes):
            pane.load(state)
        self.conversation.panes = [p.state for p in self.panes]

    def _save_clicked(self) -> None:
        start = str(chat.conversations_dir() / f"{self.conversation.id}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save conversation", start, "Conversations (*.json)")
        if path:
            self._guard(lambda: self.show_message(f"Saved to {self.save_to(path)}."))

    def _open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open conversation", str(chat.conversations_dir()),
                                              "Conversations (*.json)")
        if path:
            self._guard(lambda: self.open_from(path))

    def choose_dataset_file(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Add the exchange to a chat JSONL file", "",
                                              "Chat JSONL (*.jsonl)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        return path

    def add_to_dataset(self, messages: list) -> None:
        path = self.choose_dataset_file()
        if path:
            self._guard(lambda: (chat.add_to_dataset(path, messages),
                                 self.show_message(f"Added the exchange to {path}.")))

    def _guard(self, action) -> None:
        """Runs a quick file action; its error becomes the page's message, never a traceback."""
        try:
            action()
        except StudioError as exc:
            self.show_message(str(exc))
