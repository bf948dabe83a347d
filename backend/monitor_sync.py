"""One poll of one job: refresh it from its provider, store what is new, report what changed.

Kept apart from the scheduler so that the CLI, the GUI and tests share exactly one way of turning a
provider's answers into store rows. Everything here runs on a worker thread (it does network calls).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field

from backend.models import HISTORY_COMPLETE, Checkpoint, Job, JobEvent, JobStatus, MetricPoint
from backend.providers.base import Checkpoints, FindsLaunch, ListsJobs, Metrics, Trainer
from backend.store import JobStore


class PollResult(BaseModel):
    """What one poll found: the refreshed job and only the history that was new to the store."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    job: Job
    changed: bool = False
    previous_status: JobStatus | None = None
    events: list[JobEvent] = Field(default_factory=list)
    metrics: list[MetricPoint] = Field(default_factory=list)
    #: True when ``metrics`` is the whole series (the provider revised earlier points), not an append.
    metrics_replaced: bool = False
    checkpoints: list[Checkpoint] | None = None  # None: not fetched this time
    moved: bool = False  # new events, status or step: metrics and checkpoints may have changed
    #: Further records this poll added: remote jobs that one unconfirmed launch created besides ``job``.
    also: list[Job] = Field(default_factory=list)
    history_fetched: bool = False  # metrics and checkpoints were asked for in this poll

    @property
    def finished(self) -> bool:
        """The job turned terminal in this poll."""
        return self.job.status.is_terminal and self.previous_status is not None \
            and not self.previous_status.is_terminal


def history_complete(job: Job) -> bool:
    return bool((job.model_extra or {}).get(HISTORY_COMPLETE))


def _visible(job: Job) -> dict:
    """The fields whose change the user can see (``updated_at`` changes on every poll)."""
    return job.model_dump(exclude={"updated_at"})


def sync_job(store: JobStore, provider: Trainer, job: Job, *, last_event_id: str | None,
             last_step: int | None, history_due: bool = True, history_pending: bool = False,
             now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
             settle: Callable[[JobStore, FindsLaunch, Job], list[Job]] | None = None) -> PollResult:
    """Refresh ``job`` and its history from ``provider``; write everything to ``store``.

    Events after ``last_event_id`` are fetched (the store ignores duplicates, so a retried poll never
    doubles them); metrics and checkpoints are fetched only when something moved, because on most
    providers they are the expensive calls; ``history_due`` lets the scheduler space them out further
    (``history_pending``: something moved earlier and they were not fetched then).
    """
    if not (job.remote_id or job.run_dir):
        # Still being launched, or a launch whose answer was lost: the launcher writes the remote id to the
        # store; where the provider can search by launch key, each poll also looks for the job itself.
        stored = store.get_job(job.id)
        if stored is None or not (stored.remote_id or stored.run_dir):
            pending = stored or job
            if (settle is not None and pending.status is JobStatus.CREATING and isinstance(provider, FindsLaunch)
                    and stored is not None):
                changed = settle(store, provider, pending)  # ``backend.launch.settle``, given by the monitor
                if changed:
                    return PollResult(job=changed[0], changed=True, previous_status=job.status, moved=True,
                                      also=changed[1:])
            return PollResult(job=pending, previous_status=job.status)
        job = stored
    fresh = provider.get_job(job)
    if fresh.status is JobStatus.RUNNING and fresh.started_at is None:
        fresh = fresh.model_copy(update={"started_at": job.started_at or now()})
    events = provider.list_events(fresh, after=last_event_id)
    new_events = events
    if events:
        added = store.add_events(job.id, events)
        # Duplicates come from a stale ``after`` (another window stored them first): they are the oldest.
        new_events = events[len(events) - added:] if added else []
    moved = bool(events) or fresh.status is not job.status or fresh.step != job.step
    final = fresh.status.is_terminal
    result = PollResult(job=fresh, previous_status=job.status, events=new_events, moved=moved)
    result.history_fetched = final or (history_due and (moved or history_pending))
    if isinstance(provider, Metrics) and result.history_fetched:
        points = provider.metrics(fresh)
        if points:
            store.add_metrics(job.id, points)
            newer = [p for p in points if last_step is None or p.step > last_step]
            revised = final and len(newer) < len(points)  # a result file may fill in earlier steps
            result.metrics, result.metrics_replaced = (points, True) if revised else (newer, False)
            last = points[-1]
            if fresh.step is None or last.step > fresh.step:
                fresh = fresh.model_copy(update={"step": last.step})
    if isinstance(provider, Checkpoints) and result.history_fetched:
        result.checkpoints = provider.list_checkpoints(fresh)
        store.set_checkpoints(job.id, result.checkpoints)
    if final:
        fresh = fresh.model_copy(update={HISTORY_COMPLETE: True,
                                         "finished_at": fresh.finished_at or now()})
    result.changed = _visible(fresh) != _visible(job)
    stored = store.get_job(job.id)
    if stored is None:  # removed from the list while this poll ran: do not resurrect it
        result.changed = False
    else:  # the name is the user's: a rename saved while this poll ran stays
        fresh = store.save_job(fresh.model_copy(update={"name": stored.name}))
    result.job = fresh
    return result


def import_jobs(store: JobStore, provider: ListsJobs, *, limit: int | None = None) -> list[Job]:
    """Record the account's jobs that the store lacks (created elsewhere); returns the new records."""
    added: list[Job] = []
    for count, remote in enumerate(provider.list_jobs()):
        if limit is not None and count >= limit:
            break
        if not remote.remote_id or store.find_remote(remote.provider, remote.remote_id) is not None:
            continue
        added.append(store.save_job(remote))
    return added
