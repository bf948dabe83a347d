"""Desktop notifications when a job ends: the system tray where there is one, else the status line."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
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
    """Shows a message through one app-wide tray icon; ``shown`` lets the page mirror it in its status line."""

    shown = Signal(str, str)

    def __init__(self, icon: QIcon, parent: QObject | None = None):
        super().__init__(parent)
        self._icon = icon

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
        self.shown.emit(title, text)
