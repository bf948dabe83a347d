"""One side of a comparison: a model picker and that model's conversation, streamed turn by turn."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFrame, QHBoxLayout, QMenu, QScrollArea, QStackedWidget,
                               QStyledItemDelegate, QToolButton, QVBoxLayout, QWidget)

from backend import chat, providers
from backend.chat_catalog import Catalog, group_title
from backend.models import ChatMessage, ChatParams, ProviderKind
from ui.playground.stream import ReplyStream
from ui.playground.turn import TurnView, message_label
from ui.widgets.plain import plain_label, plain_tooltip

REF_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY_HINT = ("Pick a model above, then type below.\n"
              "Add an account or train a local model to see more models here.")
READY_HINT = "Ask {model} something below (Ctrl+Enter sends to every pane)."
INDENT = 14  # pixels: a model under its "provider · account" heading in the picker's list


def model_text(ref: chat.ModelRef) -> str:
    """A model's name as the picker shows it: its title without stray whitespace (a provider's label may
    carry some), never padded to look indented; the list indents with its delegate instead."""
    return " ".join(ref.title.split())


class _Indented(QStyledItemDelegate):
    """Draws models a little to the right of their heading, so the text itself carries no leading spaces
    (which the closed picker would show)."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt's name
        super().initStyleOption(option, index)
        if isinstance(index.data(Qt.ItemDataRole.UserRole), chat.ModelRef):
            option.rect.adjust(INDENT, 0, 0, 0)


