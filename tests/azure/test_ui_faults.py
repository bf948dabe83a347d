"""What the user sees when Azure's side goes wrong, clicked through with pytest-qt against both fakes: a deployment
that fails, a sign-in that is refused or cancelled (in the browser, or by the user's "Stop waiting" while a device
code waits). The never-ready deployment is in test_ui.py."""

from __future__ import annotations

import threading

import pytest

from backend.models import Job, JobStatus, ProviderKind
from backend.providers import azure_signin
from backend.store import JobStore
from tests.azure.conftest import FT_MODEL
from ui.context import AppContext

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen dialogs


def _deploy_dialog(qtbot, account):
    from ui.monitor.page import JobsPage

    store = JobStore()
    job = store.save_job(Job(provider=ProviderKind("azure"), account_id=account.id, name="support-bot",
                             base_model="gpt-4o-mini-2024-07-18", status=JobStatus.SUCCEEDED,
                             fine_tuned_model=FT_MODEL, remote_id="ftjob-1"))
    jobs = JobsPage(AppContext(store))
    qtbot.addWidget(jobs)
    jobs.open_job(job.id)
    qtbot.waitUntil(lambda: jobs.detail.job is not None and jobs.detail.job.id == job.id)
    qtbot.waitUntil(jobs.detail.buttons["deploy"].isEnabled)
    jobs.detail.buttons["deploy"].click()
    return jobs, jobs.actions.deploy_dialog


def _page(qtbot):
    from ui.deployments.page import DeploymentsPage

    page = DeploymentsPage(AppContext(JobStore()))
    qtbot.addWidget(page)
    return page


def test_a_failed_deployment_says_why_and_can_be_deleted(qtbot, azure_account, fake_mgmt):
    fake_mgmt.fail["support-dev"] = ("QuotaExceeded", "Insufficient quota for DeveloperTier in swedencentral.")
    jobs, dialog = _deploy_dialog(qtbot, azure_account)
    dialog.name.setText("support-dev")
    dialog.deploy_button.click()
    qtbot.waitUntil(lambda: "Insufficient quota" in dialog.note.text(), timeout=20_000)
    assert "Traceback" not in dialog.note.text()
    assert dialog.deploy_button.isEnabled()  # the user may change the type or the name and try again
    assert [m for m, _ in fake_mgmt.requests].count("PUT") == 1
    dialog.close()
    jobs.driver.stop()

    page = _page(qtbot)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    assert page.table.item(0, 4).text() == "Failed"
    page.table.selectRow(0)
    qtbot.waitUntil(page.buttons["delete"].isEnabled, timeout=10_000)
    assert not page.buttons["chat"].isEnabled()
    page.confirm = lambda title, text: True
    page.buttons["delete"].click()
    qtbot.waitUntil(lambda: fake_mgmt.deployments == {} and page.table.rowCount() == 0, timeout=20_000)


def test_a_sign_in_cancelled_in_the_browser_deploys_nothing(qtbot, azure_account, fake_mgmt):
    fake_mgmt.credential.refuse = "Authentication failed: User canceled authentication."
    jobs, dialog = _deploy_dialog(qtbot, azure_account)
    dialog.deploy_button.click()
    qtbot.waitUntil(lambda: "cancelled the sign-in" in dialog.note.text(), timeout=20_000)
    assert "User canceled authentication" in dialog.note.text() and dialog.deploy_button.isEnabled()
    assert not [m for m, _ in fake_mgmt.requests if m == "PUT"] and fake_mgmt.deployments == {}
    fake_mgmt.credential.refuse = None  # signed in this time: the same dialog deploys
    dialog.deploy_button.click()
    qtbot.waitUntil(lambda: "answers" in dialog.note.text(), timeout=20_000)
    assert len(fake_mgmt.deployments) == 1
    dialog.close()
    jobs.driver.stop()


class _DeviceCodeCredential:
    """Shows a device code and waits for the user, as azure-identity's DeviceCodeCredential does, until ``gone``."""

    def __init__(self, prompt):
        self.prompt, self.gone = prompt, threading.Event()

    def get_token(self, *scopes, **kwargs):
        from azure.core.exceptions import ClientAuthenticationError

        self.prompt("To sign in to Azure, open https://microsoft.com/devicelogin and enter the code FAKE1234.")
        self.gone.wait(20)
        raise ClientAuthenticationError("AADSTS70020: The provided value for the input parameter 'device_code' "
                                        "is expired.")

    def close(self) -> None:
        pass


def test_a_refused_sign_in_then_a_device_code_the_user_stops_waiting_for(qtbot, azure_account, fake_mgmt):
    fake_mgmt.credential.refuse = "AADSTS50126: Error validating credentials."
    page = _page(qtbot)
    qtbot.waitUntil(lambda: "AADSTS50126" in page.note.text(), timeout=20_000)
    assert page.table.rowCount() == 0
    # no row to choose, yet the user can sign in again for the account that could not be listed
    qtbot.waitUntil(page.buttons["sign_in"].isEnabled, timeout=10_000)
    waiting = []
    azure_signin.install(lambda method, prompt: waiting.append(_DeviceCodeCredential(prompt)) or waiting[-1])
    page.buttons["sign_in"].click()
    qtbot.waitUntil(lambda: "FAKE1234" in page.note.text(), timeout=20_000)
    assert page.buttons["stop"].isVisibleTo(page) and not page.refresh_button.isEnabled()
    task = page.task
    page.buttons["stop"].click()  # the code waits for the user, who gives up: the page lets go at once
    assert "Stopped waiting" in page.note.text()
    assert page.refresh_button.isEnabled() and not page.buttons["stop"].isVisibleTo(page)
    waiting[0].gone.set()  # the sign-in ends later, refused: the page stays as the user left it
    qtbot.waitUntil(lambda: not task.running, timeout=20_000)
    assert "Stopped waiting" in page.note.text() and "AADSTS70020" not in page.note.text()
