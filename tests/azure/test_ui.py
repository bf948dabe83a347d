"""The Deploy action on a succeeded Azure job and the Deployments page, clicked through with pytest-qt against the
fakes of both Azure planes; then the playground's catalog chats with the deployment."""

from __future__ import annotations

import pytest

from backend import providers
from backend.chat_catalog import build_catalog
from backend.models import ChatMessage, ChatParams, Job, JobStatus, ProviderKind
from backend.store import JobStore
from tests.azure.conftest import FT_MODEL
from ui.context import AppContext

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen dialogs


def _succeeded_job(account) -> Job:
    return JobStore().save_job(Job(provider=ProviderKind("azure"), account_id=account.id, name="support-bot",
                                   base_model="gpt-4o-mini-2024-07-18", status=JobStatus.SUCCEEDED,
                                   fine_tuned_model=FT_MODEL, remote_id="ftjob-1"))


def test_deploy_from_the_job_then_chat_and_delete_on_the_deployments_page(qtbot, azure_account, fake_mgmt,
                                                                         fake_openai):
    from ui.deployments.page import DeploymentsPage
    from ui.monitor.page import JobsPage

    job = _succeeded_job(azure_account)
    store = JobStore()
    context = AppContext(store)
    jobs = JobsPage(context)
    qtbot.addWidget(jobs)
    jobs.open_job(job.id)
    qtbot.waitUntil(lambda: jobs.detail.job is not None and jobs.detail.job.id == job.id)
    button = jobs.detail.buttons["deploy"]
    qtbot.waitUntil(button.isEnabled)
    button.click()
    dialog = jobs.actions.deploy_dialog
    assert dialog is not None and dialog.type.currentData() == "DeveloperTier"
    assert "Developer hosting is free" in dialog.cost.text()  # the cost, stated before the click
    dialog.type.setCurrentIndex(dialog.type.findData("Standard"))
    assert "an hour" in dialog.cost.text() and "as of" in dialog.cost.text()
    dialog.type.setCurrentIndex(dialog.type.findData("DeveloperTier"))
    dialog.name.setText("support-dev")
    dialog.deploy_button.click()
    dialog.deploy_button.click()  # a second click while the first runs sends nothing
    qtbot.waitUntil(lambda: "answers" in dialog.note.text(), timeout=20_000)
    assert [m for m, _ in fake_mgmt.requests].count("PUT") == 1
    assert fake_mgmt.deployments["support-dev"]["sku"]["name"] == "DeveloperTier"
    dialog.close()
    jobs.driver.stop()

    # the playground's catalog offers the ready deployment, and it streams a reply
    [ref] = [r for r in build_catalog(store).models if r.model == "support-dev"]
    provider = providers.open_provider(ref.provider, ref.account_id)
    reply = "".join(provider.chat_stream(ref.model, [ChatMessage(role="user", content="Hello")], ChatParams()))
    assert reply == fake_openai.state.reply_text

    page = DeploymentsPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    texts = [page.table.item(0, c).text() for c in range(page.table.columnCount())]
    assert texts[:5] == ["Contoso", "support-dev", FT_MODEL, "Developer", "Ready"]
    assert "deleted by Azure in 23 h" in texts[6]
    page.table.selectRow(0)
    opened = []
    context.open_in_playground.connect(opened.append)
    page.buttons["chat"].click()
    assert opened and opened[0][0]["model"] == "support-dev" and opened[0][0]["account_id"] == azure_account.id
    asked = []
    page.confirm = lambda title, text: asked.append(text) or True
    page.buttons["delete"].click()
    assert "hosting charges stop" in asked[0]
    # the outcome stays in the note past the listing that follows it
    qtbot.waitUntil(lambda: page.table.rowCount() == 0 and "0 deployments" in page.note.text(), timeout=20_000)
    assert "Deleted “support-dev”: its hosting charges stop." in page.note.text()
    assert fake_mgmt.deployments == {}


