"""What every page shares: the job store, the app's job monitor, and a few app-wide signals for
moving between pages.

Pages get this object in their constructor instead of reaching for a global main window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from backend.store import JobStore
    from ui.monitor.driver import MonitorDriver
    from ui.monitor.notify import Notifier
    from ui.tasks import Task


class AppContext(QObject):
    #: Show the page with this key ("new", "jobs", "playground", "accounts").
    navigate = Signal(str)
    #: A job was created, changed or removed in the store (job id). The outbox: emitted only by the app's monitor
    #: driver (or, before there is one, for each ``job_recorded``).
    job_changed = Signal(str)
    #: A job was written to the store outside the monitor (a launch, a reconcile, a removal): the inbox. The
    #: monitor driver reads it, follows it and announces it on ``job_changed`` (job id).
    job_recorded = Signal(str)
    #: Open this job's detail in the monitor (job id).
    open_job = Signal(str)
    #: Set up the playground: a list of model references (dicts with provider, account_id, model).
    open_in_playground = Signal(list)
    #: Open the Evaluate page with this job's model, its base and the baselines chosen (job id).
    open_in_evaluation = Signal(str)
    #: Start the wizard pre-filled from this job's configuration (job id).
    clone_job = Signal(str)
    #: Accounts were added, edited or removed.
    accounts_changed = Signal()

    def __init__(self, store: JobStore | None = None, *, open_provider: Callable | None = None):
        """``open_provider(kind, account_id)``: how the app-wide monitor and launch reconciling reach a
        provider (tests pass an in-process one); by default ``backend.providers.open_provider``."""
        super().__init__()
        self._store = store
        self.open_provider = open_provider
        self._monitor: MonitorDriver | None = None
        self._reconciling: Task | None = None
        self.notifier: Notifier | None = None
        self.job_recorded.connect(self._recorded_without_monitor)

    @property
    def store(self) -> JobStore:
        if self._store is None:
            from backend.store import JobStore  # pydantic and sqlite3: not before the first window

            self._store = JobStore()
        return self._store

    def monitor(self, *, open_provider: Callable | None = None) -> MonitorDriver:
        """The app's one job monitor: polls active jobs and notifies when one ends, whichever page is
        open. Built on first use (the main window after its first show, or the Jobs page); ``open_provider``
        counts only then."""
        if self._monitor is None:
            from PySide6.QtWidgets import QApplication

            from ui.monitor.driver import MonitorDriver
            from ui.monitor.notify import Notifier

            self._monitor = MonitorDriver(self.store, open_provider=open_provider or self.open_provider, parent=self)
            self._monitor.follow(self)
            self.notifier = Notifier(QApplication.windowIcon(), self)
            self._monitor.job_finished.connect(self.notifier.job_finished)
        return self._monitor

    def _recorded_without_monitor(self, job_id: str) -> None:
        if self._monitor is None:  # no driver yet to read it: the pages that list jobs still hear of it
            self.job_changed.emit(job_id)

    def reconcile_launches(self, *, open_provider: Callable | None = None) -> Task:
        """Settle launches a crash left half-done (``backend.launch.reconcile_pending``), once per app and
        off the GUI thread; every job it changes is recorded (``job_recorded``), and so announced."""
        if self._reconciling is None:
            from backend.launch import reconcile_pending
            from ui.tasks import Task

            open_provider = open_provider or self.open_provider
            kwargs = {"open_provider": open_provider} if open_provider else {}
            self._reconciling = Task(reconcile_pending, self.store, name="reconcile launches", **kwargs) \
                .on_success(lambda jobs: [self.job_recorded.emit(job.id) for job in jobs]).start()
        return self._reconciling

    def stop(self) -> None:
        """The app is closing: no more polls."""
        if self._monitor is not None:
            self._monitor.stop()