class ChatPane(QWidget):
    """Holds a ``chat.Pane`` (model and turns) and renders it; ``settings()`` gives the shared
    system prompt and parameters at the moment a reply starts."""

    busy_changed = Signal(bool)
    model_changed = Signal(object)  # the ModelRef the user (or a comparison) chose
    add_to_dataset = Signal(list)  # the messages of the exchange, ending with the reply

    def __init__(self, settings: Callable[[], tuple[str, ChatParams]], open_provider: Callable,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.settings, self.open_provider = settings, open_provider
        self.state = chat.Pane(model=chat.ModelRef(provider=None, model=""))  # no model yet
        self.stream: ReplyStream | None = None
        self.views: list[TurnView] = []

        self.picker = QComboBox()
        self.picker.setAccessibleName("Model")
        self.picker.setPlaceholderText("Choose a model…")
        self.picker.setMinimumContentsLength(10)
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.setItemDelegate(_Indented(self.picker))
        self.picker.activated.connect(self._picked)
        # Models outside the catalog, behind one compact button so four panes fit side by side.
        self.more_button = QToolButton(text="Other…", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setToolTip("Chat with a model that is not in the list")
        self.more_button.setAccessibleName("Other model")
        # The ellipsis already says a menu follows; Fusion's arrow in the corner would crowd the text.
        self.more_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        menu = QMenu(self.more_button)
        if providers.local_runner() is not None:
            menu.addAction("Model or adapter folder on this computer…", self._choose_folder)
        for kind in providers.kinds():  # providers whose models are named by an id the user types
            prompt = providers.provider_class(kind).model_id_prompt
            if prompt:
                menu.addAction(f"{prompt.rstrip('…')} ({providers.label(kind)})…",
                               lambda kind=kind: self._choose_model_id(kind))
        self.more_button.setMenu(menu)
        self.stop_button = QToolButton(text="Stop")
        self.stop_button.setToolTip("Stop this reply")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        header = QHBoxLayout()
        header.addWidget(self.picker, 1)
        header.addWidget(self.more_button)
        header.addWidget(self.stop_button)

        self.turns_box = QWidget()
        self.turns_layout = QVBoxLayout(self.turns_box)
        self.turns_layout.setContentsMargins(4, 4, 4, 4)
        self.turns_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)  # the frame is the content stack's, around both
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # text wraps instead
        self.scroll.setWidget(self.turns_box)
        # Follow the conversation's end while the user is there: when a turn grows, or a finished reply
        # shows its figures and actions, the view moves with it (before, it stayed put and cut them off);
        # a user who scrolled up to read stays where they are.
        self.following = True
        bar = self.scroll.verticalScrollBar()
        bar.rangeChanged.connect(lambda _low, high: bar.setValue(high) if self.following else None)
        bar.valueChanged.connect(lambda value: setattr(self, "following", value >= bar.maximum() - 40))
        self.hint = plain_label(EMPTY_HINT, wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.hint.setProperty("role", "subtitle")
        self.hint.setMargin(10)
        self.content = QStackedWidget()  # the hint while the pane has no turns, else the turns
        self.content.setFrameShape(QFrame.Shape.StyledPanel)
        self.content.addWidget(self.hint)
        self.content.addWidget(self.scroll)
        self.status = message_label()
        self.status.setProperty("role", "subtitle")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.content, 1)
        layout.addWidget(self.status)

    # -- model -------------------------------------------------------------------------------------
    def set_catalog(self, catalog: Catalog) -> None:
        current = self.state.model
        self.picker.clear()
        model = self.picker.model()
        for title, refs in catalog.groups().items():
            self.picker.addItem(title)
            model.item(self.picker.count() - 1).setEnabled(False)  # a heading
            for ref in refs:
                self.picker.addItem(model_text(ref), ref)
                self.picker.setItemData(self.picker.count() - 1, plain_tooltip(model_text(ref)),
                                        Qt.ItemDataRole.ToolTipRole)
        self._show_model(current)

    def set_model(self, ref: chat.ModelRef) -> None:
        self.state.model = ref
        self._show_model(ref)
        self.model_changed.emit(ref)

    def _show_model(self, ref: chat.ModelRef) -> None:
        self._show_picked(ref)
        # The hint speaks of the model now picked, not of picking one.
        self.hint.setText(READY_HINT.format(model=model_text(ref)) if ref.model else EMPTY_HINT)
        self.picker.setToolTip(plain_tooltip(self.picker.currentText() if ref.model else None))

    def _show_picked(self, ref: chat.ModelRef) -> None:
        if not ref.model:
            self.picker.setCurrentIndex(-1)
            return
        for i in range(self.picker.count()):
            item = self.picker.itemData(i)
            if isinstance(item, chat.ModelRef) and item.key == ref.key:
                self.picker.setCurrentIndex(i)
                return
        self.picker.addItem(f"{model_text(ref)} ({group_title(ref)})", ref)
        self.picker.setCurrentIndex(self.picker.count() - 1)

    def _picked(self, index: int) -> None:
        ref = self.picker.itemData(index)
        if isinstance(ref, chat.ModelRef):
            self.set_model(ref)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model or adapter folder")
        if folder:
            from pathlib import Path

            from backend.chat_catalog import local_refs

            ref = local_refs(Path(folder), Path(folder).name, "local")
            if ref is not None:
                self.set_model(ref)

    def _choose_model_id(self, kind: ProviderKind) -> None:
        """Asks for a model id that ``kind`` serves (its class's ``model_id_prompt``), used with the first saved
        account of the kind that class needs."""
        from PySide6.QtWidgets import QInputDialog

        from backend.chat_catalog import model_id_ref

        title = (providers.provider_class(kind).model_id_prompt or "Model").rstrip("…")
        name, ok = QInputDialog.getText(self, title, f"Model id ({providers.label(kind)}):")
        if ok and name.strip():
            self.set_model(model_id_ref(kind, name.strip()))

    # -- conversation ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.stream is not None and self.stream.running

    def load(self, pane: chat.Pane) -> None:
        """Show a saved pane (its turns as they were)."""
        self.detach()
        self.state = pane
        self._show_model(pane.model)
        self._rebuild()

    def _rebuild(self) -> None:
        for view in self.views:
            view.deleteLater()
        self.views = []
        for turn in self.state.turns:
            view = self._add_view(turn.role, turn.content)
            view.show_stats(turn.stats.summary() if turn.stats else "")
            view.show_error(turn.error)
        self._show_hint()

    def _show_hint(self) -> None:
        self.content.setCurrentWidget(self.scroll if self.views else self.hint)

    def _add_view(self, role: str, text: str) -> TurnView:
        view = TurnView(len(self.views), role, text)
        view.edited.connect(self._edited)
        view.regenerate.connect(self.regenerate)
        view.add_to_dataset.connect(lambda i: self.add_to_dataset.emit(self.messages(i + 1)))
        self.turns_layout.insertWidget(self.turns_layout.count() - 1, view)
        self.views.append(view)
        self._show_hint()
        return view

    def messages(self, upto: int | None = None) -> list[ChatMessage]:
        system, _ = self.settings()
        conversation = chat.Conversation(system_prompt=system, panes=[self.state])
        return chat.messages_for(conversation, 0, upto)

    def send(self, prompt: str, *, start: bool = True) -> None:
        """Asks ``prompt``; with ``start=False`` the reply waits for ``self.stream.start()`` (the page
        starts several panes' replies together once all their turns are built)."""
        if self.busy or not self.state.model.model:
            return
        self.state.turns.append(chat.Turn(role="user", content=prompt))
        self.following = True  # a new question brings the view to the end
        self._add_view("user", prompt)
        self._reply(start)

    def regenerate(self, index: int) -> None:
        """Replaces the reply at ``index`` (and drops what came after it)."""
        if self.busy:
            return
        del self.state.turns[index:]
        for view in self.views[index:]:
            view.deleteLater()
        del self.views[index:]
        self._reply()

    def _edited(self, index: int, text: str) -> None:
        self.state.turns[index].content = text
        if self.state.turns[index].role == "user":  # a changed question deserves a new answer
            self.regenerate(index + 1)

    def _reply(self, start: bool = True) -> None:
        _, params = self.settings()
        messages = self.messages()
        self.state.turns.append(chat.Turn(role="assistant", content=""))
        view = self._add_view("assistant", "")
        view.set_busy(True)
        view.show_stats("Waiting for the first token…")
        stream = self.stream = ReplyStream(self.state.model, messages, params, self.open_provider)
        # A reply that was left behind (the pane was cleared or reopened meanwhile) writes nowhere.
        stream.text.connect(lambda piece: self._grow(view, piece) if stream is self.stream else None)
        stream.status.connect(lambda text: self.status.setText(text) if stream is self.stream else None)
        stream.finished.connect(lambda stats: self._finished(view, stats, None) if stream is self.stream else None)
        stream.failed.connect(lambda message: self._finished(view, None, message) if stream is self.stream else None)
        self.status.setText("")
        self.stop_button.setEnabled(True)
        self.busy_changed.emit(True)
        if start:  # on the next pass of the event loop, after this pass has laid out the new turns
            QTimer.singleShot(0, self.stream.start)

    def _grow(self, view: TurnView, piece: str) -> None:
        if not view.text:
            view.show_stats("Streaming…")
        view.append(piece)  # the scroll bar's range grows and, if the user is at the end, the view follows

    def _finished(self, view: TurnView, stats: chat.ReplyStats | None, error: str | None) -> None:
        turn = self.state.turns[view.index]
        if error and view.text:
            error = f"The reply broke off: {error}"
        turn.content, turn.stats, turn.error = view.text, stats, error
        view.show_stats(stats.summary() if stats else "")
        view.show_error(error)
        view.set_busy(False)
        self.status.setText("")
        self.stop_button.setEnabled(False)
        self.busy_changed.emit(False)

    def detach(self) -> None:
        """Stops the running reply and forgets it: it ends in the background and writes nowhere."""
        self.stop()
        if self.stream is not None and self.stream.running:
            self.stream = None
            self.stop_button.setEnabled(False)
            self.status.setText("")
            self.busy_changed.emit(False)

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
