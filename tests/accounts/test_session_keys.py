"""Session-only keys: the account dialog offers them when no keyring works (and never claims the keyring), and
in a later session an account whose key is gone is marked on the page and reported by ``accounts.has_key``."""

from __future__ import annotations

import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QDialogButtonBox

from backend import accounts, credentials, paths
from backend.credentials import SecretStore
from backend.models import Account, AccountKind
from tests.accounts.test_page import dialog_message, fill, save
from ui.context import AppContext
from ui.settings.accounts_page import KEY_MISSING, AccountsPage


def _page(qtbot) -> AccountsPage:
    widget = AccountsPage(AppContext())
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.tasks, timeout=10_000)
    return widget


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the dialog grows
def test_without_a_keyring_the_dialog_offers_session_only_itself(qtbot, fake_openai):
    credentials.install(SecretStore(fail.Keyring()))
    page = _page(qtbot)
    dialog = page.add_account()
    qtbot.waitUntil(lambda: dialog.session_box.isVisibleTo(dialog))
    assert "system keyring" not in dialog.note.text().replace("No system keyring is available", "")
    assert "for this session only" in dialog.note.text() and "never written to a file" in dialog.note.text()

    fill(dialog, name="Work", secret=fake_openai.api_key, base_url=fake_openai.base_url)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()  # not ticked: the keyring is needed
    assert "No system keyring is available" in dialog_message(qtbot, dialog)
    assert accounts.list_accounts() == [] and dialog.isVisible()

    dialog.session_box.setChecked(True)  # the user chooses session-only here, without retyping anything
    save(qtbot, page, dialog)
    assert credentials.session_only() and [a.name for a in accounts.list_accounts()] == ["Work"]
    assert fake_openai.api_key not in paths.settings_file().read_text(encoding="utf-8")
    assert "kept in memory for this session only" in page.storage.text()
    assert "Connected to OpenAI" in _tested(qtbot, page)


def _tested(qtbot, page) -> str:
    page.select(accounts.list_accounts()[0].id)
    page.test_button.click()
    qtbot.waitUntil(lambda: not page.tasks, timeout=30_000)
    return page.status.text()


def test_with_a_keyring_the_dialog_says_so_and_offers_nothing_else(qtbot):
    page = _page(qtbot)  # the test session's real Secret Service
    dialog = page.add_account()
    assert "kept in the system keyring" in dialog.note.text() and not dialog.session_box.isVisibleTo(dialog)


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the dialog grows
def test_an_account_whose_session_key_is_gone_is_marked_until_its_key_is_added_again(qtbot, fake_openai):
    credentials.install(SecretStore(session_only=True))
    account = accounts.save_account(Account(name="Work", kind=AccountKind.OPENAI, base_url=fake_openai.base_url),
                                    fake_openai.api_key)
    assert accounts.has_key(account) and accounts.missing_keys() == set()

    credentials.install(SecretStore(session_only=True))  # the next session: memory starts empty
    assert not accounts.has_key(account) and accounts.missing_keys() == {account.id}
    page = _page(qtbot)
    item = page.item_for(account.id)
    assert item.text(2) == KEY_MISSING and "enter it again" in item.toolTip(2)

    page.select(account.id)
    dialog = page.edit_selected()
    fill(dialog, secret=fake_openai.api_key)
    save(qtbot, page, dialog)
    qtbot.waitUntil(lambda: not page.tasks, timeout=10_000)
    assert page.item_for(account.id).text(2) != KEY_MISSING and accounts.has_key(account)


def test_has_key_follows_the_keyring(qtbot, fake_openai):
    account = accounts.save_account(Account(name="Work", kind=AccountKind.OPENAI, base_url=fake_openai.base_url),
                                    fake_openai.api_key)
    assert accounts.has_key(account.id)
    credentials.delete_secret(account.id)  # removed from the keyring by hand
    assert not accounts.has_key(account)
    credentials.install(SecretStore(fail.Keyring()))  # no keyring at all: nothing can be read
    assert not accounts.has_key(account)


def test_the_wizard_marks_an_account_without_its_key_and_does_not_preselect_it(qtbot, fake_openai):
    from PySide6.QtWidgets import QWizard

    from ui.wizard import wizard as W
    from ui.wizard.page import NewFineTunePage

    gone = Account(name="Old laptop", kind=AccountKind.OPENAI, base_url=fake_openai.base_url)
    kept = Account(name="Work", kind=AccountKind.OPENAI, base_url=fake_openai.base_url)
    accounts.save_account(gone, "sk-old")
    accounts.save_account(kept, fake_openai.api_key)
    credentials.delete_secret(gone.id)  # kept for a past session only, or removed from the keyring
    page = NewFineTunePage(AppContext())
    qtbot.addWidget(page)
    provider_page = page.wizard.page(W.PROVIDER)
    combo = provider_page.account_combo
    qtbot.waitUntil(lambda: provider_page.keyless == {gone.id}, timeout=10_000)
    assert [combo.itemText(i) for i in range(combo.count())] == ["Old laptop (key missing)", "Work"]
    assert combo.currentData() == kept.id and page.wizard.draft.account_id == kept.id
    assert page.wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    combo.setCurrentIndex(0)  # the user picks it anyway: said plainly, and the wizard does not go on
    assert "not on this computer any more" in provider_page.no_account.text()
    assert not provider_page.isComplete()
