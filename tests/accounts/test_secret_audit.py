"""The secret audit: after adding and testing accounts of all three providers (through the page and the CLI, with
failures on the way), no file under the app's config, data, cache or log folders holds any secret; the keyring does."""

from __future__ import annotations

import logging
import uuid

import keyring
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from backend import accounts, credentials, paths
from backend.models import AccountKind
from tests.accounts.test_cli import cli
from tests.accounts.test_page import dialog_message, fill, run_test, save
from tests.fakes.openai_server import FakeOpenAI

_SDK_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "huggingface_hub", "urllib3")


@pytest.fixture
def app_log(isolated_home):
    """The app's own rotating log in this test's log folder, with the SDKs' debug lines let through."""
    from backend import log

    root = logging.getLogger()
    before = (log._configured, root.level, {name: logging.getLogger(name).level for name in _SDK_LOGGERS})
    log._configured = False
    handler = log.setup_logging(logging.DEBUG)
    for name in _SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    handler.close()
    log._configured, level, levels = before
    root.setLevel(level)
    for name, sdk_level in levels.items():
        logging.getLogger(name).setLevel(sdk_level)


@pytest.fixture
def azure_fake():
    """A second fake OpenAI service, for Azure, with a key of its own (Azure keys are 32 hex digits)."""
    server = FakeOpenAI().start()
    server.api_key = uuid.uuid4().hex
    yield server
    server.stop()
    server.assert_no_violations()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the dialog grows
def test_no_secret_reaches_any_file_the_app_writes(qtbot, app_log, isolated_home, fake_openai, azure_fake, fake_hub,
                                                   monkeypatch):
    from ui.context import AppContext
    from ui.settings.accounts_page import AccountsPage

    fake_openai.api_key = "sk-audit-" + uuid.uuid4().hex
    fake_hub.token = "hf_" + uuid.uuid4().hex
    wrong = {"openai": "sk-wrong-" + uuid.uuid4().hex, "hub": "hf_" + uuid.uuid4().hex}
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # for the CLI's child processes

    page = AccountsPage(AppContext())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page.tasks, timeout=30_000)
    entries = [
        (AccountKind.OPENAI, dict(name="OpenAI audit", secret=fake_openai.api_key, base_url=fake_openai.base_url,
                                  organization="org-audit")),
        (AccountKind.AZURE, dict(name="Azure audit", secret=azure_fake.api_key, endpoint=azure_fake.azure_endpoint,
                                 api_version="2025-04-01-preview", subscription_id=str(uuid.uuid4()),
                                 resource_group="rg-audit", resource_name="audit")),
        (AccountKind.HUGGINGFACE, dict(name="Hub audit", secret=fake_hub.token, endpoint=fake_hub.url)),
    ]
    for kind, values in entries:
        dialog = page.add_account(kind)
        fill(dialog, **values)
        save(qtbot, page, dialog)
        assert run_test(qtbot, page).startswith(f"{values['name']}: Connected"), page.status.text()

    # failures on the way: a refused key, a field the dialog rejects, a refused token from the CLI
    page.select(accounts.find_account("OpenAI audit").id)
    dialog = page.edit_selected()
    fill(dialog, secret=wrong["openai"])
    save(qtbot, page, dialog)
    assert "refused the API key" in run_test(qtbot, page)
    dialog = page.edit_selected()
    fill(dialog, secret=fake_openai.api_key, base_url="not a url")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert "not a web address" in dialog_message(qtbot, dialog)
    dialog.test_button.click()  # the typed settings, tested before saving: a failure too
    assert dialog_message(qtbot, dialog).startswith("Could not reach OpenAI at not a url.")
    fill(dialog, base_url=fake_openai.base_url)
    save(qtbot, page, dialog)
    assert cli("accounts", "test", "Azure audit").returncode == 0
    out = cli("accounts", "add", "--provider", "huggingface", "--name", "Hub CLI", "--endpoint", fake_hub.url,
              "--key-stdin", "--test", stdin=wrong["hub"] + "\n")
    assert out.returncode == 1 and "refused the token" in out.stderr

    secrets = [fake_openai.api_key, azure_fake.api_key, fake_hub.token, *wrong.values()]
    app_log.flush()
    written = [p for p in isolated_home.rglob("*") if p.is_file()]
    folders = {paths.config_dir(), paths.log_dir()}
    assert folders <= {p.parent for p in written}  # the audit read the settings and the log, at least
    log_text = (paths.log_dir() / "finetune-studio.log").read_text(encoding="utf-8")
    assert "connection test of “OpenAI audit”: OpenAI refused the API key" in log_text  # error paths were logged
    assert "HTTP Request: GET" in log_text and "Encountered an HTTP status error: 401" in log_text  # SDKs' lines
    for path in written:
        content = path.read_bytes()
        for secret in secrets:
            assert content.count(secret.encode()) == 0, f"{secret[:6]}… found in {path}"

    for name, secret in [("OpenAI audit", fake_openai.api_key), ("Azure audit", azure_fake.api_key),
                         ("Hub audit", fake_hub.token), ("Hub CLI", wrong["hub"])]:
        assert keyring.get_password(credentials.SERVICE, accounts.find_account(name).id) == secret
