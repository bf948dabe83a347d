"""Wizard page 1: where to train (provider) and with which account.

The providers listed are those that train (``providers.kinds(having=Trainer)``), in registry order; each one's
description and account needs (``AccountSpec``: none, optional or required, and of which kind) come from its
class, so a new provider shows here without a change to this page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QPushButton, QVBoxLayout, QWidget, QWizardPage

from backend import providers
from backend.models import ProviderKind
from backend.providers.base import AccountNeed, AccountSpec, Trainer
from ui.tasks import Task
from ui.widgets.plain import plain_label, plain_tooltip


def _column(*widgets: QWidget) -> QVBoxLayout:
    """A form field with its notes below it, close together; buttons keep their own width."""
    column = QVBoxLayout()
    column.setSpacing(4)
    for widget in widgets:
        column.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft if isinstance(widget, QPushButton) else
                         Qt.AlignmentFlag(0))
    return column


class ProviderPage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Where to train")
        self.setSubTitle("Choose where your model trains, and the account it uses there.")
        self.provider_combo = QComboBox(accessibleName="Provider")
        self.provider_combo.setToolTip("The service that runs the fine-tune and hosts (or saves) the result.")
        for kind in providers.kinds(having=Trainer):
            self.provider_combo.addItem(providers.label(kind), kind.value)
        self.about = plain_label(wordWrap=True)
        self.about.setProperty("role", "subtitle")
        self.account_combo = QComboBox(accessibleName="Account", placeholderText="No account yet")
        self.account_combo.setToolTip("The saved account whose key is used. Keys live in the system keyring.")
        self.no_account = plain_label(wordWrap=True)
        self.add_account = QPushButton("Add an account…", accessibleName="Open the Accounts page")
        self.add_account.clicked.connect(self._open_accounts)
        #: Ids of saved accounts whose key cannot be read now (a session-only key of a past session, a keyring
        #: entry deleted): found off the GUI thread, marked in the list and never preselected.
        self.keyless: set[str] = set()
        self._keys_task: Task | None = None

        # Each field's explanation sits under it, in the field column, so the labels' column stays clear.
        self.form = QFormLayout()
        self.form.setVerticalSpacing(14)
        self.form.addRow("Provider:", _column(self.provider_combo, self.about))
        self.form.addRow("Account:", _column(self.account_combo, self.no_account, self.add_account))
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        self.account_combo.currentIndexChanged.connect(self._store)
        self.account_combo.currentIndexChanged.connect(lambda _i: self.reload_notes())

    def initializePage(self) -> None:
        wizard = self.wizard()
        context = getattr(wizard, "context", None)
        if context is not None and not getattr(self, "_connected", False):
            context.accounts_changed.connect(self.reload_accounts)
            context.accounts_changed.connect(self.check_keys)
            self._connected = True
        self.check_keys()
        draft = wizard.draft
        index = self.provider_combo.findData(draft.provider.value) if draft.provider else 0
        self.provider_combo.setCurrentIndex(max(0, index))
        self._provider_changed()

    def check_keys(self) -> None:
        """Which saved accounts have lost their key: asked of the keyring in the background."""
        if self.wizard() is None or (self._keys_task is not None and self._keys_task.running):
            return
        saved = self.wizard().list_accounts()
        self._keys_task = Task(self.wizard().missing_keys, saved, name="wizard.keys").on_success(self._keys_checked).start()

    def _keys_checked(self, keyless: set[str]) -> None:
        if keyless == self.keyless:
            return
        self.keyless = set(keyless)
        current = self.account_combo.currentData()
        if current in self.keyless and self.wizard() is not None:
            self.wizard().draft.account_id = None  # preselected, not chosen: prefer an account that has its key
        self.reload_accounts()

    @property
    def kind(self) -> ProviderKind:
        return ProviderKind(self.provider_combo.currentData())

    @property
    def spec(self) -> AccountSpec:
        return providers.provider_class(self.kind).account

    def reload_accounts(self) -> None:
        """Fill the account list for the chosen provider, keeping the draft's account when it still exists."""
        if self.wizard() is None:
            return
        wanted = self.wizard().draft.account_id
        spec, label = self.spec, providers.label(self.kind)
        accounts = [a for a in self.wizard().list_accounts() if a.kind is spec.kind] if spec.kind else []
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        if spec.need is AccountNeed.OPTIONAL:
            self.account_combo.addItem(spec.none_choice or "None", None)
        for account in accounts:
            keyless = account.id in self.keyless
            self.account_combo.addItem(f"{account.name} (key missing)" if keyless else account.name, account.id)
        usable = [a.id for a in accounts if a.id not in self.keyless]
        if wanted is None or self.account_combo.findData(wanted) < 0:
            wanted = usable[0] if usable and spec.need is AccountNeed.REQUIRED else None
        self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(wanted)))
        self.account_combo.setEnabled(self.account_combo.count() > 0)
        self.account_combo.blockSignals(False)
        # A provider that never uses an account has no account row at all.
        self.form.setRowVisible(1, spec.need is not AccountNeed.NONE)
        self.reload_notes(missing=not accounts and spec.need is AccountNeed.REQUIRED)
        self.add_account.setToolTip(plain_tooltip(f"Opens Accounts, where you save {label}'s {spec.secret_noun}; "
                                                  "come back here afterwards."))
        self.add_account.setVisible(not accounts and spec.need is not AccountNeed.NONE)
        self._store()

    def reload_notes(self, *, missing: bool | None = None) -> None:
        """The note under the account: none saved yet, or the chosen one has lost its key."""
        spec, label = self.spec, providers.label(self.kind)
        if missing is None:
            missing = self.account_combo.count() == 0 and spec.need is AccountNeed.REQUIRED
        if missing:
            note = f"There is no {label} account yet. Add one with its {spec.secret_noun}, then choose it here."
        elif self.account_combo.currentData() in self.keyless:
            note = (f"This account's {spec.secret_noun} is not on this computer any more (it was kept for one "
                    "session, or removed from the keyring). Add it again in Accounts, or choose another account.")
        else:
            note = ""
        self.no_account.setText(note)
        self.no_account.setVisible(bool(note))

    def _provider_changed(self) -> None:
        self.about.setText(providers.provider_class(self.kind).description)
        self.reload_accounts()

    def _store(self) -> None:
        wizard = self.wizard()
        if wizard is None:
            return
        wizard.draft.provider = self.kind
        wizard.draft.account_id = self.account_combo.currentData() if self.spec.need is not AccountNeed.NONE else None
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        chosen = self.account_combo.currentData()
        return self.spec.need is not AccountNeed.REQUIRED or (chosen is not None and chosen not in self.keyless)

    def _open_accounts(self) -> None:
        context = getattr(self.wizard(), "context", None)
        if context is not None:
            context.navigate.emit("accounts")
