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

    def initializePage(self) -> None:
        wizard = self.wizard()
        context = getattr(wizard, "context", None)
        if context is not None and not getattr(self, "_connected", False):
            context.accounts_changed.connect(self.reload_accounts)
            self._connected = True
        draft = wizard.draft
        index = self.provider_combo.findData(draft.provider.value) if draft.provider else 0
        self.provider_combo.setCurrentIndex(max(0, index))
        self._provider_changed()

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
            self.account_combo.addItem(account.name, account.id)
        self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(wanted)))
        self.account_combo.setEnabled(self.account_combo.count() > 0)
        self.account_combo.blockSignals(False)
        # A provider that never uses an account has no account row at all.
        self.form.setRowVisible(1, spec.need is not AccountNeed.NONE)
        missing = not accounts and spec.need is AccountNeed.REQUIRED
        self.no_account.setText(f"There is no {label} account yet. Add one with its {spec.secret_noun}, then choose "
                                "it here." if missing else "")
        self.no_account.setVisible(missing)
        self.add_account.setToolTip(plain_tooltip(f"Opens Accounts, where you save {label}'s {spec.secret_noun}; "
                                                  "come back here afterwards."))
        self.add_account.setVisible(missing or spec.need is AccountNeed.OPTIONAL and not accounts)
        self._store()

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
        return self.spec.need is not AccountNeed.REQUIRED or self.account_combo.currentData() is not None

    def _open_accounts(self) -> None:
        context = getattr(self.wizard(), "context", None)
        if context is not None:
            context.navigate.emit("accounts")
