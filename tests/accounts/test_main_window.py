"""The main window opens on Accounts while there is none, and its Accounts page is this one."""

from __future__ import annotations

from backend import accounts
from backend.models import Account, AccountKind


def test_the_window_starts_on_accounts_until_one_exists(qtbot):
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.settings.accounts_page import AccountsPage

    window = MainWindow(AppContext())
    qtbot.addWidget(window)
    assert window.current_key == "accounts" and isinstance(window.page("accounts"), AccountsPage)
    qtbot.waitUntil(lambda: not window.page("accounts").tasks)
    accounts.save_account(Account(name="One", kind=AccountKind.HUGGINGFACE), "hf_" + "o" * 34)
    assert MainWindow._first_page(window) == "new"
