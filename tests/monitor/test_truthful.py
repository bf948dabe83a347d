"""The Jobs page tells what is true now and keeps its shape: notices that go when they stop being true, no text
that widens the window, no notice that pushes the table, unique renamable names, checkpoints once each, frozen
clocks on a paused job, only the chart series that have data, and real plurals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QObject, QPoint, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QStatusBar

from backend.control import JobAction
from backend.errors import InvalidInput
from backend.models import Checkpoint, Job, JobStatus, MetricPoint, ProviderKind, utcnow
from backend.monitor import eta_seconds
from backend.monitor_sync import sync_job
from backend.words import plural
from ui.context import AppContext
from ui.monitor.actions import answer_text
from ui.monitor.charts import MetricChart
from ui.monitor.jobs_model import ELAPSED, elapsed_seconds
from ui.monitor.notify import Notifier, StatusLineNotices

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
LONG = "/home/someone/" + "/".join(f"projects-{i:03d}" for i in range(30)) + "/runs/final"  # ~400 characters


@pytest.fixture
def jobs_page(qtbot, store):
    from ui.monitor.page import JobsPage

    pages = []

    def make():
        page = JobsPage(AppContext(store))
        qtbot.addWidget(page)
        page.resize(1100, 760)
        page.show()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.driver.stop()
        page.driver.pool.waitForDone(10_000)
    QThreadPool.globalInstance().waitForDone(10_000)


def _job(store, **fields) -> Job:
    values = dict(provider=ProviderKind.OPENAI, name="tiny-llama", remote_id="ftjob-1", base_model="gpt-4o-mini",
                  status=JobStatus.RUNNING)
    return store.save_job(Job(**{**values, **fields}))


# -- 2: a notice says what is true now, or goes --------------------------------------------------------------
def test_an_answer_about_a_job_goes_when_its_status_moves_on(qtbot, store, jobs_page):
    job = _job(store)
    page = jobs_page()
    text = answer_text("OpenAI", JobAction.STOP_AND_SAVE, job)
    assert "running" not in text and "pauses" in text  # not "answered: the job is running" while it stops
    page.say(text, job)
    assert page.message.isVisibleTo(page)
    page.driver.job_changed.emit(job.model_copy(update={"step": 3}))  # same status: still true
    assert page.message.text() == text
    page.driver.job_changed.emit(job.model_copy(update={"status": JobStatus.PAUSED}))
    assert page.message.text() == "" and not page.message.isVisibleTo(page)

    queued = job.model_copy(update={"status": JobStatus.QUEUED})
    page.say(answer_text("OpenAI", JobAction.RESUME, queued), queued)  # "…the job is queued" after Resume
    page.driver.job_changed.emit(job)  # running again
    assert page.message.text() == ""


class _Jobs(QObject):
    job_changed = Signal(object)


def test_a_status_line_notice_goes_after_a_newer_state_or_a_while(qtbot, monkeypatch):
    import ui.monitor.notify as notify

    bar = QStatusBar()
    qtbot.addWidget(bar)
    notifier, jobs = Notifier(QApplication.windowIcon()), _Jobs()
    StatusLineNotices(bar, notifier, jobs.job_changed)
    other = Job(provider=ProviderKind.OPENAI, name="next", status=JobStatus.QUEUED)
    jobs.job_changed.emit(other)
    done = Job(provider=ProviderKind.OPENAI, name="tiny-llama", status=JobStatus.SUCCEEDED, fine_tuned_model="ft:x")
    notifier.job_finished(done)
    assert bar.currentMessage() == "Fine-tune finished: tiny-llama. Your model is ready: ft:x"
    jobs.job_changed.emit(other.model_copy(update={"step": 1}))  # no new state
    assert bar.currentMessage().startswith("Fine-tune finished")
    jobs.job_changed.emit(other.model_copy(update={"status": JobStatus.RUNNING}))  # the next job runs
    assert bar.currentMessage() == ""
    monkeypatch.setattr(notify, "STATUS_NOTICE_MS", 50)
    notifier.job_finished(done)
    assert bar.currentMessage()
    qtbot.waitUntil(lambda: bar.currentMessage() == "")  # it times out, it does not stay forever


# -- 3 and 4: no text widens the window; a notice does not push the table ------------------------------------
def test_long_paths_on_the_jobs_page_never_widen_the_window(qtbot, store):
    from ui.main_window import MainWindow

    job = _job(store, name=LONG, base_model=LONG, fine_tuned_model=LONG, status=JobStatus.FAILED,
               error=f"Could not read {LONG}: it is gone.", provider=ProviderKind.HF_LOCAL, run_dir=LONG)
    store.set_checkpoints(job.id, [Checkpoint(id="checkpoint-4", step=4, model=LONG + "/checkpoint-4",
                                              metrics={"train_loss": 1.5})])
    window = MainWindow(AppContext(store))
    qtbot.addWidget(window)
    window.resize(1180, 760)
    window.show()
    qtbot.waitExposed(window)
    window.show_page("jobs")
    page = window.page("jobs")
    page.open_job(job.id)
    qtbot.waitUntil(lambda: page.detail.checkpoints.rowCount() == 1)
    page.banner.setText(f"Hugging Face: offline, retrying in 5 s. Could not reach {LONG}")
    page.banner.show()
    page.say(f"Exported to {LONG}.")
    page.detail.set_connection(f"offline {LONG}")
    for tab in range(page.detail.tabs.count()):
        page.detail.tabs.setCurrentIndex(tab)
        qtbot.wait(10)
        assert window.width() == 1180 and window.minimumSizeHint().width() <= 1180, tab
    assert page.detail.status.is_elided() and LONG in page.detail.status.toolTip()
    window.context.stop()
    page.driver.pool.waitForDone(10_000)
    QThreadPool.globalInstance().waitForDone(10_000)


def test_a_notice_does_not_push_the_jobs_table(qtbot, store, jobs_page):
    _job(store)
    page = jobs_page()
    qtbot.waitUntil(lambda: page.detail.job is not None)

    def place():
        QApplication.processEvents()
        return page.table.mapTo(page, QPoint(0, 0)), page.table.height()

    before = place()
    page.say("Asking OpenAI to cancel the job…")
    assert page.message.isVisibleTo(page) and place() == before
    page.banner.setText("OpenAI: offline, retrying in 5 s.")
    page.banner.show()
    page.say("")
    assert place() == before


# -- 5: unique, renamable names; checkpoints once each ---------------------------------------------------------
def test_two_jobs_of_one_base_get_readable_names_of_their_own(store):
    first, second, third = (_job(store, remote_id=f"ftjob-{i}") for i in range(3))
    day = f"{first.created_at.day} {first.created_at:%b}"
    assert [first.name, second.name, third.name] == ["tiny-llama", f"tiny-llama · {day}", f"tiny-llama · {day} · 2"]
    assert store.get_job(second.id).name == second.name
    assert _job(store, id=first.id, remote_id="ftjob-0").name == "tiny-llama"  # saving again keeps the name


def test_a_job_is_renamed_and_a_poll_keeps_the_new_name(store):
    job = _job(store)
    other = _job(store, name="support-bot", remote_id="ftjob-2")
    with pytest.raises(InvalidInput, match="already called"):
        store.rename_job(job.id, other.name)
    with pytest.raises(InvalidInput, match="needs a name"):
        store.rename_job(job.id, "  ")
    assert store.rename_job(job.id, "  Llama   for support ").name == "Llama for support"

    class Provider:  # answers polls with the job as the poll started (the old name)
        def get_job(self, stale):
            return stale.model_copy(update={"step": 2})

        def list_events(self, stale, after=None):
            return []

    sync_job(store, Provider(), job, last_event_id=None, last_step=None)  # ``job``: the copy from before the rename
    assert store.get_job(job.id).name == "Llama for support" and store.get_job(job.id).step == 2


def test_renaming_from_the_job_page_reaches_the_list_and_the_playground(qtbot, store, jobs_page):
    from backend.chat_catalog import build_catalog

    job = _job(store, status=JobStatus.SUCCEEDED, fine_tuned_model="ft:gpt-4o-mini:x")
    _job(store, remote_id="ftjob-2", status=JobStatus.SUCCEEDED, fine_tuned_model="ft:gpt-4o-mini:y")
    labels = [r.label for r in build_catalog(store, with_accounts=False).models if r.kind == "fine-tuned"]
    assert len(labels) == len(set(labels)) == 2  # two "tiny-llama (fine-tuned)" before
    page = jobs_page()
    page.open_job(job.id)
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == job.id)
    page.detail.rename_button.click()
    assert page.detail.name_edit.isVisible() and page.detail.name_edit.text() == "tiny-llama"
    page.detail.name_edit.setText("llama, support tone")
    qtbot.keyClick(page.detail.name_edit, "\r")
    qtbot.waitUntil(lambda: page.detail.title.text() == "llama, support tone")
    assert page.model.index(page.model.row_of(job.id), 0).data() == "llama, support tone"
    assert store.get_job(job.id).name == "llama, support tone"
    labels = [r.label for r in build_catalog(store, with_accounts=False).models]
    assert "llama, support tone (fine-tuned)" in labels


def test_checkpoints_show_once_each_with_their_step_name_and_figures(qtbot, tmp_path):
    from ui.monitor.detail import JobDetail

    detail = JobDetail()
    qtbot.addWidget(detail)
    folder = tmp_path / ("deep-" * 40) / "checkpoints" / "checkpoint-4"
    detail.show_job(Job(provider=ProviderKind.HF_LOCAL, status=JobStatus.SUCCEEDED, run_dir=str(tmp_path),
                        fine_tuned_model=str(tmp_path / "final")))
    detail.set_checkpoints([
        Checkpoint(id="checkpoint-4", step=4, model=str(folder), metrics={"train_loss": 1.5, "valid_loss": 1.61}),
        Checkpoint(id="final", step=8, model=str(tmp_path / "final"),
                   metrics={"train_loss": 0.9, "train_accuracy": 0.625})])
    table = detail.checkpoints
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert rows == [["4", "checkpoint-4", "loss 1.5 · validation loss 1.61"],
                    ["8", "Final model", "loss 0.9 · token accuracy 62.5%"]]
    assert str(folder) in table.item(0, 1).toolTip()  # the whole path, never cut at the end
    opened = []
    detail.playground_requested.connect(lambda _id, model: opened.append(model))
    table.selectRow(0)
    detail.open_checkpoint_button.click()
    assert opened == [str(folder)]


# -- 6: stale texts --------------------------------------------------------------------------------------------
def test_elapsed_and_eta_stop_on_a_paused_job(qtbot, store, jobs_page):
    start = utcnow() - timedelta(minutes=10)
    running = _job(store, started_at=start, step=5, total_steps=10)
    assert eta_seconds(running) is not None
    paused = store.save_job(running.model_copy(update={"status": JobStatus.PAUSED}))
    later = store.save_job(paused.model_copy(update={"step": 5}))  # a later poll: the pause moment stays
    now = utcnow()
    assert elapsed_seconds(later, now + timedelta(hours=1)) == elapsed_seconds(later, now) \
        == pytest.approx(600, abs=30)
    assert eta_seconds(later) is None
    page = jobs_page()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    shown = page.model.index(0, ELAPSED).data()
    page.model.now = lambda: utcnow() + timedelta(hours=2)
    page.model.tick()
    assert page.model.index(0, ELAPSED).data() == shown
    resumed = store.save_job(later.model_copy(update={"status": JobStatus.RUNNING}))
    assert elapsed_seconds(resumed, now + timedelta(hours=1)) > 3600  # running again: the clock moves


def test_the_chart_legend_names_only_series_with_data(qtbot):
    chart = MetricChart("Loss", "train_loss", "valid_loss", log_capable=True)
    qtbot.addWidget(chart)
    chart.show()  # a legend marker is visible only on a shown chart
    assert chart.legend_names() == []
    chart.append([MetricPoint(step=1, train_loss=2.0), MetricPoint(step=2, train_loss=1.5)])
    assert chart.legend_names() == ["training"]  # no validation set: no "validation" entry
    chart.set_checkpoints([2])
    assert chart.legend_names() == ["training", "checkpoints"]
    chart.append([MetricPoint(step=3, train_loss=1.2, valid_loss=1.4)])
    assert chart.legend_names() == ["training", "validation", "checkpoints"]


def test_plural_says_one_or_many_never_both():
    assert [plural(0, "job"), plural(1, "job"), plural(2, "error"), plural(1_200, "example")] == \
        ["0 jobs", "1 job", "2 errors", "1,200 examples"]
    assert plural(2, "entry", "entries") == "2 entries" and plural(1, "entry", "entries") == "1 entry"
