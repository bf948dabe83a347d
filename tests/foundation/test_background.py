"""What the main window starts after its first show, whichever page is open: the job monitor with its
desktop notifications, and settling launches that a crash left half-done."""

from __future__ import annotations

import pytest

from backend.launch import LAUNCH_KEY
from backend.models import Job, JobStatus, ProviderKind
from backend.monitor import PollPolicy
from backend.store import JobStore
from tests.fakes.inprocess_provider import InProcessProvider
from ui.context import AppContext
from ui.main_window import MainWindow

FAST = PollPolicy(running=0.05, waiting=0.05, backoff_first=0.3, backoff_max=0.6)
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class LaunchedProvider(InProcessProvider):
    """Remote jobs carry the launch key the app gave them, as OpenAI's metadata does."""

    keys: dict[str, str] = {}

    def list_jobs(self):
        for job in super().list_jobs():
            yield job.model_copy(update={"metadata": {LAUNCH_KEY: self.keys.get(job.remote_id, "")}})

    def get_job(self, job):
        """With the reason a failed job gives (OpenAI's ``error.message``)."""
        return super().get_job(job).model_copy(update={"error": self.remote[job.remote_id].get("error")})


@pytest.fixture
def provider():
    return LaunchedProvider()


@pytest.fixture
def open_window(qtbot, provider):
    windows = []

    def open_(first_page: str = "accounts") -> MainWindow:
        context = AppContext(JobStore(), open_provider=lambda kind, account_id: provider)
        driver = context.monitor()
        driver.monitor.policy = FAST
        driver.timer.setInterval(20)
        window = MainWindow(context, first_page_later=True)
        window._first_page = lambda: first_page  # the page a user would be on
        qtbot.addWidget(window)
        windows.append(window)
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.show()
        return window

    yield open_
    for window in windows:
        window.close()
        qtbot.waitUntil(lambda w=window: not w.context.monitor().busy(), timeout=10_000)


def _running_job(provider, remote_id="ftjob-1", steps=3) -> Job:
    provider.add(remote_id, total=steps)
    provider.step(remote_id)
    return JobStore().save_job(Job(provider=ProviderKind.OPENAI, remote_id=remote_id, name="Support bot",
                                   status=JobStatus.RUNNING))


@pytest.mark.parametrize("page", ["accounts", "playground"])
def test_a_job_that_ends_while_another_page_is_open_is_announced(qtbot, open_window, provider, page):
    job = _running_job(provider)
    window = open_window(page)
    qtbot.waitUntil(lambda: job.id in window.context.monitor().monitor.tracked(), timeout=10_000)
    with qtbot.waitSignal(window.context.notifier.shown, timeout=10_000) as shown:
        provider.step("ftjob-1", 2)
    assert shown.args == ["Fine-tune finished: Support bot", "Your model is ready: ft:x"]
    assert "jobs" not in window._pages and window.current_key == page  # the Jobs page was never opened
    assert window.statusBar().currentMessage() == "Fine-tune finished: Support bot. Your model is ready: ft:x"
    assert JobStore().get_job(job.id).status is JobStatus.SUCCEEDED


def test_a_failed_job_is_announced_with_the_providers_reason(qtbot, open_window, provider):
    job = _running_job(provider)
    window = open_window()
    qtbot.waitUntil(lambda: job.id in window.context.monitor().monitor.tracked(), timeout=10_000)
    reason = ("The job failed due to an invalid training file. Expected file to have JSONL format, where every "
              "line is a valid JSON dictionary. Line 1 is not a dictionary.")  # OpenAI's error.message
    with qtbot.waitSignal(window.context.notifier.shown, timeout=10_000) as shown:
        provider.remote["ftjob-1"]["error"] = reason  # before the status: a poll may come in between
        provider.remote["ftjob-1"]["status"] = "failed"
    assert shown.args == ["Fine-tune failed: Support bot", reason]
    assert window.statusBar().currentMessage() == f"Fine-tune failed: Support bot. {reason}"  # what the user reads
    assert JobStore().get_job(job.id).error == reason
    window.show_page("jobs")
    page = window.page("jobs")
    page.open_job(job.id)
    qtbot.waitUntil(lambda: page.detail.reason.text() == f"Reason: {reason}", timeout=10_000)


def test_a_job_launched_later_is_followed_without_the_jobs_page(qtbot, open_window, provider):
    window = open_window("new")
    job = _running_job(provider, "ftjob-2")
    window.context.job_recorded.emit(job.id)  # what the wizard's review page announces after a launch
    with qtbot.waitSignal(window.context.notifier.shown, timeout=10_000) as shown:
        provider.step("ftjob-2", 2)
    assert shown.args[0] == "Fine-tune finished: Support bot"


def test_the_jobs_page_shares_the_apps_monitor_and_no_notice_comes_twice(qtbot, open_window, provider):
    job = _running_job(provider)
    window = open_window()
    window.show_page("jobs")
    page = window.page("jobs")
    assert page.driver is window.context.monitor() and page.notifier is window.context.notifier
    qtbot.waitUntil(lambda: job.id in page.driver.monitor.tracked(), timeout=10_000)
    notices = []
    window.context.notifier.shown.connect(lambda title, _text: notices.append(title))
    provider.step("ftjob-1", 2)
    qtbot.waitUntil(lambda: page.message.text().startswith("Fine-tune finished"), timeout=10_000)
    qtbot.wait(200)  # further polls of the finished job must not repeat the notice
    assert notices == ["Fine-tune finished: Support bot"]


def test_an_interrupted_launch_is_settled_when_the_app_starts(qtbot, open_window, provider):
    store = JobStore()
    provider.add("ftjob-9", status="running")
    provider.keys["ftjob-9"] = "launch-key-1"
    pending = store.save_job(Job(provider=ProviderKind.OPENAI, name="Interrupted", status=JobStatus.CREATING,
                                 metadata={LAUNCH_KEY: "launch-key-1"}))
    window = open_window("playground")  # the wizard is never opened
    reconciling = window.context.reconcile_launches()
    qtbot.waitUntil(lambda: not reconciling.running, timeout=10_000)
    adopted = JobStore().get_job(pending.id)
    assert adopted.remote_id == "ftjob-9" and adopted.status is JobStatus.RUNNING and adopted.name == "Interrupted"
    assert "new" not in window._pages
    qtbot.waitUntil(lambda: pending.id in window.context.monitor().monitor.tracked(), timeout=10_000)  # followed
    window.show_page("new")
    assert window.page("new").reconciling is reconciling  # once per app, not again for the wizard
