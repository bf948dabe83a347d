"""The Accounts page: saved accounts by provider; add, edit, test and remove them; import credentials
from the environment; and, when the system keyring does not work, the choice of a session-only mode.

The page renders and forwards: the keyring probe, saving, removing and connection tests run on
workers (``ui.tasks``); every change is announced with ``context.accounts_changed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QWidget,
)

from backend import accounts, credentials, paths
from backend.connection import ConnectionResult, test_account
from backend.errors import InvalidInput
from backend.kinds import AccountKind
from ui.context import AppContext
from ui.settings.account_dialog import AccountDialog, say
from ui.tasks import Task
from ui.theme import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR
from ui.widgets.header import PageHeader, page_layout
from ui.widgets.plain import confirm, plain_label, plain_tooltip

if TYPE_CHECKING:
    from backend.models import Account

ACCOUNT_ROLE = Qt.ItemDataRole.UserRole
KEY_MISSING = "Key missing — add it again"


def _label(text: str = "", role: str | None = None) -> QLabel:
    label = plain_label(text, wordWrap=True)
    if role:
        label.setProperty("role", role)
    return label


class Banner(QFrame):
    """A framed line of text with buttons, for something the user should decide."""

    def __init__(self, role: str, name: str):
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(name)
        self.text = _label(role=role)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(12, 8, 12, 8)
        self.row.addWidget(self.text, 1)
        self.hide()

    def add_button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(plain_tooltip(tip))
        button.clicked.connect(slot)
        self.row.addWidget(button)
        return button


class AccountsPage(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.results: dict[str, ConnectionResult] = {}  # last test per account id
        self.missing: set[str] = set()  # accounts whose key cannot be read (kept for a past session only)
        self.candidates: list[accounts.EnvCandidate] = []
        self.tasks: list[Task] = []
        self.dialog: AccountDialog | None = None

        self.header = PageHeader("Accounts", "The accounts that train, host and chat with your models, and their keys.")
        self.storage = _label(role="subtitle")  # where keys and settings are kept: a detail, below the list
        self.storage.setAccessibleName("Where keys are kept")
        self._describe_storage(None)
        self.keyring_banner = Banner("warning", "Keyring problem")
        self.session_button = self.keyring_banner.add_button(
            "Keep keys for this session only", "Keys stay in memory until the app closes; nothing is written to disk",
            self.use_session_only)
        self.keyring_banner.add_button("Check again", "Ask the system keyring again", lambda: self.probe(refresh=True))
        self.env_banner = Banner("subtitle", "Credentials in the environment")
        self.env_banner.add_button("Import", "Save these credentials as accounts (keys go to the keyring)",
                                   self.import_environment)
        self.env_banner.add_button("Not now", "Hide this offer", self.env_banner.hide)
        self.problem = _label(role="error")
        self.problem.setAccessibleName("Problem")
        self.problem.hide()

        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Accounts")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Account", "Address", "Last test"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 220)
        header.resizeSection(1, 300)
        header.setStretchLastSection(True)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemActivated.connect(lambda item, _column: self.edit_selected() if self.selected() else None)

        self.add_button = self._button("&Add account…", "Add an account for OpenAI, Azure OpenAI or Hugging Face",
                                       QKeySequence.StandardKey.New, self.add_account)
        self.edit_button = self._button("&Edit…", "Change the selected account's settings or key (Enter)",
                                        None, self.edit_selected)
        self.test_button = self._button("&Test connection", "Call the provider once with the selected account",
                                        QKeySequence("Ctrl+T"), self.test_selected)
        self.remove_button = self._button("&Remove…", "Forget the selected account and its key (Delete)",
                                          QKeySequence.StandardKey.Delete, self.remove_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = _label()
        self.status.setAccessibleName("Test result")

        layout = page_layout(self, self.header)
        layout.addWidget(self.keyring_banner)
        layout.addWidget(self.env_banner)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.storage)
        layout.addWidget(self.status)
        self._layout = layout
        self.autotrain_box = None  # AutoTrain's own environment: added once the page was first drawn (not in the
        # first page's time: the box starts a check that imports the environment code)
        self.reload()
        self.probe()

    def _button(self, text: str, tip: str, shortcut, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(plain_tooltip(tip))
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())  # not slot(checked)
        if shortcut is not None:
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda: button.isEnabled() and slot())
            self.addAction(action)
        return button

    def _run(self, task: Task) -> Task:
        self.tasks.append(task)
        task.on_finished(lambda: self.tasks.remove(task) if task in self.tasks else None)
        return task.start()

    # -- the list ---------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.autotrain_box is None:
            QTimer.singleShot(0, self._add_autotrain_box)

    def _add_autotrain_box(self) -> None:
        if self.autotrain_box is None:
            from ui.settings.autotrain_env import AutoTrainEnvBox  # state, install, repair, remove

            self.autotrain_box = AutoTrainEnvBox(self)
            self._layout.addWidget(self.autotrain_box)

    def reload(self) -> None:
        """Read the settings file again; a damaged one is explained above an empty list."""
        wanted = self.selected().id if self.selected() else None
        self.tree.clear()
        try:
            saved = accounts.list_accounts()
        except InvalidInput as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            saved = []
        else:
            self.problem.hide()
        for kind in AccountKind:
            mine = [a for a in saved if a.kind is kind]
            group = QTreeWidgetItem([accounts.KIND_LABELS[kind], "", ""])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            if not mine:
                hint = QTreeWidgetItem(["No account yet", "", ""])
                hint.setFlags(Qt.ItemFlag.NoItemFlags)
                group.addChild(hint)
            for account in mine:
                item = QTreeWidgetItem([account.name, account.endpoint or account.base_url or "", ""])
                item.setData(0, ACCOUNT_ROLE, account)
                signed = (f"; signed in to Azure as {account.azure_identity}"
                          f" ({accounts.AZURE_SIGN_IN.get(account.azure_sign_in or 'cli', '')})"
                          if account.azure_identity else "")
                item.setToolTip(0, plain_tooltip(f"{accounts.KIND_LABELS[kind]} account “{account.name}”{signed}"))
                self._show_result(item)
                group.addChild(item)
                if account.id == wanted:
                    self.tree.setCurrentItem(item)
        self.tree.expandAll()
        self._selection_changed()

    def items(self) -> list[QTreeWidgetItem]:
        found = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            found += [group.child(i) for i in range(group.childCount()) if group.child(i).data(0, ACCOUNT_ROLE)]
        return found

    def item_for(self, account_id: str) -> QTreeWidgetItem | None:
        return next((i for i in self.items() if i.data(0, ACCOUNT_ROLE).id == account_id), None)

    def selected(self) -> Account | None:
        item = self.tree.currentItem()
        return item.data(0, ACCOUNT_ROLE) if item is not None and item.isSelected() else None

    def select(self, account_id: str) -> None:
        item = self.item_for(account_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        for button in (self.edit_button, self.test_button, self.remove_button):
            button.setEnabled(chosen)

    def _show_result(self, item: QTreeWidgetItem) -> None:
        account = item.data(0, ACCOUNT_ROLE)
        result = self.results.get(account.id)
        if account.id in self.missing:  # it cannot work until the key is back: say so before any test
            item.setText(2, KEY_MISSING)
            item.setForeground(2, QColor(WARNING_COLOUR))
            item.setToolTip(2, plain_tooltip(f"The {accounts.SECRET_LABELS[account.kind]} of “{account.name}” is "
                                             "not saved here (it was kept for a past session only, or removed "
                                             "from the keyring). Choose Edit… and enter it again."))
            return
        item.setText(2, "" if result is None else "Connected" if result.ok else "Failed")
        if result is not None:
            item.setForeground(2, QColor(OK_COLOUR if result.ok else ERROR_COLOUR))
        # the provider's own words
        item.setToolTip(2, plain_tooltip(result.message if result else "Not tested in this session"))

    def check_keys(self) -> Task | None:
        """Find the accounts whose key cannot be read, on a worker (the keyring may take a moment); only once
        keys are readable at all (a working keyring, or session-only): otherwise the banner explains."""
        status = credentials.known_status()
        if not credentials.session_only() and (status is None or not status.ok):
            return None
        task = Task(accounts.missing_keys, name="accounts without a key")
        task.on_success(self._keys_checked).on_error_message(lambda text: self._say(text, "error"))
        return self._run(task)

    def _keys_checked(self, missing: set[str]) -> None:
        self.missing = missing
        for item in self.items():
            self._show_result(item)

    def _changed(self, account_id: str | None = None) -> None:
        self.reload()
        if account_id:
            self.select(account_id)
        self.check_keys()
        self.context.accounts_changed.emit()

    # -- actions ----------------------------------------------------------------------------------------
    def add_account(self, kind: AccountKind | None = None) -> AccountDialog:
        """The Add dialog, for the selected account's provider unless ``kind`` says otherwise."""
        selected = self.selected()
        kind = kind or (selected.kind if selected else AccountKind.OPENAI)
        return self._open_dialog(AccountDialog(None, kind, self))

    def edit_selected(self) -> AccountDialog | None:
        account = self.selected()
        return self._open_dialog(AccountDialog(account, parent=self)) if account else None

    def _open_dialog(self, dialog: AccountDialog) -> AccountDialog:
        self.dialog = dialog
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def _saved(self, account: Account) -> None:
        if credentials.session_only() and not self.keyring_banner.isHidden():
            self.use_session_only()  # the user chose it in the dialog: the banner's question is answered
        self.results.pop(account.id, None)
        self.missing.discard(account.id)
        self._changed(account.id)
        self.status.setText(f"Saved “{account.name}”.")

    def test_selected(self) -> Task | None:
        account = self.selected()
        if account is None:
            return None
        self.test_button.setEnabled(False)
        self._say(f"Testing “{account.name}”…", None)
        task = Task(test_account, account.id, name="test connection")
        task.on_success(lambda result: self._tested(account, result)).on_error_message(
            lambda text: self._say(text, "error")).on_finished(self._selection_changed)
        return self._run(task)

    def _tested(self, account: Account, result: ConnectionResult) -> None:
        self.results[account.id] = result
        item = self.item_for(account.id)
        if item is not None:
            self._show_result(item)
        self._say(f"{account.name}: {result.message}", "ok" if result.ok else "error")

    def _say(self, text: str, role: str | None) -> None:
        say(self.status, text, role)

    def remove_selected(self) -> Task | None:
        account = self.selected()
        if account is None:
            return None
        if not confirm(self, "Remove account", f"Remove the account “{account.name}” and its key from this "
                       "computer?\n\nJobs launched with it stay in the job list."):
            return None
        task = Task(accounts.remove_account, account.id, name="remove account")
        task.on_success(lambda _: (self.results.pop(account.id, None), self._changed(),
                                   self._say(f"Removed “{account.name}”.", None)))
        task.on_error_message(lambda text: self._say(text, "error"))
        return self._run(task)

    # -- the keyring and the environment ----------------------------------------------------------------
    def probe(self, refresh: bool = False) -> Task:
        task = Task(lambda: credentials.probe(refresh=refresh), name="keyring probe")
        task.on_success(self._probed).on_error_message(lambda text: self._say(text, "error"))
        return self._run(task)

    def _probed(self, status: credentials.KeyringStatus) -> None:
        if status.ok or credentials.session_only():
            self.keyring_banner.hide()
            self._describe_storage(credentials.default_store().where())
        else:
            self.keyring_banner.text.setText(f"{status.message} You can keep keys in memory for this session "
                                             "only: you will enter them again next time.")
            self.keyring_banner.show()
            self._describe_storage("nowhere yet: no keyring works (see above)")
        self.check_keys()
        self._run(Task(accounts.env_candidates, name="environment credentials").on_success(self._offer))

    def _describe_storage(self, where: str | None) -> None:
        """Where keys go, once the keyring's probe says (None: not known yet)."""
        keys = f"Keys and tokens are kept {where}" if where else "Looking for the system keyring"
        self.storage.setText(f"{keys}; the other settings in {paths.settings_file()}.")

    def use_session_only(self) -> None:
        credentials.use_session_only()
        self._describe_storage(credentials.default_store().where())
        self.keyring_banner.hide()
        self._say("Keys are kept in memory for this session only.", "warning")
        self.check_keys()

    def _offer(self, candidates: list) -> None:
        self.candidates = candidates
        if candidates:
            self.env_banner.text.setText("Credentials found in the environment: "
                                         + "; ".join(c.description for c in candidates) + ".")
        self.env_banner.setVisible(bool(candidates))

    def import_environment(self) -> Task:
        candidates, self.candidates = self.candidates, []
        task = Task(lambda: [accounts.import_candidate(c) for c in candidates], name="import environment")
        task.on_success(lambda saved: (self.env_banner.hide(), self._changed(saved[-1].id if saved else None),
                                       self._say(f"Imported {', '.join(a.name for a in saved)}.", None)))
        task.on_error_message(lambda text: self._say(text, "error"))
        return self._run(task)
