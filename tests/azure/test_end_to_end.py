"""The whole Azure path, once in the window and once on the command line, against the fakes of both Azure planes
(linked as one resource: the management plane deploys the data plane's fine-tuned model, and the data plane
answers chat for a deployment only once the management plane has brought it up):
examples -> training job (Developer training type) -> succeeded -> Deploy (Developer) -> probe ready -> chat with
the deployment -> delete, so that hosting charges stop."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from backend.chat_catalog import build_catalog
from backend.cli import run
from backend.models import JobStatus
from backend.monitor import PollPolicy
from backend.providers.azure import AzureProvider
from backend.store import JobStore
from tests.openai.conftest import chats, write_jsonl
from tests.openai.test_wizard import click_next, launch

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen dialogs
FAST = PollPolicy(running=0.05, waiting=0.05, backoff_first=0.3, backoff_max=0.6)
BASE = "gpt-4.1-mini-2025-04-14"
REPLY = "Hello from your fine-tuned deployment."


@pytest.fixture
def fast_azure(monkeypatch):
    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)


@pytest.fixture
def window(qtbot, fast_azure):
    from ui.context import AppContext
    from ui.main_window import MainWindow

    store = JobStore()  # in the test's own FTS_HOME, where the CLI and the Deploy dialog find it too
    context = AppContext(store)
    context.monitor().monitor.policy = FAST  # the app's monitor, quick from the start (before the job exists)
    main = MainWindow(context)
    qtbot.addWidget(main)
    main.resize(1280, 800)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.context.stop()  # no poll or load may outlive the store
    if main.context._monitor is not None:
        main.context._monitor.pool.waitForDone(10_000)
    QThreadPool.globalInstance().waitForDone(10_000)
    store.close()


def _wizard_to_launch(qtbot, window, data_file: str):
    from ui.wizard import wizard as W

    window.show_page("new")
    wizard = window.page("new").wizard
    first = wizard.page(W.PROVIDER)
    first.provider_combo.setCurrentIndex(first.provider_combo.findData("azure"))
    assert first.account_combo.currentText() == "Contoso"
    click_next(qtbot, wizard)
    data = wizard.page(W.DATA)
    data.set_path(data_file)
    qtbot.waitUntil(data.isComplete, timeout=15_000)
    click_next(qtbot, wizard)
    model = wizard.page(W.MODEL)
    qtbot.waitUntil(model.isComplete, timeout=15_000)
    model.model_combo.setCurrentIndex(model.model_combo.findData(BASE))
    assert "deployments possible until 2027-10-14" in model.model_info.text()
    model.tier_combo.setCurrentIndex(model.tier_combo.findData("developer"))
    click_next(qtbot, wizard)
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15_000)
    launch(qtbot, review)
    assert review.job is not None, review.status.text()
    return review


def test_from_examples_to_chatting_with_the_deployment_and_back_in_the_window(qtbot, window, tmp_path,
                                                                             azure_account, fake_openai, fake_mgmt):
    review = _wizard_to_launch(qtbot, window, write_jsonl(tmp_path / "chats.jsonl", chats()))
    [remote] = fake_openai.jobs()
    assert remote["trainingType"] == "developerTier"

    # The user looks at the Deployments page first: nothing deployed yet.
    window.show_page("deployments")
    page = window.page("deployments")
    qtbot.waitUntil(lambda: "0 deployments" in page.note.text(), timeout=20_000)

    # Launched: "Open in Jobs", where the monitor follows the job until the fake's job has succeeded.
    window.show_page("new")
    review.open_button.click()
    assert window.current_key == "jobs"
    jobs = window.page("jobs")
    assert jobs.driver is window.context.monitor()
    qtbot.waitUntil(lambda: jobs.detail.job is not None and jobs.detail.job.id == review.job.id, timeout=10_000)
    tuned = fake_openai.finish(remote["id"])["fine_tuned_model"]
    qtbot.waitUntil(lambda: jobs.detail.job.status is JobStatus.SUCCEEDED, timeout=20_000)
    button = jobs.detail.buttons["deploy"]
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=10_000)

    # Deploy…: Developer first, its cost stated before the click; one click, one deployment, probed until ready.
    button.click()
    dialog = jobs.actions.deploy_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.model.currentData() == tuned and dialog.type.currentData() == "DeveloperTier"
    assert "Developer hosting is free" in dialog.cost.text()
    dialog.type.setCurrentIndex(dialog.type.findData("Standard"))
    assert "an hour" in dialog.cost.text()  # each type's hourly cost, before anything is deployed
    assert not fake_mgmt.deployments
    dialog.type.setCurrentIndex(dialog.type.findData("DeveloperTier"))
    dialog.name.setText("support-dev")
    fake_mgmt.warm_up["support-dev"] = 2  # Succeeded on the management plane, refused by the data plane twice
    notes, say = [], dialog._say
    dialog._say = lambda text: notes.append(text) or say(text)  # every sentence the note shows, in order
    dialog.deploy_button.click()
    qtbot.waitUntil(lambda: "answers" in dialog.note.text(), timeout=20_000)
    assert [m for m, _ in fake_mgmt.requests].count("PUT") == 1
    assert fake_mgmt.deployments["support-dev"]["sku"]["name"] == "DeveloperTier"
    assert fake_mgmt.deployments["support-dev"]["properties"]["model"]["name"] == tuned
    # the probe met Azure's 404 DeploymentNotFound twice, said so, and the third tiny chat made it ready
    assert fake_openai.count("POST", "/deployments/support-dev/chat/completions") == 3
    assert any("Not answering yet" in n for n in notes), notes
    dialog.close()

    # The Deployments page, seen before, lists it as ready; Chat opens the playground on it, which streams its reply.
    window.show_page("deployments")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and page.table.item(0, 4).text() == "Ready", timeout=20_000)
    assert [page.table.item(0, c).text() for c in range(4)] == ["Contoso", "support-dev", tuned, "Developer"]
    assert "deleted by Azure in 23 h" in page.table.item(0, 6).text()
    page.table.selectRow(0)
    qtbot.waitUntil(page.buttons["chat"].isEnabled, timeout=10_000)
    page.buttons["chat"].click()
    assert window.current_key == "playground"
    playground = window.page("playground")
    [pane] = playground.panes
    assert [r for r in build_catalog(window.context.store).models if r.model == "support-dev"]  # offered as a model
    assert pane.state.model.model == "support-dev" and pane.state.model.account_id == azure_account.id
    fake_openai.set_reply(REPLY, chunks=4)
    playground.prompt.setPlainText("Hello?")
    playground.send()
    qtbot.waitUntil(lambda: bool(not pane.busy and pane.state.turns and pane.state.turns[-1].role == "assistant"
                                 and (pane.state.turns[-1].stats or pane.state.turns[-1].error)), timeout=20_000)
    reply = pane.state.turns[-1]
    assert reply.error is None and reply.content == REPLY and pane.views[-1].text == REPLY
    assert fake_openai.state.chat_requests[-1]["stream"] is True

    # Delete…: asked once, saying the hosting charges stop; the deployment is gone from Azure and the page.
    window.show_page("deployments")
    asked = []
    page.confirm = lambda title, text: asked.append(text) or True
    page.table.selectRow(0)
    qtbot.waitUntil(page.buttons["delete"].isEnabled, timeout=10_000)
    page.buttons["delete"].click()
    qtbot.waitUntil(lambda: fake_mgmt.deployments == {} and page.table.rowCount() == 0, timeout=20_000)
    assert len(asked) == 1 and "hosting charges stop" in asked[0]
    qtbot.waitUntil(lambda: "hosting charges stop" in page.note.text(), timeout=10_000)
    assert not [r for r in build_catalog(window.context.store).models if r.model == "support-dev"]
    fake_openai.assert_no_violations()


def test_from_examples_to_chatting_with_the_deployment_and_back_on_the_command_line(
        fast_azure, tmp_path, azure_account, fake_openai, fake_mgmt, capsys):
    fake_openai.advance_on_poll = True  # each poll moves the fake's job on, until it has succeeded
    data = write_jsonl(tmp_path / "chats.jsonl", chats())
    assert run(["jobs", "create", "--provider", "azure", "--account", "Contoso", "--data", data,
                "--model", BASE, "--training-type", "developer", "--wait", "--poll", "0"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    [remote] = fake_openai.jobs()
    assert remote["trainingType"] == "developerTier" and remote["status"] == "succeeded"
    [job] = JobStore().list_jobs()
    assert job.status is JobStatus.SUCCEEDED and job.fine_tuned_model == remote["fine_tuned_model"], out

    fake_mgmt.warm_up["support-dev"] = 1  # the data plane refuses the first tiny chat, as Azure does for a while
    code = run(["deployments", "create", "--job", job.id, "--name", "support-dev", "--type", "developer", "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Developer hosting is free" in err and "is ready" in out
    assert fake_openai.count("POST", "/deployments/support-dev/chat/completions") == 2
    assert fake_mgmt.deployments["support-dev"]["properties"]["model"]["name"] == job.fine_tuned_model

    assert run(["deployments", "probe", "support-dev"]) == 0
    assert "is ready" in capsys.readouterr().out
    fake_openai.set_reply(REPLY, chunks=3)
    assert run(["chat", "--provider", "azure", "--account", "Contoso", "--model", "support-dev", "Hello?"]) == 0
    assert REPLY in capsys.readouterr().out

    assert run(["deployments", "delete", "support-dev", "--yes"]) == 0
    assert "hosting charges stop" in capsys.readouterr().out
    assert fake_mgmt.deployments == {}
    fake_openai.assert_no_violations()
