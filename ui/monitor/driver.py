"""Drives the backend's poll scheduler from the GUI: a QTimer asks what is due, workers poll.

Every network call runs in a worker of the driver's own pool (a few threads, so fifty running jobs
are polled side by side without starving other pages' tasks); the poll results come back through
``ui.tasks`` as queued signals and are re-emitted here, on the GUI thread, as Qt signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from backend.models import Job
from backend.monitor import Connection, Monitor, PollPolicy, PollResult
from backend.store import JobStore
from ui.tasks import Task

log = logging.getLogger(__name__)


class MonitorDriver(QObject):
    job_changed = Signal(object)  # Job
    events_added = Signal(str, list)  # job id, [JobEvent]
    metrics_added = Signal(str, list, bool)  # job id, [MetricPoint], replaced
    checkpoints_changed = Signal(str, list)  # job id, [Checkpoint]
    job_finished = Signal(object)  # Job that turned succeeded, failed or cancelled
    connection_changed = Signal(object)  # Connection
    loaded = Signal()

    def __init__(self, store: JobStore, *, open_provider: Callable | None = None, policy: PollPolicy | None = None,
                 tick_ms: int = 1000, threads: int = 4, parent: QObject | None = None):
        super().__init__(parent)
        self.monitor = Monitor(store, open_provider=open_provider, policy=policy)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self.tick)
        self._states: dict[tuple, str] = {}
        self._tasks: set[Task] = set()
        self._started = False
        self._stopped = False  # polls still in flight after stop() report nothing (the page may be gone)
        self._announcing: str | None = None  # the job whose change this driver is announcing

    def start(self) -> None:
        """Read the store's active jobs off the GUI thread, then poll them (at once) and on every tick.
        Once: the main window starts the app's driver and the Jobs page finds it running."""
        if self._started:
            return
        self._started = True
        Task(self.monitor.load, name="monitor.load").on_success(self._loaded).start(self.pool)

    def follow(self, context) -> None:
        """Keep up with the rest of the app (an ``AppContext``): jobs launched or removed, accounts edited."""
        context.job_changed.connect(self._job_recorded)
        context.accounts_changed.connect(self.accounts_changed)

    def _job_recorded(self, job_id: str) -> None:
        if job_id == self._announcing:
            return  # our own poll's news, repeated by the page
        job = self.monitor.store.get_job(job_id)
        if job is None:
            self.forget(job_id)
        else:
            self.track(job)

    def accounts_changed(self) -> None:
        self.monitor.accounts_changed()
        if self.timer.isActive():
            self.tick()

    def _loaded(self, _result) -> None:
        if self._stopped:
            return
        self.loaded.emit()
        self.timer.start()
        self.tick()

    def stop(self) -> None:
        self._stopped = True
        self.timer.stop()
        for task in list(self._tasks):
            task.cancel()

    def track(self, job: Job) -> None:
        self.monitor.track(job)
        if self.timer.isActive():
            self.tick()

    def forget(self, job_id: str) -> None:
        self.monitor.forget(job_id)

    def poll_now(self, job_id: str) -> None:
        self.monitor.poll_now(job_id)
        if self.timer.isActive():
            self.tick()

    def busy(self) -> bool:
        return bool(self._tasks)

    def tick(self) -> None:
        for job_id in self.monitor.due():
            task = Task(self.monitor.poll, job_id, name=f"poll {job_id}")
            task.on_success(self._polled).on_finished(lambda t=task: self._finished(t))
            self._tasks.add(task)
            task.start(self.pool)

    def _polled(self, result: PollResult | None) -> None:
        if result is None or self._stopped:  # a failed poll: its account's state says why
            return
        job = result.job
        if result.changed:
            self._announcing = job.id
            try:
                self.job_changed.emit(job)
            finally:
                self._announcing = None
        if result.events:
            self.events_added.emit(job.id, result.events)
        if result.metrics:
            self.metrics_added.emit(job.id, result.metrics, result.metrics_replaced)
        if result.checkpoints is not None:
            self.checkpoints_changed.emit(job.id, result.checkpoints)
        if result.finished:
            self.job_finished.emit(job)

    def _finished(self, task: Task) -> None:
        self._tasks.discard(task)
        if self._stopped:
            return
        for connection in self.monitor.connections():
            key = (connection.provider, connection.account_id)
            state = f"{connection.failures}:{connection.error}"
            if self._states.get(key) != state:
                self._states[key] = state
                self.connection_changed.emit(connection)

    def connections(self) -> list[Connection]:
        return self.monitor.connections()
