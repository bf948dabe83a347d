"""A run folder seen from the app: job status, events, metric points and checkpoints.

Everything is derived from ``events.jsonl`` and the trainer's liveness, so a restarted app
(or a second one) sees the same history as the one that launched the run. A session starts
with the app's ``starting`` event; a session that has no ``finished`` event and no live process
died (killed, out of memory, power cut) and is reported as failed with its last error.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from backend.models import Checkpoint, Job, JobEvent, JobStatus, MetricPoint
from backend.training import events as ev
from backend.training import process
from backend.training.spec import RunFolder

_FINISHED = {"succeeded": JobStatus.SUCCEEDED, "paused": JobStatus.PAUSED, "cancelled": JobStatus.CANCELLED,
             "failed": JobStatus.FAILED}


#: The figures a checkpoint carries: those of the step it was saved at.
CHECKPOINT_FIGURES = ("train_loss", "valid_loss", "train_accuracy", "valid_accuracy")


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _describe(event: ev.TrainEvent) -> str:
    if event.message:
        return event.message
    parts = [f"Step {event.step}/{event.total_steps}" if event.total_steps else f"Step {event.step}"]
    for label, value in (("loss", event.loss), ("validation loss", event.eval_loss),
                         ("token accuracy", event.accuracy), ("learning rate", event.learning_rate)):
        if value is not None:
            parts.append(f"{label} {value:.4g}")
    if event.tokens_per_second:
        parts.append(f"{event.tokens_per_second:,.0f} tokens/s")
    return ", ".join(parts)


class RunView:
    """Reads a run folder incrementally; one per job, kept by the provider between polls."""

    def __init__(self, run_dir: Path | str):
        self.folder = RunFolder(run_dir)
        self._tail = ev.EventTail(self.folder.events)

    @property
    def events(self) -> list[ev.TrainEvent]:
        self._tail.read_new()
        return self._tail.events

    def session(self) -> list[ev.TrainEvent]:
        """Events since the latest start (a resume starts a new session in the same file)."""
        events = self.events
        starts = [i for i, e in enumerate(events) if e.type == ev.PHASE and e.phase == "starting"]
        return events[starts[-1]:] if starts else events

    def refresh(self, job: Job) -> Job:
        events, session = self.events, self.session()
        running = process.is_running(self.folder.path)
        finished = next((e for e in reversed(session) if e.type == ev.FINISHED), None)
        errors = [e for e in session if e.type == ev.ERROR]
        update: dict = {"updated_at": datetime.now(timezone.utc), "error": None, "estimated_finish": None}
        if finished is not None:
            status = _FINISHED.get(finished.status or "", JobStatus.UNKNOWN)
            update.update(finished_at=_when(finished.time), status_raw=finished.status)
            if status is JobStatus.FAILED:
                update["error"] = errors[-1].message if errors else finished.message
        elif running:
            training = any(e.type == ev.PHASE and e.phase == "training" for e in session)
            status = JobStatus.RUNNING if training else JobStatus.QUEUED
            update["status_raw"] = next((e.phase for e in reversed(session) if e.type == ev.PHASE), "starting")
        elif self._not_yet_spawned(session):
            status = JobStatus.QUEUED
        else:
            status = JobStatus.FAILED
            update["error"] = errors[-1].message if errors else self._unexpected_end()
            update["finished_at"] = _when(session[-1].time) if session else None
        update["status"] = status
        if events:
            update["started_at"] = _when(events[0].time)
        stepped = [e for e in events if e.step is not None]
        if stepped:
            update["step"] = stepped[-1].step
            update["total_steps"] = next((e.total_steps for e in reversed(stepped) if e.total_steps), None)
        tokens = [e.tokens for e in events if e.tokens]
        if tokens:
            update["trained_tokens"] = tokens[-1]
        if status is JobStatus.SUCCEEDED and self.folder.final.is_dir():
            update["fine_tuned_model"] = str(self.folder.final)
        if status is JobStatus.RUNNING:
            update["estimated_finish"] = self._eta(session)
        return job.model_copy(update=update)

    def _not_yet_spawned(self, session: list[ev.TrainEvent]) -> bool:
        """The app has marked a start but has not recorded the new process yet (a few milliseconds)."""
        if not session or session[-1].type != ev.PHASE or session[-1].phase != "starting":
            return False
        if time.time() - session[-1].time > 120:
            return False  # the app died before spawning it
        try:
            return self.folder.process.stat().st_mtime < session[-1].time
        except FileNotFoundError:
            return True

    def _unexpected_end(self) -> str:
        try:
            lines = [line for line in self.folder.output.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            lines = []
        last = f" Its last words: “{lines[-1].strip()[:300]}”." if lines else ""
        return f"The training process ended unexpectedly.{last} Its full output is in {self.folder.output}."

    def _eta(self, session: list[ev.TrainEvent]) -> datetime | None:
        timed = [e for e in session if e.step is not None and e.total_steps and e.type in (ev.PROGRESS, ev.LOG)]
        if len(timed) < 2 or timed[-1].step <= timed[0].step:
            return None
        rate = (timed[-1].time - timed[0].time) / (timed[-1].step - timed[0].step)
        return _when(timed[-1].time) + timedelta(seconds=rate * (timed[-1].total_steps - timed[-1].step))

    def job_events(self, after: str | None = None) -> list[JobEvent]:
        start = int(after) + 1 if after not in (None, "") else 0
        return [JobEvent(id=str(e.seq), created_at=_when(e.time), level=e.level, message=_describe(e), type=e.type,
                         data=e.model_dump(exclude_none=True, exclude={"seq", "time", "type", "message", "level"}))
                for e in self.events if e.seq >= start]

    def metrics(self) -> list[MetricPoint]:
        """One point per step, train and validation figures merged; a resumed step keeps its latest value."""
        points: dict[int, dict] = {}
        for e in self.events:
            if e.step is None or e.type not in (ev.LOG, ev.EVAL):
                continue
            point = points.setdefault(e.step, {"step": e.step})
            figures = {"train_loss": e.loss, "valid_loss": e.eval_loss, "train_accuracy": e.accuracy,
                       "valid_accuracy": e.eval_accuracy, "learning_rate": e.learning_rate, "tokens": e.tokens,
                       "epoch": e.epoch, "time": e.time, "tokens_per_second": e.tokens_per_second}
            point.update({k: v for k, v in figures.items() if v is not None})
        return [MetricPoint(**points[step]) for step in sorted(points)]

    def checkpoints(self) -> list[Checkpoint]:
        """One per step, oldest first, each with the figures logged at its step (loss, validation loss,
        accuracy). The final model replaces the checkpoint saved at its own step: the same weights, which were
        listed twice."""
        figures = {p.step: {k: v for k, v in p.model_dump(include=set(CHECKPOINT_FIGURES)).items() if v is not None}
                   for p in self.metrics()}
        found: dict[int, Checkpoint] = {}
        for folder in self.folder.checkpoint_dirs():
            step = int(folder.name.split("-")[-1])
            found[step] = Checkpoint(id=folder.name, step=step, model=str(folder),
                                     created_at=_when(folder.stat().st_mtime), metrics=figures.get(step, {}))
        final = self.folder.final
        if (final / "config.json").exists() or (final / "adapter_config.json").exists():
            step = max((e.step for e in self.events if e.type == ev.FINISHED and e.step is not None),
                       default=max(found, default=0))
            found[step] = Checkpoint(id="final", step=step, model=str(final), created_at=_when(final.stat().st_mtime),
                                     metrics=figures.get(step, {}))
        return [found[step] for step in sorted(found)]
