"""Drives the backend's poll scheduler from the GUI: a QTimer asks what is due, workers poll.

Every network call runs in a worker of the driver's own pool (a few threads, so fifty running jobs
are polled side by side without starving other pages' tasks); the poll results come back through
``ui.tasks`` as queued signals and are re-emitted here, on the GUI thread, as Qt signals.

The driver is the app's one announcer of job changes: its polls, what the rest of the app recorded
(``AppContext.job_recorded``, ``record``), and what another process wrote to the store (``discover``, every
``DISCOVER_SECONDS`` in its pool) all leave through ``job_changed``/``job_removed`` and, for the rest of the
app, ``AppContext.job_changed``. Nobody else emits those, so nobody has to ignore their own echo.
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
#: How often the store is asked for jobs recorded elsewhere (a `jobs create` in a terminal).
DISCOVER_SECONDS = 10.0


class MonitorDriver(QObject):
    job_changed = Signal(object)  # Job
    job_removed = Signal(str)  # job id: no longer in the store
    events_added = Signal(str, list)  # job id, [JobEvent]
    metrics_added = Signal(str, list, bool)  # job id, [MetricPoint], replaced
    checkpoints_changed = Signal(str, list)  # job id, [Checkpoint]
    job_finished = Signal(object)  # Job that turned succeeded, failed or cancelled
    connection_changed = Signal(object)  # Connection
    loaded = Signal()

    def __init__(self, store: JobStore, *, open_provider: Callable | None = None, policy: PollPolicy | None = None,
                 tick_ms: int = 250, threads: int = 4, parent: QObject | None = None):
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
        self.discover_seconds = DISCOVER_SECONDS
        self._discovered_at = self.monitor.clock()
        self._discovering: Task | None = None

    def start(self) -> None:
        """Read the store's active jobs off the GUI thread, then poll them (at once) and on every tick.
        Once: the main window starts the app's driver and the Jobs page finds it running."""
        if self._started:
            return
        self._started = True
        Task(self.monitor.load, name="monitor.load").on_success(self._loaded).start(self.pool)

    def follow(self, context) -> None:
        """Keep up with the rest of the app (an ``AppContext``): jobs launched or removed (its ``job_recorded``
        inbox), accounts edited; and announce every change on its ``job_changed`` outbox."""
        context.job_recorded.connect(self.job_recorded)
        context.accounts_changed.connect(self.accounts_changed)
        self.job_changed.connect(lambda job: context.job_changed.emit(job.id))
        self.job_removed.connect(context.job_changed.emit)

    def job_recorded(self, job_id: str) -> None:
        """Someone in this app wrote ``job_id`` to the store (or removed it): follow it and announce it."""
        job = self.monitor.store.get_job(job_id)
        if job is None:
            self.forget(job_id)
            self.job_removed.emit(job_id)
        else:
            self.record(job)

    def record(self, job: Job) -> None:
        """``job`` as it was just stored by this app (an action's answer): follow it and announce it."""
        self.monitor.record(job)
        self.job_changed.emit(job)
        if self.timer.isActive():
            self.tick()

    def add_events(self, job_id: str, events: list) -> None:
        """Events this app just stored for ``job_id`` (a deleted model's): announce them with the polls' own."""
        if events:
            self.events_added.emit(job_id, events)

    def discover(self) -> None:
        """Look in the store, off the GUI thread, for jobs another process recorded; each found is announced."""
        self._discovered_at = self.monitor.clock()
        if self._discovering is None and not self._stopped:
            task = self._discovering = Task(self.monitor.discover, name="monitor.discover")
            task.on_success(self._discovered).on_finished(lambda: self._discover_finished(task))
            self._tasks.add(task)
            task.start(self.pool)

    def _discover_finished(self, task: Task) -> None:
        self._tasks.discard(task)
        self._discovering = None

    def _discovered(self, jobs: list[Job]) -> None:
        if self._stopped:
            return
        for job in jobs:
            self.job_changed.emit(job)
        if jobs and self.timer.isActive():
            self.tick()

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
        if self.monitor.clock() - self._discovered_at >= self.discover_seconds:
            self.discover()
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
            self.job_changed.emit(job)
        for extra in result.also:  # one launch made several remote jobs: each is a row
            self.job_changed.emit(extra)
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
