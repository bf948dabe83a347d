"""The Jobs page with nothing to draw: a job without stored figures says so in words, never empty axes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from backend.models import Job, JobStatus, MetricPoint, ProviderKind
from ui.context import AppContext

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def jobs_page(qtbot, store):
    from ui.monitor.page import JobsPage

    page = JobsPage(AppContext(store))
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    yield page
    page.driver.stop()
    page.driver.pool.waitForDone(10_000)
    QThreadPool.globalInstance().waitForDone(10_000)


def _job(store, **fields) -> Job:
    values = dict(provider=ProviderKind.OPENAI, name="support-bot", remote_id="ftjob-empty", base_model="gpt-4o-mini",
                  status=JobStatus.SUCCEEDED, fine_tuned_model="ft:gpt-4o-mini:acme::abc")
    return store.save_job(Job(**{**values, **fields}))


def test_a_succeeded_job_without_figures_says_so_instead_of_empty_axes(qtbot, store, jobs_page):
    job = _job(store)
    jobs_page.open_job(job.id)
    charts = jobs_page.detail.charts
    qtbot.waitUntil(lambda: jobs_page.history.loading is None and jobs_page.detail.loaded, timeout=10_000)
    assert charts.showing_empty_text() and not charts.body.isVisible() and charts.empty.isVisible()
    assert charts.empty.text().startswith("OpenAI reported no training figures for this job")
    assert "open it in the playground" in charts.empty.text()


def test_figures_replace_the_sentence_and_a_job_with_figures_never_shows_it(qtbot, store, jobs_page):
    running = _job(store, status=JobStatus.RUNNING, fine_tuned_model=None, remote_id="ftjob-run", name="live")
    jobs_page.open_job(running.id)
    detail = jobs_page.detail
    qtbot.waitUntil(lambda: detail.loaded and detail.job.id == running.id, timeout=10_000)
    assert detail.charts.empty.text() == "No figures yet: the charts fill in as training reports its steps."
    detail.add_metrics([MetricPoint(step=1, train_loss=2.0), MetricPoint(step=2, train_loss=1.5)])
    assert not detail.charts.showing_empty_text() and detail.charts.body.isVisible()

    done = _job(store, remote_id="ftjob-done", name="with figures")
    store.add_metrics(done.id, [MetricPoint(step=s, train_loss=2.0 - s / 10) for s in (1, 2, 3)])
    jobs_page.open_job(done.id)
    qtbot.waitUntil(lambda: detail.loaded and detail.job.id == done.id, timeout=10_000)
    assert not detail.charts.showing_empty_text() and detail.charts.point_count() == 3
