"""The wizard on Hugging Face (cloud): choose the hardware by price, launch; the Jobs page's chart fills from the
job's log stream, the cost so far shows, and Cancel stops the job on the Hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from backend.models import JobStatus
from backend.providers import provider_class
from tests.hfjobs.conftest import cloud_config
from tests.local.test_wizard_local import click_next
from ui.context import AppContext
from ui.monitor.page import JobsPage
from ui.wizard import wizard as W
from ui.wizard.page import NewFineTunePage


@pytest.fixture
def store():
    from backend.store import JobStore

    job_store = JobStore()
    yield job_store
    job_store.close()


@pytest.mark.slow
def test_wizard_on_the_cloud_chooses_hardware_launches_charts_costs_and_cancels(qtbot, cloud, chats, store,
                                                                                 monkeypatch, tmp_path):
    kind = cloud_config(cloud.account.id, chats).provider
    context = AppContext(store)
    new = NewFineTunePage(context, accounts=lambda: [cloud.account])
    qtbot.addWidget(new)
    new.resize(1200, 860)
    new.show()
    monkeypatch.setattr(JobsPage, "confirm", lambda self, title, text: True)
    jobs = JobsPage(context)
    qtbot.addWidget(jobs)
    wizard = new.wizard

    provider_page = wizard.page(W.PROVIDER)
    provider_page.provider_combo.setCurrentIndex(provider_page.provider_combo.findData(kind.value))
    assert provider_page.account_combo.currentData() == cloud.account.id
    click_next(qtbot, wizard, W.DATA)
    data = wizard.page(W.DATA)
    data.set_path(str(chats))
    qtbot.waitUntil(lambda: data._task is None and data.report is not None, timeout=30_000)
    click_next(qtbot, wizard, W.LOCAL_MODEL)

    model = wizard.page(W.LOCAL_MODEL)
    model.model_edit.setText("org/tiny")
    model.model_edit.editingFinished.emit()
    chooser = model.rented
    assert chooser is not None and chooser.isVisible() and not model.computer.isVisible()
    # the flavors with their live prices; the tiny model fits each; an estimate of time and cost
    qtbot.waitUntil(lambda: chooser.table.rowCount() == 4 and chooser.table.item(0, 3).text() == "yes",
                    timeout=30_000)
    rows = [[chooser.table.item(r, c).text() for c in range(6)] for r in range(4)]
    assert rows[0][:4] == ["CPU Basic (cpu-basic)", "$0.01", "16 GiB RAM", "yes"], rows
    assert rows[3][1] == "$5.00" and rows[3][2] == "141 GiB GPU"
    chooser.table.selectRow(0)
    shots = Path(os.environ.get("FTS_SHOTS") or tmp_path)  # to look at the screens (under Xvfb)
    new.grab().save(str(shots / "wizard-hardware.png"))
    assert chooser.timeout.specialValueText().startswith("Auto (") and chooser.problem() == ""
    chooser.budget.setValue(5)
    model.epochs.setValue(0)
    for box, value in ((model.batch, 2), (model.accumulation, 1), (model.max_length, 32), (model.save_steps, 2)):
        box.setValue(value)
    wizard.draft.options["max_steps"] = 400  # long enough to be cancelled while it trains
    click_next(qtbot, wizard, W.REVIEW)
    assert wizard.draft.options["flavor"] == "cpu-basic" and wizard.draft.options["budget_usd"] == 5

    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15_000)
    qtbot.mouseClick(review.launch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: review._task is None and review.status.text() != "Starting…", timeout=120_000)
    assert review.job is not None, review.status.text()
    [recorded] = store.list_jobs()
    assert recorded.provider is kind and cloud.jobs.created[0]["flavor"] == "cpu-basic"

    with qtbot.waitSignal(context.navigate):
        qtbot.mouseClick(review.open_button, Qt.MouseButton.LeftButton)
    jobs.driver.timer.setInterval(50)
    qtbot.waitUntil(lambda: jobs.detail.job is not None and jobs.detail.job.id == recorded.id, timeout=10_000)
    qtbot.waitUntil(lambda: jobs.detail.charts.point_count() >= 3, timeout=180_000)  # from the log stream
    qtbot.waitUntil(lambda: jobs.detail.facts.text().startswith("Cost so far: $"), timeout=30_000)
    assert "at $0.01/hour · budget $5.00" in jobs.detail.facts.text()
    jobs.resize(1200, 860)
    jobs.grab().save(str(shots / "jobs-cloud.png"))

    qtbot.mouseClick(jobs.detail.buttons["cancel"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: jobs.detail.job.status is JobStatus.CANCELLED, timeout=60_000)
    assert cloud.requests.count(("POST", f"/api/jobs/alice/{recorded.remote_id}/cancel")) == 1
    assert provider_class(kind).rents_hardware
    jobs.driver.stop()
    qtbot.waitUntil(lambda: not jobs.driver.busy(), timeout=10_000)
    qtbot.waitUntil(lambda: not new.reconciling.running, timeout=10_000)