def test_a_never_ready_deployment_is_shown_and_can_be_deleted(qtbot, azure_account, fake_mgmt, fake_openai,
                                                             monkeypatch):
    from backend import deployments
    from backend.providers import azure_deploy
    from ui.deployments.page import DeploymentsPage

    monkeypatch.setattr(azure_deploy, "PROBE_TIMEOUT_S", 0.05)
    fake_mgmt.never_serving.add("mute")  # Succeeded on the management plane; the data plane answers 404
    info, ready = deployments.deploy(azure_account, FT_MODEL, "mute", "DeveloperTier", 50)
    assert ready is False
    page = DeploymentsPage(AppContext(JobStore()))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    assert page.table.item(0, 4).text() == "Not answering"
    assert "API deployment for this resource does not exist" in page.table.item(0, 4).toolTip()  # Azure's 404
    assert fake_openai.count("POST", "/deployments/mute/chat/completions") >= 1
    page.table.selectRow(0)
    qtbot.waitUntil(page.buttons["delete"].isEnabled)  # once the listing's worker has finished
    assert not page.buttons["chat"].isEnabled()
    page.confirm = lambda title, text: True
    page.buttons["delete"].click()
    qtbot.waitUntil(lambda: fake_mgmt.deployments == {} and page.table.rowCount() == 0, timeout=20_000)


def test_a_refused_sign_in_shows_a_sentence_on_the_page(qtbot, azure_account, fake_mgmt):
    from ui.deployments.page import DeploymentsPage

    fake_mgmt.credential.refuse = "AADSTS50126: Error validating credentials."
    page = DeploymentsPage(AppContext(JobStore()))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: "AADSTS50126" in page.note.text(), timeout=20_000)
    assert "Contoso" in page.note.text() and page.table.rowCount() == 0


def test_the_account_shows_who_signed_in_and_keeps_the_chosen_method(qtbot, azure_account, fake_mgmt):
    from backend import accounts, deployments
    from ui.settings.account_dialog import AccountDialog

    signed = deployments.sign_in(azure_account, method="browser")
    dialog = AccountDialog(accounts.get_account(signed.id))
    qtbot.addWidget(dialog)
    assert dialog.identity.text() == "ada@contoso.example"
    assert dialog.sign_in.currentData() == "browser"
    dialog.sign_in.setCurrentIndex(dialog.sign_in.findData("device_code"))
    account, secret = dialog.values()
    assert secret is None and account.azure_sign_in == "device_code" and account.azure_identity == "ada@contoso.example"


def test_a_long_name_and_model_keep_every_column_and_the_dialog_on_screen(qtbot, azure_account, fake_mgmt):
    from backend import deployments
    from ui.deployments.deploy_dialog import DeployDialog
    from ui.deployments.page import DeploymentsPage

    long_model = "gpt-4.1-mini-2025-04-14.ft-" + "0123456789abcdef" * 6 + "-support-assistant"
    long_name = "support-bot-developer-tier-evaluation-run-2026-11-28-second-try"
    fake_mgmt.models.add(long_model)
    deployments.deploy(azure_account, long_model, long_name, "DeveloperTier", 50, then_probe=False)
    page = DeploymentsPage(AppContext(JobStore()))
    qtbot.addWidget(page)
    page.resize(1080, 700)  # the page's share of a 1280x800 window
    page.show()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    qtbot.waitUntil(lambda: page.table.horizontalScrollBar().maximum() == 0)  # State and Age stay in view
    assert page.table.item(0, 2).toolTip().count(long_model) == 1  # the whole id, behind the elided cell

    job = _succeeded_job(azure_account).model_copy(update={"fine_tuned_model": long_model})
    dialog = DeployDialog(job, azure_account, [(long_model, long_model + " (final model)")])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.width() < 1000 and long_model in dialog.model.toolTip()
    dialog._say("Azure refused “deploy x” (InsufficientQuota): " + "This operation needs more quota. " * 6)
    qtbot.waitUntil(lambda: dialog.height() >= dialog.sizeHint().height())  # grown to fit, not squeezed
