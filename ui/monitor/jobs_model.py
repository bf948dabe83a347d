"""The jobs table: a Qt model over the store's jobs that applies changes row by row, and its filter.

A refresh never resets the model (that would lose the selection, the scroll position and be slow
with a thousand jobs): changed rows get ``dataChanged``, new ones ``beginInsertRows``, vanished ones
``beginRemoveRows``. Elapsed time and ETA tick by one ``dataChanged`` over their two columns.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from backend.models import Job, JobStatus, ProviderKind
from backend.providers import label
from ui.theme import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR
from backend.monitor import duration_text, eta_seconds
from backend.store import PAUSED_AT
from ui.widgets.plain import plain_tooltip

COLUMNS = ["Name", "Provider", "Base model", "Status", "Progress", "Elapsed", "ETA", "Resulting model"]
NAME, PROVIDER, BASE, STATUS, PROGRESS, ELAPSED, ETA, MODEL = range(len(COLUMNS))
JOB_ROLE = Qt.ItemDataRole.UserRole + 1  # the Job itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts naturally (numbers, not text)

STATUS_COLOURS = {
    JobStatus.CREATING: "#8a8f98", JobStatus.VALIDATING_FILES: WARNING_COLOUR, JobStatus.QUEUED: WARNING_COLOUR,
    JobStatus.RUNNING: "#3b82f6", JobStatus.PAUSED: "#8b5cf6", JobStatus.SUCCEEDED: OK_COLOUR,
    JobStatus.FAILED: ERROR_COLOUR, JobStatus.CANCELLED: "#8a8f98", JobStatus.UNKNOWN: "#8a8f98",
}
STATUS_LABELS = {JobStatus.VALIDATING_FILES: "Validating files"}
_icons: dict[JobStatus, QIcon] = {}


def status_label(status: JobStatus) -> str:
    return STATUS_LABELS.get(status, status.value.capitalize())


def status_icon(status: JobStatus) -> QIcon:
    """A coloured dot; hollow while waiting, filled while running or done (shape as well as colour)."""
    if status not in _icons:
        pixmap = QPixmap(14, 14)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(STATUS_COLOURS[status])
        waiting = status in (JobStatus.QUEUED, JobStatus.VALIDATING_FILES, JobStatus.CREATING, JobStatus.PAUSED)
        painter.setPen(colour)
        painter.setBrush(Qt.BrushStyle.NoBrush if waiting else colour)
        painter.drawEllipse(2, 2, 10, 10)
        if status is JobStatus.FAILED:
            painter.setPen(QColor("white"))
            painter.drawLine(5, 5, 9, 9)
            painter.drawLine(9, 5, 5, 9)
        painter.end()
        _icons[status] = QIcon(pixmap)
    return _icons[status]


def elapsed_seconds(job: Job, now: datetime) -> float | None:
    """Seconds from start to now, to the end, or to the pause of a paused job (the store notes when it paused)."""
    start = job.started_at or (job.created_at if job.status is not JobStatus.CREATING else None)
    if start is None:
        return None
    end = job.finished_at if job.status.is_terminal and job.finished_at else now
    paused = (job.model_extra or {}).get(PAUSED_AT) if job.status is JobStatus.PAUSED else None
    if paused:
        end = paused if isinstance(paused, datetime) else datetime.fromisoformat(paused)
    return max(0.0, (end - start).total_seconds())


class JobsTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._rows: dict[str, int] = {}
        self.now = lambda: datetime.now(timezone.utc)

    # -- contract -------------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._jobs)):
            return None
        job, column = self._jobs[index.row()], index.column()
        if role == JOB_ROLE:
            return job
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, column)
        if role == SORT_ROLE:
            return self._sort_key(job, column)
        if column == STATUS:
            if role == Qt.ItemDataRole.DecorationRole:
                return status_icon(job.status)
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(STATUS_COLOURS[job.status]))
            if role == Qt.ItemDataRole.ToolTipRole and job.error:
                return plain_tooltip(job.error)  # the provider's words
        if role == Qt.ItemDataRole.ToolTipRole and column in (NAME, BASE, MODEL):
            return plain_tooltip(self._text(job, column))  # a long name or path, elided in its cell
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (PROGRESS, ELAPSED, ETA):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, job: Job, column: int) -> str:
        if column == NAME:
            return job.name or job.remote_id or job.id[:10]
        if column == PROVIDER:
            return label(job.provider)
        if column == BASE:
            return job.base_model
        if column == STATUS:
            return status_label(job.status)
        if column == PROGRESS:
            if job.step is not None and job.total_steps:
                return f"{job.step}/{job.total_steps} ({100 * (job.progress or 0):.0f}%)"
            return "100%" if job.status is JobStatus.SUCCEEDED else ""
        if column == ELAPSED:
            seconds = elapsed_seconds(job, self.now())
            return duration_text(seconds) if seconds is not None else ""
        if column == ETA:
            seconds = eta_seconds(job, self.now())
            return duration_text(seconds) if seconds is not None else ""
        return job.fine_tuned_model or ""

    def _sort_key(self, job: Job, column: int):
        if column == PROGRESS:
            return job.progress if job.progress is not None else -1.0
        if column == ELAPSED:
            return elapsed_seconds(job, self.now()) or 0.0
        if column == ETA:
            eta = eta_seconds(job, self.now())
            return eta if eta is not None else float("inf")
        if column == NAME:
            return (job.name or job.remote_id or "").lower()
        return self._text(job, column).lower()

    # -- changes --------------------------------------------------------------------------------------
    def job(self, row: int) -> Job:
        return self._jobs[row]

    def row_of(self, job_id: str) -> int | None:
        return self._rows.get(job_id)

    def upsert(self, job: Job) -> None:
        row = self._rows.get(job.id)
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self._jobs), len(self._jobs))
            self._rows[job.id] = len(self._jobs)
            self._jobs.append(job)
            self.endInsertRows()
        elif self._jobs[row] != job:
            self._jobs[row] = job
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def remove(self, job_id: str) -> None:
        row = self._rows.get(job_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._jobs[row]
        self._rows = {job.id: i for i, job in enumerate(self._jobs)}
        self.endRemoveRows()

    def set_jobs(self, jobs: list[Job]) -> None:
        """Make the rows equal ``jobs``: row by row, never a reset."""
        wanted = {job.id for job in jobs}
        for job_id in [j.id for j in self._jobs if j.id not in wanted]:
            self.remove(job_id)
        new = [job for job in jobs if job.id not in self._rows]
        for job in jobs:
            row = self._rows.get(job.id)
            # A snapshot read while a poll was saving may be older than the row: keep the newer one.
            if row is not None and job.updated_at >= self._jobs[row].updated_at:
                self.upsert(job)
        if new:  # one insertion for all new rows keeps a first load of 1,000 jobs cheap
            first = len(self._jobs)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for offset, job in enumerate(new):
                self._rows[job.id] = first + offset
            self._jobs.extend(new)
            self.endInsertRows()

    def tick(self) -> None:
        """Elapsed and ETA move with the clock."""
        if self._jobs:
            self.dataChanged.emit(self.index(0, ELAPSED), self.index(len(self._jobs) - 1, ETA),
                                  [Qt.ItemDataRole.DisplayRole])


class JobsFilter(QSortFilterProxyModel):
    """Search text over name, models and ids; a provider and a set of statuses."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._text = ""
        self._provider: ProviderKind | None = None
        self._statuses: frozenset[JobStatus] | None = None

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange()

    def set_provider(self, provider: ProviderKind | str | None) -> None:
        """Only ``provider``'s jobs (None: all). A combo's item data comes back from Qt as a plain ``str``."""
        self.beginFilterChange()
        self._provider = ProviderKind(provider) if provider is not None else None
        self.endFilterChange()

    def set_statuses(self, statuses: frozenset[JobStatus] | None) -> None:
        self.beginFilterChange()
        self._statuses = statuses
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        job: Job = self.sourceModel().index(source_row, 0, source_parent).data(JOB_ROLE)
        if job is None:
            return False
        if self._provider is not None and job.provider != self._provider:
            return False
        if self._statuses is not None and job.status not in self._statuses:
            return False
        if self._text:
            haystack = " ".join(filter(None, (job.name, job.base_model, job.remote_id, job.id,
                                               job.fine_tuned_model))).lower()
            return self._text in haystack
        return True
