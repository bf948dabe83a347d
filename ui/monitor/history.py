"""Fills the detail view with a job's stored history (off the GUI thread) and keeps it live.

A job with 100,000 metric points takes a while to read, and polls keep arriving meanwhile: live
events and points that arrive while the history loads are held back, then merged without
duplicates (events by id, points by step) once the stored history is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from backend.models import Checkpoint, JobEvent, MetricPoint
from backend.store import JobStore
from ui.monitor.charts import TrainingCharts
from ui.monitor.detail import JobDetail
from ui.tasks import Task


def _read(store: JobStore, job_id: str, smooth: bool):
    """Worker: the stored history, and its curves already computed for the charts."""
    points = store.metrics(job_id)
    return job_id, store.events(job_id), points, TrainingCharts.prepare(points, smooth), store.checkpoints(job_id)


class HistoryLoader(QObject):
    def __init__(self, store: JobStore, detail: JobDetail, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.detail = detail
        self.loading: str | None = None
        self._held_events: list[JobEvent] = []
        self._held_points: list[MetricPoint] = []
        self._held_checkpoints: list[Checkpoint] | None = None
        self._task: Task | None = None
        self._smooth = True

    def _shown(self, job_id: str) -> bool:
        return self.detail.job is not None and self.detail.job.id == job_id

    def load(self, job_id: str) -> None:
        self.loading = job_id
        self._held_events, self._held_points, self._held_checkpoints = [], [], None
        self._smooth = self.detail.charts.smoothing.isChecked()
        self._task = Task(_read, self.store, job_id, self._smooth, name="monitor.history").on_success(self._loaded)
        self._task.start()

    def _loaded(self, history) -> None:
        job_id, events, points, curves, checkpoints = history
        if job_id != self.loading or not self._shown(job_id):
            return  # the user moved on to another job meanwhile
        self.loading = None
        known = {e.id for e in events}
        events += [e for e in self._held_events if e.id not in known]
        last = points[-1].step if points else -1
        self.detail.add_events(events)
        self.detail.charts.adopt(curves, self._smooth)
        self.detail.add_metrics([p for p in self._held_points if p.step > last])
        self.detail.set_checkpoints(self._held_checkpoints if self._held_checkpoints is not None else checkpoints)
        self.detail.history_loaded()

    def events_added(self, job_id: str, events: list[JobEvent]) -> None:
        if job_id == self.loading:
            self._held_events += events
        elif self._shown(job_id):
            self.detail.add_events(events)

    def metrics_added(self, job_id: str, points: list[MetricPoint], replaced: bool) -> None:
        if job_id == self.loading:
            self._held_points = list(points) if replaced else self._held_points + list(points)
        elif self._shown(job_id):
            self.detail.add_metrics(points, replaced)

    def checkpoints_changed(self, job_id: str, checkpoints: list[Checkpoint]) -> None:
        if job_id == self.loading:
            self._held_checkpoints = checkpoints
        elif self._shown(job_id):
            self.detail.set_checkpoints(checkpoints)
