"""What every page shares: the job store and a few app-wide signals for moving between pages.

Pages get this object in their constructor instead of reaching for a global main window.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from backend.store import JobStore


class AppContext(QObject):
    #: Show the page with this key ("new", "jobs", "playground", "accounts").
    navigate = Signal(str)
    #: A job was created, changed or removed in the store (job id).
    job_changed = Signal(str)
    #: Open this job's detail in the monitor (job id).
    open_job = Signal(str)
    #: Set up the playground: a list of model references (dicts with provider, account_id, model).
    open_in_playground = Signal(list)
    #: Start the wizard pre-filled from this job's configuration (job id).
    clone_job = Signal(str)
    #: Accounts were added, edited or removed.
    accounts_changed = Signal()

    def __init__(self, store: JobStore | None = None):
        super().__init__()
        self._store = store

    @property
    def store(self) -> JobStore:
        if self._store is None:
            self._store = JobStore()
        return self._store
