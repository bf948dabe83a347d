"""Desktop notifications when a job ends: the system tray where there is one, else the status line."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from backend.models import Job, JobStatus
from ui.widgets.plain import notification_text

_tray: QSystemTrayIcon | None = None


def finished_message(job: Job) -> tuple[str, str]:
    """Title and text for a job that ended, with the provider's reason when it failed."""
    name = job.name or job.remote_id or job.id[:10]
    if job.status is JobStatus.SUCCEEDED:
        return f"Fine-tune finished: {name}", f"Your model is ready: {job.fine_tuned_model or 'see the job'}"
    if job.status is JobStatus.FAILED:
        return f"Fine-tune failed: {name}", job.error or "The provider gave no reason."
    return f"Fine-tune {job.status.value}: {name}", "The job was stopped."


class Notifier(QObject):
    """Shows a message through one app-wide tray icon; ``shown`` lets the window and the Jobs page mirror it, and
    ``job`` (the job it was about) lets them take it down when it is no longer news."""

    shown = Signal(str, str)

    def __init__(self, icon: QIcon, parent: QObject | None = None):
        super().__init__(parent)
        self._icon = icon
        self.job: Job | None = None  # the job of the latest message

    def job_finished(self, job: Job) -> None:
        title, text = finished_message(job)
        global _tray
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if _tray is None:
                _tray = QSystemTrayIcon(self._icon)
                _tray.setToolTip("Fine-Tune Studio")
                _tray.show()
            kind = QSystemTrayIcon.MessageIcon.Critical if job.status is JobStatus.FAILED \
                else QSystemTrayIcon.MessageIcon.Information
            _tray.showMessage(notification_text(title), notification_text(text), kind, 10_000)
        self.job = job
        self.shown.emit(title, text)


#: How long the status line shows a job's notice (the tray and the Jobs page keep it longer).
STATUS_NOTICE_MS = 60_000


class StatusLineNotices(QObject):
    """Mirrors the notifier's messages in a status bar, for a minute or until a job's status moves on (a newer
    state): "Fine-tune finished" stayed there while the next job ran."""

    def __init__(self, bar: QStatusBar, notifier: Notifier, job_changed):
        super().__init__(bar)
        self.bar = bar
        self._text: str | None = None
        self._seen: dict[str, JobStatus] = {}
        notifier.shown.connect(self.show)
        job_changed.connect(self.job_changed)

    def show(self, title: str, text: str) -> None:
        self._text = f"{title}. {text}"
        self.bar.showMessage(self._text, STATUS_NOTICE_MS)  # read here: tests shorten it

    def job_changed(self, job: Job) -> None:
        before, self._seen[job.id] = self._seen.get(job.id), job.status
        if before is not None and before is not job.status and self._text is not None:
            if self.bar.currentMessage() == self._text:
                self.bar.clearMessage()
            self._text = None
