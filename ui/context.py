"""What every page shares: the job store, the app's job monitor, and a few app-wide signals for
moving between pages.

Pages get this object in their constructor instead of reaching for a global main window. A cross-page request
(``REQUESTS``: open a job, open models in the playground, clone a job) is a signal any page may emit; the context
delivers it to the page that serves it (``serve``), and where that page was never built it has the main window
build it first (``page_for``): a page that connected the signal in its constructor heard nothing until the user
had once opened it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from backend.store import JobStore
    from ui.monitor.driver import MonitorDriver
    from ui.monitor.notify import Notifier
    from ui.tasks import Task


#: Cross-page requests: the context's signal, the key of the page that takes it, and that page's public method
#: (called with the signal's arguments). The page is shown afterwards.
REQUESTS: dict[str, tuple[str, str]] = {
    "open_job": ("jobs", "open_job"),
    "open_in_playground": ("playground", "compare"),
    "clone_job": ("new", "clone"),
    "open_in_evaluation": ("evaluate", "evaluate_job"),
}


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
        #: Builds (on first use) and returns the page with this key: the main window's ``page``.
        self.page_for: Callable[[str], QWidget] | None = None
        self._served: dict[str, QObject] = {}
        for name, (key, method) in REQUESTS.items():
            getattr(self, name).connect(lambda *args, k=key, m=method: self._deliver(k, m, args))

    def serve(self, key: str, page: QObject) -> None:
        """``page`` takes the cross-page requests meant for ``key`` (``REQUESTS``); a page calls it in its
        constructor instead of connecting the request's signal itself."""
        self._served[key] = page

    def _deliver(self, key: str, method: str, args: tuple) -> None:
        page = self._served.get(key)
        if (page is None or not isValid(page)) and self.page_for is not None:
            self.page_for(key)  # built now: its constructor serves it
            page = self._served.get(key)
        if page is None or not isValid(page) or not hasattr(page, method):
            return  # no such page in this window (tests build pages alone; a page not built yet is a placeholder)
        getattr(page, method)(*args)
        self.navigate.emit(key)

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
