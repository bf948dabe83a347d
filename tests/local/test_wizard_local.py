"""The New fine-tune wizard clicked through for "Hugging Face (this computer)" with the tiny model: provider,
data (a duplicate removed on request), the local model page, review, Launch; the trainer runs as a child
process, and the Jobs page shows the job succeeded with the duplicate's note in its events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from backend.models import JobStatus, ProviderKind
from backend.training import process
from tests.local.conftest import distinct_chats, write_jsonl
from ui.context import AppContext
from ui.monitor.page import JobsPage
from ui.wizard import wizard as W
from ui.wizard.page import NewFineTunePage

NEXT = QWizard.WizardButton.NextButton


@pytest.fixture
def store():
    from backend.store import JobStore

    job_store = JobStore()
    yield job_store
    job_store.close()


def click_next(qtbot, wizard, expected: int) -> None:
    button = wizard.button(NEXT)
    qtbot.waitUntil(button.isEnabled, timeout=30_000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == expected


def test_wizard_launches_local_training_that_the_jobs_page_shows_succeeded(qtbot, tiny_model_dir, tmp_path, store):
    chats = distinct_chats(12)
    data_file = write_jsonl(tmp_path / "chats.jsonl", [*chats, chats[5]])  # 13 lines, one an exact duplicate
    context = AppContext(store)
    new = NewFineTunePage(context, accounts=lambda: [])
    qtbot.addWidget(new)
    new.resize(1000, 720)
    new.show()
    jobs = JobsPage(context)
    qtbot.addWidget(jobs)
    wizard = new.wizard

    provider_page = wizard.page(W.PROVIDER)
    provider_page.provider_combo.setCurrentIndex(provider_page.provider_combo.findData(ProviderKind.HF_LOCAL.value))
    assert provider_page.account_combo.currentData() is None  # no account needed for public or local models
    click_next(qtbot, wizard, W.DATA)

    data = wizard.page(W.DATA)
    data.set_path(str(data_file))
    qtbot.waitUntil(lambda: data._task is None and data.report is not None, timeout=30_000)
    assert data.report.stats.duplicates == 1 and data.dedupe.isVisibleTo(data)
    data.dedupe.setChecked(True)
    click_next(qtbot, wizard, W.LOCAL_MODEL)
    assert wizard.draft.data.dedupe is True

    model = wizard.page(W.LOCAL_MODEL)
    model.model_edit.setText(str(tiny_model_dir))
    model.model_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: model.facts is not None and model.hardware is not None, timeout=60_000)
    # A handful of steps: 12 examples, 1 epoch, 4 per step, short sequences.
    model.epochs.setValue(1)
    model.batch.setValue(4)
    model.accumulation.setValue(1)
    model.max_length.setValue(32)
    model.save_steps.setValue(2)
    click_next(qtbot, wizard, W.REVIEW)

    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15_000)
    summary = review.card_text()
    assert "Hugging Face (this computer)" in summary and str(tiny_model_dir) in summary
    assert "Examples: 12 examples to train on, of 13 read (1 duplicate removed)" in summary
    assert "Epochs: 1 (your choice)" in summary and "Maximum length: 32 tokens\n" in summary
    assert "Batch: 4 examples per step × 1 accumulated = 4 per update\n" in summary
    qtbot.mouseClick(review.launch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: review._task is None and review.status.text() != "Starting…", timeout=60_000)
    assert review.job is not None, review.status.text()
    [recorded] = store.list_jobs()
    assert recorded.id == review.job.id and recorded.provider is ProviderKind.HF_LOCAL and recorded.run_dir
    assert recorded.data_summary["examples"] == 12 and recorded.data_summary["dropped_duplicates"] == 1
    try:
        assert process.wait(recorded.run_dir, 240), "the trainer did not finish in time"
    finally:
        process.kill(recorded.run_dir)

    with qtbot.waitSignal(context.navigate):
        qtbot.mouseClick(review.open_button, Qt.MouseButton.LeftButton)
    jobs.driver.timer.setInterval(20)
    qtbot.waitUntil(lambda: jobs.detail.job is not None and jobs.detail.job.id == recorded.id, timeout=10_000)
    qtbot.waitUntil(lambda: jobs.detail.job.status is JobStatus.SUCCEEDED, timeout=30_000)
    assert jobs.detail.job.step == jobs.detail.job.total_steps == 3
    assert jobs.detail.job.fine_tuned_model.endswith("final")
    qtbot.waitUntil(lambda: any("left out 1 exact duplicate" in line for line in jobs.detail.event_lines()),
                    timeout=10_000)
    qtbot.waitUntil(lambda: jobs.detail.charts.point_count() == 3, timeout=10_000)
    jobs.driver.stop()
    qtbot.waitUntil(lambda: not jobs.driver.busy(), timeout=10_000)
    qtbot.waitUntil(lambda: not new.reconciling.running, timeout=10_000)
