"""The Jobs page seen under Xvfb: a job without stored figures says so in words (never empty axes), and a long job
name gets the room a wide window has."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from backend.models import Job, JobStatus, MetricPoint, ProviderKind
from ui.context import AppContext

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def jobs_page(qtbot, store):
    from ui.monitor.page import JobsPage

    pages = []

    def make():
        """The page, on the jobs saved so far."""
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
    values = dict(provider=ProviderKind.OPENAI, name="support-bot", remote_id="ftjob-empty", base_model="gpt-4o-mini",
                  status=JobStatus.SUCCEEDED, fine_tuned_model="ft:gpt-4o-mini:acme::abc")
    return store.save_job(Job(**{**values, **fields}))


def test_a_succeeded_job_without_figures_says_so_instead_of_empty_axes(qtbot, store, jobs_page):
    job = _job(store)
    page = jobs_page()
    page.open_job(job.id)
    charts = page.detail.charts
    qtbot.waitUntil(lambda: page.history.loading is None and page.detail.loaded, timeout=20_000)
    assert charts.showing_empty_text() and not charts.body.isVisible() and charts.empty.isVisible()
    assert charts.empty.text().startswith("OpenAI reported no training figures for this job")
    assert "open it in the playground" in charts.empty.text()


def test_figures_replace_the_sentence_and_a_job_with_figures_never_shows_it(qtbot, store, jobs_page):
    running = _job(store, status=JobStatus.RUNNING, fine_tuned_model=None, remote_id="ftjob-run", name="live")
    done = _job(store, remote_id="ftjob-done", name="with figures")
    store.add_metrics(done.id, [MetricPoint(step=s, train_loss=2.0 - s / 10) for s in (1, 2, 3)])
    jobs_page = jobs_page()
    jobs_page.open_job(running.id)
    detail = jobs_page.detail
    qtbot.waitUntil(lambda: detail.loaded and detail.job.id == running.id, timeout=20_000)
    assert detail.charts.empty.text() == "No figures yet: the charts fill in as training reports its steps."
    detail.add_metrics([MetricPoint(step=1, train_loss=2.0), MetricPoint(step=2, train_loss=1.5)])
    assert not detail.charts.showing_empty_text() and detail.charts.body.isVisible()

    jobs_page.open_job(done.id)
    qtbot.waitUntil(lambda: detail.loaded and detail.job.id == done.id, timeout=20_000)
    assert not detail.charts.showing_empty_text() and detail.charts.point_count() == 3


def test_a_long_job_name_gets_the_room_a_wide_window_has(qtbot, store, jobs_page):
    """On a wide screen the name column grows with the window (it stayed at 170 px, the name cut, beside an empty
    resulting-model column); the window's width still comes from the user, never from the name."""
    from ui.monitor.jobs_model import NAME

    name = "customer-support-assistant-for-the-northern-european-region-final"
    _job(store, name=name)
    jobs_page = jobs_page()
    header = jobs_page.table.horizontalHeader()
    jobs_page.resize(1800, 900)
    qtbot.waitUntil(lambda: jobs_page.table.model().rowCount() == 1, timeout=20_000)
    qtbot.waitUntil(lambda: header.sectionSize(NAME) >= 400, timeout=5_000)
    jobs_page.resize(1100, 760)
    qtbot.waitUntil(lambda: header.sectionSize(NAME) < 400, timeout=5_000)
    assert header.sectionSize(NAME) >= 150 and jobs_page.minimumSizeHint().width() < 1100


def test_with_no_jobs_the_detail_says_so_at_the_top_and_a_search_that_hides_all_says_that(qtbot, store, jobs_page):
    """No "Choose a job above" over an empty list, floating halfway down the page: the line says there are no
    jobs yet (or none matches the search) and sits under the table."""
    from PySide6.QtCore import QPoint

    from ui.monitor.detail import NO_JOB_HINT, NO_JOBS_HINT, NO_MATCH_HINT

    page = jobs_page()
    detail = page.detail
    qtbot.waitUntil(lambda: detail.status.text() == NO_JOBS_HINT, timeout=20_000)
    table_bottom = page.table.mapTo(page, QPoint(0, page.table.height())).y()
    assert detail.status.mapTo(page, QPoint(0, 0)).y() - table_bottom < 60  # right under the table
    job = _job(store, status=JobStatus.RUNNING, fine_tuned_model=None)
    page.model.upsert(job)  # as the driver reports a job recorded elsewhere
    qtbot.waitUntil(lambda: detail.status.text() != NO_JOBS_HINT, timeout=5_000)
    page.table.clearSelection()
    page.search.setText("no such job")
    qtbot.waitUntil(lambda: detail.job is None and detail.status.text() == NO_MATCH_HINT, timeout=5_000)
    page.search.clear()
    qtbot.waitUntil(lambda: detail.status.text() in (NO_JOB_HINT,) or detail.job is not None, timeout=5_000)
