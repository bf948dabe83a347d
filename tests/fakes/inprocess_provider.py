"""An in-process provider for the scheduler's unit tests: jobs advance only when the test says so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.errors import NetworkError
from backend.models import Checkpoint, Job, JobEvent, JobStatus, MetricPoint, ProviderKind

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


class InProcessProvider:
    kind = ProviderKind.OPENAI

    def __init__(self):
        self.remote: dict[str, dict] = {}
        self.offline = False
        self.calls: list[str] = []

    def add(self, remote_id: str, status: str = "queued", total: int = 10) -> None:
        self.remote[remote_id] = {"status": status, "step": 0, "total": total, "events": [], "points": []}

    def step(self, remote_id: str, n: int = 1) -> None:
        r = self.remote[remote_id]
        r["status"] = "running"
        for _ in range(n):
            r["step"] += 1
            s = r["step"]
            r["events"].append(JobEvent(id=f"{remote_id}-e{len(r['events'])}", created_at=T0 + timedelta(seconds=s),
                                        message=f"Step {s}/{r['total']}"))
            r["points"].append(MetricPoint(step=s, train_loss=2.0 / s))
        if r["step"] >= r["total"]:
            r["status"] = "succeeded"

    def _check(self, what: str) -> None:
        self.calls.append(what)
        if self.offline:
            raise NetworkError("Could not reach the fake.")

    def get_job(self, job: Job) -> Job:
        self._check("get_job")
        r = self.remote[job.remote_id]
        return job.model_copy(update={"status": JobStatus.parse(r["status"]), "step": r["step"],
                                      "total_steps": r["total"],
                                      "fine_tuned_model": "ft:x" if r["status"] == "succeeded" else None})

    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]:
        self._check("list_events")
        events = self.remote[job.remote_id]["events"]
        ids = [e.id for e in events]
        return events[ids.index(after) + 1:] if after in ids else list(events)

    def metrics(self, job: Job) -> list[MetricPoint]:
        self._check("metrics")
        return list(self.remote[job.remote_id]["points"])

    def list_checkpoints(self, job: Job) -> list[Checkpoint]:
        self._check("list_checkpoints")
        r = self.remote[job.remote_id]
        return [Checkpoint(id=f"ck{s}", step=s, model=f"ft:x:ckpt-{s}") for s in range(5, r["step"] + 1, 5)]

    def list_jobs(self):
        self._check("list_jobs")
        for remote_id, r in self.remote.items():
            yield Job(provider=self.kind, remote_id=remote_id, status=JobStatus.parse(r["status"]),
                      name=remote_id, base_model="gpt-4o-mini")
