"""Add or edit one account: its name, its provider's fields, and its key (hidden, never shown back).

Saving goes through ``backend.accounts.save_account`` on a worker (the keyring may take a moment); a
wrong field comes back as an ``AccountProblem`` that names it, and the dialog puts the cursor there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from backend import accounts, credentials
from backend.accounts import DEFAULT_AZURE_API_VERSION
from backend.connection import ConnectionResult, test_connection
from backend.errors import KeyringUnavailable
from backend.kinds import AccountKind
from ui.tasks import Task, describe_error
from ui.widgets.plain import plain_label, plain_tooltip

if TYPE_CHECKING:
    from backend.models import Account  # pydantic: imported when an account is built (see values)

# kind -> (field, label, placeholder, tooltip); "secret" is the key or token
FORMS: dict[AccountKind, list[tuple[str, str, str, str]]] = {
    AccountKind.OPENAI: [
        ("secret", "API key", "sk-…", "Your OpenAI API key (platform.openai.com → API keys)"),
        ("organization", "Organization", "Optional: org-…", "Only if the key belongs to several organizations"),
        ("project", "Project", "Optional: proj_…", "Only to bill a specific project"),
        ("base_url", "Base URL", "Optional: https://api.openai.com/v1",
         "Leave empty for OpenAI; set it for an OpenAI-compatible server or a proxy"),
    ],
    AccountKind.AZURE: [
        ("endpoint", "Endpoint", "https://NAME.openai.azure.com",
         "The resource's endpoint (Azure portal → the resource → Keys and Endpoint)"),
        ("secret", "API key", "KEY 1 or KEY 2", "One of the resource's two keys"),
        ("api_version", "API version", DEFAULT_AZURE_API_VERSION, "Leave empty for the version this app is tested with"),
        ("subscription_id", "Subscription", "Optional: for deployments", "The Azure subscription id of the resource"),
        ("resource_group", "Resource group", "Optional: for deployments", "The resource group that holds the resource"),
        ("resource_name", "Resource name", "Optional: for deployments", "The Azure OpenAI resource's name"),
    ],
    AccountKind.HUGGINGFACE: [
        ("secret", "Token", "hf_…", "A Hugging Face access token (huggingface.co → Settings → Access Tokens)"),
        ("endpoint", "Hub URL", "Optional: https://huggingface.co", "Only for a private Hub"),
        ("base_url", "Inference URL", "Optional: Inference Providers' router",
         "Only for a dedicated inference endpoint"),
    ],
}


class AccountDialog(QDialog):
    #: The account as saved.
    saved = Signal(object)

    def __init__(self, account: Account | None = None, kind: AccountKind = AccountKind.OPENAI,
                 parent: QWidget | None = None, *, name: str = "", secret: str = ""):
        super().__init__(parent)
        self.account = account
        self.setWindowTitle("Edit account" if account else "Add account")
        self.setMinimumWidth(520)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Provider")
        for value in AccountKind:
            self.kind_combo.addItem(accounts.KIND_LABELS[value], value.value)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData((account.kind if account else kind).value))
        self.kind_combo.setEnabled(account is None)  # an account's provider is fixed: its key only works there
        self.name = QLineEdit(account.name if account else name, placeholderText="For example “Work”")
        self.name.setAccessibleName("Account name")
        self.name.setToolTip("A name of your choice, unique among your accounts")
        self.form = QFormLayout()
        self.form.addRow("&Provider", self.kind_combo)
        self.form.addRow("&Name", self.name)
        # every provider's rows in one form (one label column); only the chosen provider's rows are visible
        self.fields: dict[AccountKind, dict[str, QLineEdit]] = {}
        for value, rows in FORMS.items():
            self.fields[value] = {}
            for field, label, placeholder, tip in rows:
                edit = QLineEdit(placeholderText=placeholder)
                edit.setAccessibleName(label)
                edit.setToolTip(plain_tooltip(tip))
                if field == "secret":
                    self._make_secret(edit, account is not None)
                elif account is not None and account.kind is value:
                    edit.setText(getattr(account, field) or "")
                self.form.addRow(label, edit)
                self.fields[value][field] = edit
        if secret:
            self.fields[self.kind]["secret"].setText(secret)
        # Azure: how deployments sign in to Azure's management API, and who signed in last (not secrets)
        self.sign_in = QComboBox()
        self.sign_in.setAccessibleName("Azure sign-in")
        for method, text in accounts.AZURE_SIGN_IN.items():
            self.sign_in.addItem(text, method)
        self.sign_in.setToolTip(plain_tooltip("How the app signs in to Azure to deploy, list and delete deployments"))
        if account is not None and account.azure_sign_in:
            self.sign_in.setCurrentIndex(max(0, self.sign_in.findData(account.azure_sign_in)))
        identity = account.azure_identity if account is not None else None
        self.identity = plain_label(identity or "Not signed in yet (the Deployments page signs in)")
        self.form.addRow("Azure sign-in", self.sign_in)
        self.form.addRow("Signed in as", self.identity)

        self.message = plain_label(wordWrap=True)  # what the provider answered
        self.message.setAccessibleName("Message")
        self.message.hide()
        # Where the key goes, said once the keyring's probe is known (never "the system keyring" when none
        # works); without a keyring, the choice of keeping the key for this session only, right here.
        self.note = plain_label(wordWrap=True)
        self.note.setAccessibleName("Where the key is kept")
        self.session_box = QCheckBox("Keep the key in memory for this session only (enter it again next time)")
        self.session_box.setToolTip("Nothing is written to disk; the key is forgotten when the app closes")
        self.session_box.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.test_button = self.buttons.addButton("&Test connection", QDialogButtonBox.ButtonRole.ActionRole)
        self.test_button.setToolTip("Call the provider once with these settings, before saving them")
        self.test_button.clicked.connect(lambda _checked=False: self.test())
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.session_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.kind_combo.currentIndexChanged.connect(self._show_rows)
        self._show_rows()
        self.task: Task | None = None
        self.probe_task: Task | None = None
        status = credentials.known_status()
        if status is None and not credentials.session_only():
            say(self.note, "Checking the system keyring…", "subtitle")
            self.probe_task = Task(credentials.probe, name="keyring probe").on_success(self._show_storage).start()
        else:
            self._show_storage(status)

    def _show_storage(self, status: credentials.KeyringStatus | None) -> None:
        """Say where the key goes; when no keyring works, offer to keep it for this session only."""
        if credentials.session_only():
            say(self.note, "The key is kept in memory for this session only, never in a file; you will enter "
                "it again next time.", "subtitle")
        elif status is not None and status.ok:
            say(self.note, "The key is kept in the system keyring, never in a file.", "subtitle")
        else:
            reason = status.message if status is not None else "No system keyring works."
            say(self.note, f"{reason} The key can be kept in memory for this session only; it is never written "
                "to a file.", "warning")
            self.session_box.show()
        if not self.isVisible():  # once shown, the layout grows the dialog as needed
            self.adjustSize()

    def _show_rows(self) -> None:
        for value, edits in self.fields.items():
            for edit in edits.values():
                self.form.setRowVisible(edit, value is self.kind)
        for widget in (self.sign_in, self.identity):
            self.form.setRowVisible(widget, self.kind is AccountKind.AZURE)
        self.adjustSize()

    @staticmethod
    def _make_secret(edit: QLineEdit, editing: bool) -> None:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        if editing:
            edit.setPlaceholderText("Leave empty to keep the saved key; type a new one to replace it")
        show = QAction(QIcon.fromTheme("view-reveal-symbolic"), "Show", edit)
        show.setToolTip("Show or hide what you typed")
        show.setCheckable(True)
        show.toggled.connect(lambda on: edit.setEchoMode(QLineEdit.EchoMode.Normal if on
                                                         else QLineEdit.EchoMode.Password))
        edit.addAction(show, QLineEdit.ActionPosition.TrailingPosition)

    @property
    def kind(self) -> AccountKind:
        return AccountKind(self.kind_combo.currentData())

    def values(self) -> tuple[Account, str | None]:
        """The account and the typed secret (None when the field was left empty while editing)."""
        from backend.models import Account

        fields = {f: e.text() for f, e in self.fields[self.kind].items() if f != "secret"}
        if self.kind is AccountKind.AZURE:
            fields["azure_sign_in"] = self.sign_in.currentData()
            fields["azure_identity"] = self.account.azure_identity if self.account is not None else None
        base = {"id": self.account.id} if self.account else {}
        secret = self.fields[self.kind]["secret"].text()
        return Account(name=self.name.text(), kind=self.kind, **base, **fields), (
            secret if secret or self.account is None else None)

    def save(self) -> None:
        account, secret = self.values()
        if self.session_box.isVisible() and self.session_box.isChecked():
            credentials.use_session_only()  # the user's choice, as with the Accounts page's button
        self._start(Task(accounts.save_account, account, secret, name="save account").on_success(self._saved))

    def test(self) -> None:
        """Test what is typed (the saved key when the key field is left empty)."""
        account, secret = self.values()

        def call() -> ConnectionResult:
            known = secret if secret is not None else credentials.get_secret(account.id)
            return test_connection(account, known)

        say(self.message, "Testing…", None)
        self.message.show()
        self._start(Task(call, name="test typed account").on_success(
            lambda result: say(self.message, result.message, "ok" if result.ok else "error")))

    def _start(self, task: Task) -> None:
        self.buttons.setEnabled(False)
        self.task = task.on_failure(self._failed).on_finished(lambda: self.buttons.setEnabled(True)).start()

    def _saved(self, account: Account) -> None:
        self.saved.emit(account)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        say(self.message, describe_error(exc), "error")
        self.message.show()
        field = getattr(exc, "field", None)
        widget = self.name if field == "name" else self.fields[self.kind].get(field or "")
        if isinstance(exc, KeyringUnavailable) and self.session_box.isVisible():
            self.session_box.setFocus()  # the way out is right here
            return
        if widget is not None:
            widget.setFocus()
            widget.selectAll()


def say(label: QLabel, text: str, role: str | None) -> None:
    """Set a message label's text and its colour role ("ok", "error", "warning" or none)."""
    label.setText(text)
    label.setProperty("role", role or "")
    label.style().unpolish(label)
    label.style().polish(label)
