"""The Jobs page, live against the fake OpenAI service through the real SDK and OpenAIProvider."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from backend.models import JobStatus
from backend.monitor import PollPolicy
from ui.context import AppContext
from ui.monitor.page import JobsPage

FAST = PollPolicy(running=0.05, waiting=0.05, backoff_first=0.3, backoff_max=0.6)


def open_page(qtbot, store) -> JobsPage:
    page = JobsPage(AppContext(store))
    qtbot.addWidget(page)
    page.driver.monitor.policy = FAST
    page.driver.timer.setInterval(20)
    page.resize(1100, 760)
    return page


def wait_status(qtbot, page, status, timeout=10_000):
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.status is status, timeout=timeout)


def server_events(fake, remote_id):
    return [e["message"] for e in fake.state.job(remote_id).events]


def accept_next_dialog():
    def click():
        dialog = QApplication.activeModalWidget()
        dialog.button(QMessageBox.StandardButton.Yes).click()
    QTimer.singleShot(0, click)


@pytest.fixture
def page_on(qtbot, store):
    pages = []

    def make():
        pages.append(open_page(qtbot, store))
        return pages[-1]

    yield make
    for page in pages:
        page.driver.stop()
        qtbot.waitUntil(lambda p=page: not p.driver.busy(), timeout=10_000)


def test_a_job_followed_from_queued_to_succeeded_fills_its_charts(qtbot, fake_openai, launched, page_on):
    job = launched("Support bot")
    page = page_on()
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == job.id)
    fake_openai.advance(job.remote_id)
    wait_status(qtbot, page, JobStatus.QUEUED)
    fake_openai.advance(job.remote_id)
    wait_status(qtbot, page, JobStatus.RUNNING)
    fake_openai.advance(job.remote_id)
    qtbot.waitUntil(lambda: page.detail.charts.point_count() == 3)
    assert page.model.index(0, 4).data() == "3/6 (50%)"
    fake_openai.advance(job.remote_id)
    wait_status(qtbot, page, JobStatus.SUCCEEDED)
    qtbot.waitUntil(lambda: page.detail.charts.loss.markers.count() == 2)  # checkpoints at steps 2 and 4
    loss, accuracy = page.detail.charts.loss, page.detail.charts.accuracy
    assert [c.series.count() for c in loss.curves + accuracy.curves] == [6, 6, 6, 6]
    assert [int(p.x()) for p in loss.markers.points()] == [2, 4]
    assert page.detail.event_lines()[-1].endswith("The job has successfully completed")
    assert len(page.detail.event_lines()) == len(server_events(fake_openai, job.remote_id))
    assert page.model.index(0, 7).data().startswith("ft:gpt-4o-mini-2024-07-18:fake:monitor:")
    assert "Your model is ready" in page.message.text()
    assert page.detail.buttons["playground"].isVisibleTo(page) and not page.detail.buttons["cancel"].isVisibleTo(page)
    page.detail.charts.smoothing.setChecked(False)
    page.detail.charts.log_axis.setChecked(True)
    assert [round(p.y(), 4) for p in loss.curves[0].series.points()][:2] == [1.6930, 1.4331]


def test_a_failed_job_shows_the_providers_reason(qtbot, fake_openai, launched, page_on):
    fake_openai.fail_next_job("Training file has 3 examples longer than the context.", code="invalid_training_file")
    job = launched()
    page = page_on()
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == job.id)
    fake_openai.advance(job.remote_id)
    wait_status(qtbot, page, JobStatus.FAILED)
    assert page.detail.reason.isVisibleTo(page)
    assert "Training file has 3 examples longer than the context." in page.detail.reason.text()
    assert "Fine-tune failed" in page.message.text() and "longer than the context" in page.message.text()
    assert page.model.index(0, 3).data() == "Failed"


def test_network_faults_show_offline_then_recover_without_losing_events(qtbot, fake_openai, launched, page_on):
    job = launched()
    fake_openai.advance(job.remote_id, times=3)  # running, 3 of 6 steps
    page = page_on()
    qtbot.waitUntil(lambda: page.detail.charts.point_count() == 3, timeout=10_000)
    fake_openai.inject("GET /fine_tuning/jobs/*", "drop", times=1000)
    fake_openai.advance(job.remote_id)  # the job moves on while we cannot see it
    qtbot.waitUntil(lambda: "offline, retrying in" in page.banner.text() and page.banner.isVisibleTo(page),
                    timeout=15_000)
    assert "offline, retrying in" in page.detail.connection.text()
    for fault in fake_openai.faults:
        fault.remaining = 0
    wait_status(qtbot, page, JobStatus.SUCCEEDED, timeout=20_000)
    qtbot.waitUntil(lambda: not page.banner.isVisibleTo(page) and page.detail.connection.text() == "")
    messages = [line.split("  ", 2)[-1].strip() for line in page.detail.event_lines()]
    assert messages == server_events(fake_openai, job.remote_id)
    assert page.detail.charts.point_count() == 6


def test_a_restart_mid_run_catches_up(qtbot, fake_openai, launched, page_on, store):
    from ui.main_window import MainWindow

    job = launched()
    fake_openai.advance(job.remote_id, times=3)
    first = page_on()
    qtbot.waitUntil(lambda: first.detail.charts.point_count() == 3, timeout=10_000)
    first.driver.stop()
    qtbot.waitUntil(lambda: not first.driver.busy())
    first.close()
    fake_openai.finish(job.remote_id)  # while the app is closed
    window = MainWindow(AppContext(store.__class__()))  # a new window over the same store file
    qtbot.addWidget(window)
    window.show_page("jobs")
    page = window.page("jobs")
    wait_status(qtbot, page, JobStatus.SUCCEEDED)
    qtbot.waitUntil(lambda: page.detail.charts.point_count() == 6)
    messages = [line.split("  ", 2)[-1].strip() for line in page.detail.event_lines()]
    assert messages == server_events(fake_openai, job.remote_id)
    page.driver.stop()
    qtbot.waitUntil(lambda: not page.driver.busy())


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, for the dialog
def test_cancel_from_the_ui_reaches_the_server(qtbot, fake_openai, launched, page_on):
    job = launched()
    fake_openai.advance(job.remote_id, times=2)
    page = page_on()
    wait_status(qtbot, page, JobStatus.RUNNING)
    assert page.detail.buttons["cancel"].isVisibleTo(page)
    accept_next_dialog()
    page.detail.buttons["cancel"].click()
    wait_status(qtbot, page, JobStatus.CANCELLED)
    assert fake_openai.count("POST", f"/fine_tuning/jobs/{job.remote_id}/cancel") == 1
    assert fake_openai.state.job(job.remote_id).status == "cancelled"
    assert not page.detail.buttons["cancel"].isVisibleTo(page)


def test_open_job_selects_it_and_events_search(qtbot, fake_openai, launched, page_on):
    first, second = launched("First"), launched("Second")
    fake_openai.finish(second.remote_id)
    page = page_on()
    page.search.setText("First")
    page.context.open_job.emit(second.id)
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == second.id)
    assert page.search.text() == ""
    qtbot.waitUntil(lambda: "The job has successfully completed" in page.detail.events.toPlainText())
    page.detail.event_search.setText("Step 4/6")
    assert page.detail.find_next()
    assert page.detail.events.textCursor().selectedText() == "Step 4/6"
    assert first.id != second.id


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, for the dialog
def test_detach_and_remove_from_list(qtbot, fake_openai, launched, page_on, store):
    job = launched()
    page = page_on()
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == job.id)
    page.toggle_detached()
    assert page.window_ is not None and page.body.window() is page.window_ and page.placeholder.isVisibleTo(page)
    page.window_.close()  # closing the jobs window brings the jobs back
    assert page.window_ is None and page.body.parent() is page and not page.placeholder.isVisibleTo(page)
    changed = []
    page.context.job_changed.connect(changed.append)
    accept_next_dialog()
    page.detail.buttons["remove"].click()
    assert store.get_job(job.id) is None and page.model.rowCount() == 0 and page.detail.job is None
    assert changed == [job.id] and job.id not in page.driver.monitor.tracked()
    assert fake_openai.state.job(job.remote_id).status == "validating_files"  # nothing deleted remotely


def test_jobs_recorded_elsewhere_appear_when_the_driver_looks(qtbot, fake_openai, launched, page_on):
    page = page_on()
    qtbot.waitUntil(lambda: page.driver.timer.isActive())
    job = launched("From the CLI")  # written to the store by another process, no signal
    page.driver.discover()  # what it does every DISCOVER_SECONDS
    qtbot.waitUntil(lambda: page.model.row_of(job.id) is not None)
    fake_openai.advance(job.remote_id)
    qtbot.waitUntil(lambda: page.model.job(page.model.row_of(job.id)).status is JobStatus.QUEUED, timeout=10_000)


def test_pause_and_resume_reach_the_server(qtbot, fake_openai, launched, page_on):
    job = launched()
    fake_openai.advance(job.remote_id, times=2)
    page = page_on()
    wait_status(qtbot, page, JobStatus.RUNNING)
    assert not page.detail.buttons["resume"].isVisibleTo(page)
    page.detail.buttons["pause"].click()
    wait_status(qtbot, page, JobStatus.PAUSED)
    assert fake_openai.state.job(job.remote_id).status == "paused"
    assert page.detail.buttons["resume"].isVisibleTo(page) and not page.detail.buttons["pause"].isVisibleTo(page)
    page.detail.buttons["resume"].click()
    qtbot.waitUntil(lambda: fake_openai.count("POST", f"/fine_tuning/jobs/{job.remote_id}/resume") == 1)
    qtbot.waitUntil(lambda: page.detail.job.status is not JobStatus.PAUSED)
