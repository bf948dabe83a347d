"""The Accounts page's AutoTrain box: added once the page was drawn (not in the first page's time), saying in
one sentence whether AutoTrain's own environment is there, with Install offered when it is not."""

from __future__ import annotations

import pytest

from backend.autotrain import env
from ui.context import AppContext
from ui.settings.accounts_page import AccountsPage


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the page grows
def test_the_accounts_page_says_autotrains_environment_is_not_installed_and_offers_it(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv(env.FTS_AUTOTRAIN_ENV, str(tmp_path / "no-env-here"))
    page = AccountsPage(AppContext())
    qtbot.addWidget(page)
    assert page.autotrain_box is None  # nothing of it while the first page is drawn
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.autotrain_box is not None, timeout=10_000)
    box = page.autotrain_box
    qtbot.waitUntil(lambda: "not installed yet" in box.text.text(), timeout=30_000)
    assert box.install.text() == "Install" and box.install.isEnabled() and not box.remove.isEnabled()
    assert not (tmp_path / "no-env-here").exists()  # looking installs nothing
