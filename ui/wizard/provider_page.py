"""Wizard page 1: where to train (provider) and with which account."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QPushButton, QVBoxLayout, QWidget, QWizardPage

from backend.models import ProviderKind
from ui.widgets.plain import plain_label

CHOICES = [
    (ProviderKind.OPENAI, "OpenAI trains and hosts the model; you pay per trained token. Self-serve fine-tuning "
                          "is winding down: no new jobs from 2027-01-06."),
    (ProviderKind.AZURE, "Your Azure OpenAI resource trains the model; you deploy it in Azure to chat with it."),
    (ProviderKind.HF_LOCAL, "An open model from Hugging Face, trained on this computer with TRL and LoRA. "
                            "Free, private, slower without a GPU."),
]


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
        self.setSubTitle("Choose the service that trains your model, and the account it bills.")
        self.provider_combo = QComboBox(accessibleName="Provider")
        self.provider_combo.setToolTip("The service that runs the fine-tune and hosts (or saves) the result.")
        for kind, _ in CHOICES:
            self.provider_combo.addItem(kind.label, kind.value)
        self.about = plain_label(wordWrap=True)
        self.about.setProperty("role", "subtitle")
        self.account_combo = QComboBox(accessibleName="Account", placeholderText="No account yet")
        self.account_combo.setToolTip("The saved account whose key is used. Keys live in the system keyring.")
        self.no_account = plain_label(wordWrap=True)
        self.add_account = QPushButton("Add an account…", accessibleName="Open the Accounts page")
        self.add_account.setToolTip("Opens Accounts, where you save an API key; come back here afterwards.")
        self.add_account.clicked.connect(self._open_accounts)

        # Each field's explanation sits under it, in the field column, so the labels' column stays clear.
        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.addRow("Provider:", _column(self.provider_combo, self.about))
        form.addRow("Account:", _column(self.account_combo, self.no_account, self.add_account))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
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

    def reload_accounts(self) -> None:
        """Fill the account list for the chosen provider, keeping the draft's account when it still exists."""
        if self.wizard() is None:
            return
        wanted = self.wizard().draft.account_id
        kind = self.kind
        accounts = [a for a in self.wizard().list_accounts() if a.kind is kind.account_kind]
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        if kind is ProviderKind.HF_LOCAL:
            self.account_combo.addItem("None (public models only)", None)
        for account in accounts:
            self.account_combo.addItem(account.name, account.id)
        self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(wanted)))
        self.account_combo.setEnabled(self.account_combo.count() > 0)
        self.account_combo.blockSignals(False)
        missing = not accounts and kind is not ProviderKind.HF_LOCAL
        self.no_account.setText(f"There is no {kind.label} account yet. Add one with its API key, then choose it "
                                "here." if missing else "")
        self.no_account.setVisible(missing)
        self.add_account.setVisible(missing or kind is ProviderKind.HF_LOCAL and not accounts)
        self._store()

    def _provider_changed(self) -> None:
        self.about.setText(dict(CHOICES)[self.kind])
        self.reload_accounts()

    def _store(self) -> None:
        wizard = self.wizard()
        if wizard is None:
            return
        wizard.draft.provider = self.kind
        wizard.draft.account_id = self.account_combo.currentData()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.kind is ProviderKind.HF_LOCAL or self.account_combo.currentData() is not None

    def _open_accounts(self) -> None:
        context = getattr(self.wizard(), "context", None)
        if context is not None:
            context.navigate.emit("accounts")
