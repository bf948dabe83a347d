"""The Accounts page with pytest-qt: add, edit, test and remove against the fakes; the keyring and environment offers."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from backend import accounts, credentials, paths
from backend.credentials import SecretStore
from backend.models import AccountKind
from ui.context import AppContext
from ui.settings.accounts_page import AccountsPage


@pytest.fixture
def page(qtbot):
    context = AppContext()
    widget = AccountsPage(context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.tasks)  # the keyring probe and the environment offer
    return widget


def fill(dialog, **values) -> None:
    for field, value in values.items():
        edit = dialog.name if field == "name" else dialog.fields[dialog.kind][field]
        edit.setText(value)


def save(qtbot, page, dialog) -> None:
    with qtbot.waitSignal(page.context.accounts_changed, timeout=10_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def answer_next_question(button: QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` on the next message box (the real one the page opens); its text lands in the list."""
    asked: list[str] = []

    def click():
        box = QApplication.activeModalWidget()
        asked.append(box.text())
        box.button(button).click()
    QTimer.singleShot(0, click)
    return asked


def run_test(qtbot, page) -> str:
    page.test_button.click()
    qtbot.waitUntil(lambda: not page.tasks, timeout=30_000)
    return page.status.text()


def dialog_message(qtbot, dialog) -> str:
    """Wait for the dialog's task, then return its message (a problem or a test result)."""
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() and dialog.message.isVisibleTo(dialog), timeout=30_000)
    return dialog.message.text()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the real question box
def test_add_test_edit_and_remove_an_account(qtbot, page, fake_openai, nowhere):
    assert not page.keyring_banner.isVisibleTo(page) and not page.edit_button.isEnabled()
    assert "kept in the system keyring (SecretService" in page.storage.text()
    page.add_button.click()
    dialog = page.dialog
    fill(dialog, name="Fake", secret=fake_openai.api_key, base_url=fake_openai.base_url)
    save(qtbot, page, dialog)
    (item,) = page.items()
    account = item.data(0, 0x0100)
    assert account.name == "Fake" and page.selected() == account and page.edit_button.isEnabled()
    assert keyring.get_password(credentials.SERVICE, account.id) == fake_openai.api_key

    assert run_test(qtbot, page).startswith("Fake: Connected to OpenAI:")
    assert page.status.property("role") == "ok" and page.item_for(account.id).text(2) == "Connected"

    page.edit_button.click()
    dialog = page.dialog
    assert not dialog.kind_combo.isEnabled() and dialog.fields[AccountKind.OPENAI]["secret"].text() == ""
    fill(dialog, base_url=nowhere + "/v1")
    save(qtbot, page, dialog)
    assert accounts.get_account(account.id).base_url == nowhere + "/v1"
    assert credentials.get_secret(account.id) == fake_openai.api_key  # an empty key field keeps the key
    assert "Could not reach OpenAI" in run_test(qtbot, page) and page.status.property("role") == "error"
    assert page.item_for(account.id).text(2) == "Failed"

    asked = answer_next_question(QMessageBox.StandardButton.No)
    page.remove_button.click()
    assert "Remove the account “Fake”" in asked[0] and len(page.items()) == 1
    answer_next_question(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(page.context.accounts_changed, timeout=10_000):
        page.remove_button.click()
    assert page.items() == [] and accounts.list_accounts() == []
    assert keyring.get_password(credentials.SERVICE, account.id) is None


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the dialog grows
def test_a_wrong_key_and_a_wrong_field_are_shown(qtbot, page, fake_hub):
    dialog = page.add_account(AccountKind.HUGGINGFACE)
    fill(dialog, name="Hub", secret="hf_" + "x" * 34, endpoint="not-an-address")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert "“not-an-address” is not a web address" in dialog_message(qtbot, dialog)
    assert dialog.message.property("role") == "error" and accounts.list_accounts() == []

    fill(dialog, endpoint=fake_hub.url)
    dialog.test_button.click()  # before saving
    assert dialog_message(qtbot, dialog).startswith("The Hugging Face Hub refused the token.")
    fill(dialog, secret=fake_hub.token)
    dialog.test_button.click()
    assert dialog_message(qtbot, dialog) == "Connected to the Hugging Face Hub as alice."
    assert dialog.message.property("role") == "ok" and accounts.list_accounts() == []
    fill(dialog, secret="hf_" + "x" * 34)
    save(qtbot, page, dialog)
    assert "Hugging Face Hub refused the token" in run_test(qtbot, page)


def test_without_a_keyring_the_banner_offers_session_only(qtbot, fake_openai):
    credentials.install(SecretStore(fail.Keyring()))
    widget = AccountsPage(AppContext())
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.tasks, timeout=30_000)
    assert widget.keyring_banner.isVisibleTo(widget)
    assert "No system keyring is available" in widget.keyring_banner.text.text()
    assert "kept nowhere yet: no keyring works" in widget.storage.text()  # never "in the system keyring"
    widget.session_button.click()
    assert not widget.keyring_banner.isVisibleTo(widget) and credentials.session_only()
    assert "kept in memory for this session only" in widget.storage.text()
    dialog = widget.add_account()
    fill(dialog, name="In memory", secret=fake_openai.api_key, base_url=fake_openai.base_url)
    save(qtbot, widget, dialog)
    assert "Connected to OpenAI" in run_test(qtbot, widget)
    assert fake_openai.api_key not in paths.settings_file().read_text(encoding="utf-8")


def test_environment_credentials_are_offered_and_imported(qtbot, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_" + "e" * 34)
    widget = AccountsPage(AppContext())
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.tasks, timeout=30_000)
    assert widget.env_banner.isVisibleTo(widget) and "Hugging Face from HF_TOKEN" in widget.env_banner.text.text()
    with qtbot.waitSignal(widget.context.accounts_changed, timeout=10_000):
        widget.import_environment()
    assert not widget.env_banner.isVisibleTo(widget)
    assert [a.name for a in accounts.list_accounts()] == ["Hugging Face (environment)"]


def test_a_damaged_settings_file_is_explained_on_the_page(qtbot):
    paths.settings_file().write_text("{oops", encoding="utf-8")
    widget = AccountsPage(AppContext())
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.tasks, timeout=30_000)
    assert widget.problem.isVisibleTo(widget) and "is damaged at line 1" in widget.problem.text()
