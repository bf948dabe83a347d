"""The stand-in provider on the Jobs page: a job launched from the command line (another process, as far as the
page knows) is found by the app's monitor driver, the provider filter offers Stand-in, the detail shows only the
actions the stand-in's verbs allow, and the job is followed to succeeded. Nothing under ui/ names it."""

from __future__ import annotations

import json

import pytest

from backend.cli import run
from backend.models import JobStatus
from backend.monitor import PollPolicy
from backend.store import JobStore
from tests.fakes import standin_provider
from ui.context import AppContext
from ui.monitor.detail import ACTION_BUTTONS
from ui.monitor.page import JobsPage

#: Polls only when asked (the first poll of a new job is at once): each state can be looked at.
ON_DEMAND = PollPolicy(running=3600, waiting=3600, local=3600)


@pytest.fixture
def page(qtbot, stand_in):
    store = JobStore()
    page = JobsPage(AppContext(store))
    qtbot.addWidget(page)
    page.driver.monitor.policy = ON_DEMAND
    page.driver.timer.setInterval(20)
    page.driver.discover_seconds = 0.05  # the app looks every DISCOVER_SECONDS; the test need not wait for it
    yield page
    page.driver.stop()
    qtbot.waitUntil(lambda: not page.driver.busy(), timeout=10_000)
    store.close()


def offered(page) -> set[str]:
    """The job actions (cancel, pause, ... export) whose buttons show."""
    return {key for key, _text in ACTION_BUTTONS.values() if page.detail.buttons[key].isVisibleTo(page)}


def test_a_stand_in_job_from_the_cli_is_found_filtered_offered_cancel_and_followed(qtbot, page, tmp_path, capsys):
    qtbot.waitUntil(lambda: page.driver.timer.isActive())
    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"Q{i}?"},
                                                     {"role": "assistant", "content": f"A{i}."}]}) + "\n"
                            for i in range(3)), encoding="utf-8")
    assert run(["jobs", "create", "--provider", "stand-in", "--data", str(data), "--model", "echo-1"]) == 0
    capsys.readouterr()
    [job] = JobStore().list_jobs(provider=standin_provider.STAND_IN)

    qtbot.waitUntil(lambda: page.model.row_of(job.id) is not None, timeout=10_000)  # discovered by the driver
    labels = [page.provider_filter.itemText(i) for i in range(page.provider_filter.count())]
    assert "Stand-in" in labels and labels[0] == "All providers"
    page.provider_filter.setCurrentIndex(labels.index("Stand-in"))
    assert page.proxy.rowCount() == 1
    page.provider_filter.setCurrentIndex(labels.index("OpenAI"))
    assert page.proxy.rowCount() == 0
    page.provider_filter.setCurrentIndex(labels.index("Stand-in"))

    page.open_job(job.id)
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.status is JobStatus.RUNNING,
                    timeout=10_000)
    assert offered(page) == {"cancel"}  # no pause, stop and save, resume: the stand-in only cancels
    assert "Stand-in" in page.detail.status.text()

    page.driver.poll_now(job.id)
    qtbot.waitUntil(lambda: page.detail.job.status is JobStatus.SUCCEEDED, timeout=10_000)
    assert offered(page) == set()  # no remote model to delete, nothing to export
    assert page.detail.buttons["playground"].isVisibleTo(page)
    assert page.model.job(page.model.row_of(job.id)).fine_tuned_model == "echo-1:tuned"
    assert page.detail.job.fine_tuned_model == "echo-1:tuned"
