"""The worker layer: backend callables run off the GUI thread and report back as signals."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread, QTimer

from backend.cancel import CancelToken, Progress
from backend.errors import NetworkError
from backend.log import setup_logging
from ui.tasks import Task, describe_error


def _count(n: int, *, progress, cancel: CancelToken) -> int:
    for i in range(n):
        cancel.raise_if_cancelled()
        progress(Progress(i + 1, n, f"step {i + 1}"))
    return n * 10


def test_result_and_every_progress_report_arrive_on_the_gui_thread(qtbot):
    reports, threads = [], []
    task = Task(_count, 5).on_progress(lambda p: (reports.append(p), threads.append(QThread.currentThread())))
    with qtbot.waitSignal(task.signals.succeeded, timeout=10_000) as result:
        task.start()
    assert result.args == [50]
    assert [(p.done, p.total, p.message) for p in reports] == [(i, 5, f"step {i}") for i in range(1, 6)]
    assert set(threads) == {qtbot_app_thread()}
    qtbot.waitUntil(lambda: not task.running)


def qtbot_app_thread():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance().thread()


def test_cancel_sets_the_backend_token_and_reports_cancelled_not_success(qtbot):
    started = threading.Event()
    seen = []

    def wait_for_cancel(*, cancel: CancelToken) -> str:
        started.set()
        seen.append(cancel.wait(60))  # True once the token is set
        cancel.raise_if_cancelled()
        return "finished anyway"

    succeeded = []
    task = Task(wait_for_cancel).on_success(succeeded.append)
    with qtbot.waitSignal(task.signals.cancelled, timeout=10_000):
        task.start()
        assert started.wait(10)
        task.cancel()
    assert seen == [True] and succeeded == []


def test_a_task_that_ignores_cancel_and_returns_is_still_reported_cancelled(qtbot):
    release = threading.Event()
    task = Task(lambda: release.wait(30) and "late result")
    results = []
    task.on_success(results.append)
    with qtbot.waitSignal(task.signals.cancelled, timeout=10_000):
        task.start()
        task.cancel()
        release.set()
    assert results == []


def _explode(account: str) -> None:
    raise ValueError(f"the parser choked on {account!r}")


def test_an_exception_becomes_a_sentence_and_a_full_traceback_in_the_log(qtbot):
    handler = setup_logging()
    messages, failures = [], []
    task = Task(_explode, "acct-7").on_error_message(messages.append).on_failure(failures.append)
    with qtbot.waitSignal(task.signals.finished, timeout=10_000):
        task.start()
    assert isinstance(failures[0], ValueError)
    [message] = messages
    assert message.startswith("Something unexpected went wrong: the parser choked on 'acct-7'.")
    assert "log file" in message and "Traceback" not in message
    handler.flush()
    with open(handler.baseFilename, encoding="utf-8") as f:
        log = f.read()
    assert "Traceback (most recent call last)" in log
    assert "in _explode" in log and "ValueError: the parser choked on 'acct-7'" in log


def test_a_studio_error_reaches_the_page_as_its_own_sentence(qtbot):
    def offline():
        raise NetworkError("Could not reach api.openai.com.", hint="Check your network connection.")

    messages = []
    task = Task(offline).on_error_message(messages.append)
    with qtbot.waitSignal(task.signals.finished, timeout=10_000):
        task.start()
    assert messages == ["Could not reach api.openai.com. Check your network connection."]
    assert describe_error(KeyError()).startswith("Something unexpected went wrong: KeyError.")


@pytest.mark.parametrize("exc", [SystemExit(3), KeyboardInterrupt()])
def test_even_a_base_exception_in_a_task_does_not_take_the_app_down(qtbot, exc):
    def bail():
        raise exc

    failures = []
    task = Task(bail).on_failure(failures.append)
    with qtbot.waitSignal(task.signals.finished, timeout=10_000):
        task.start()
    assert failures == [exc]


def test_the_gui_thread_keeps_running_while_a_task_works(qtbot):
    """The task finishes only after the GUI thread has handled five timer ticks during it."""
    ticks = []
    enough = threading.Event()

    def on_tick():
        ticks.append(QThread.currentThread())
        if len(ticks) >= 5:
            enough.set()

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(on_tick)
    timer.start()
    task = Task(lambda: enough.wait(30))
    with qtbot.waitSignal(task.signals.succeeded, timeout=40_000) as result:
        task.start()
    timer.stop()
    assert result.args == [True]
    assert set(ticks) == {qtbot_app_thread()}


def test_a_result_arriving_after_its_widget_was_deleted_is_dropped_quietly(qtbot):
    from PySide6.QtWidgets import QPushButton

    release = threading.Event()
    button = QPushButton("Refresh")
    task = Task(lambda: release.wait(30)).on_success(lambda _r: button.setEnabled(True)) \
        .on_finished(lambda: button.setText("done"))
    task.start()
    button.deleteLater()
    qtbot.waitUntil(lambda: _deleted(button))
    with qtbot.waitSignal(task.signals.finished, timeout=10_000):
        release.set()  # pytest-qt fails the test if a slot raised in the event loop


def _deleted(widget) -> bool:
    from shiboken6 import isValid

    return not isValid(widget)


@pytest.mark.parametrize("outcome", ["result", "sentence"])
def test_a_task_that_keeps_its_outcome_reports_what_happened_after_cancel(qtbot, outcome):
    """A launch that already sent its job: Cancel must not hide the job it returns, nor the sentence it raises."""
    started = threading.Event()

    def work(cancel: CancelToken):
        started.set()
        cancel.wait(10)
        if outcome == "sentence":
            raise NetworkError("The job may exist: it is listed in Jobs.")
        return "job-1"

    got = {}
    task = Task(work, keep_outcome=True)
    task.on_success(lambda value: got.setdefault("success", value))
    task.on_failure(lambda exc: got.setdefault("failure", str(exc)))
    task.on_cancelled(lambda: got.setdefault("cancelled", True))
    task.start()
    assert started.wait(10)
    task.cancel()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    if outcome == "result":
        assert got == {"success": "job-1"}
    else:
        assert list(got) == ["failure"] and "may exist" in got["failure"]
