"""Launch a fine-tune on any provider, recorded so that a crash never loses or duplicates a job.

The order is the point: prepare (validate, upload), record the job as CREATING with a fresh launch
key in its metadata, call create, record the result. If the app dies or the network fails between
the record and the answer, ``reconcile_pending`` later finds the remote job by that key (the
provider stores it with the job) instead of creating a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from backend.cancel import CancelToken, ProgressFn
from backend.errors import NetworkError, StudioError
from backend.models import Job, JobStatus, TrainingConfig, new_id, utcnow
from backend.store import JobStore

LAUNCH_KEY = "fts_launch"  # metadata field: this launch's idempotency key
RECONCILE_SCAN = 200  # remote jobs looked at per account when reconciling
#: A CREATING job younger than this may belong to a launch still under way (another window, the CLI).
RECONCILE_GRACE_SECONDS = 180
_log = logging.getLogger(__name__)


def job_name(config: TrainingConfig) -> str:
    model = config.base_model.rstrip("/").split("/")[-1]
    return f"{model} · {config.suffix}" if config.suffix else model


def launch(config: TrainingConfig, *, store: JobStore, progress: ProgressFn | None = None,
           cancel: CancelToken | None = None, provider=None) -> Job:
    """Prepare the data, then create the job on the provider; returns the recorded job."""
    if provider is None:
        from backend.providers import open_provider

        provider = open_provider(config.provider, config.account_id)
    data = provider.prepare_data(config, progress=progress, cancel=cancel)
    if cancel is not None:
        cancel.raise_if_cancelled()  # the last moment a launch can be cancelled without leaving a job
    job = Job(provider=config.provider, account_id=config.account_id, name=job_name(config),
              base_model=config.base_model, method=config.method, status=JobStatus.CREATING,
              config={**config.model_dump(mode="json"), "data_refs": data.model_dump(mode="json")},
              data_summary=data.summary, metadata={LAUNCH_KEY: new_id()})
    store.save_job(job)
    try:
        created = provider.create_job(config, data, job)
    except NetworkError:
        raise  # the job may exist: it stays CREATING for reconcile_pending
    except StudioError as exc:
        # The provider answered and refused: nothing was created, so the record says why and stops.
        store.save_job(job.model_copy(update={"status": JobStatus.FAILED, "error": str(exc),
                                              "finished_at": utcnow()}))
        raise
    return store.save_job(created.model_copy(update={"id": job.id}))


def reconcile_pending(store: JobStore, *, open_provider: Callable | None = None,
                      grace_seconds: float = RECONCILE_GRACE_SECONDS) -> list[Job]:
    """Resolve jobs left CREATING by a crash: adopt the remote job with their launch key, or mark
    them failed when the provider has none and the launch is older than ``grace_seconds``. Returns
    the jobs it changed; unreachable providers are left for the next start."""
    if open_provider is None:
        from backend.providers import open_provider
    pending = store.list_jobs(status=[JobStatus.CREATING])
    changed: list[Job] = []
    by_account: dict[tuple, list[Job]] = {}
    for job in pending:
        by_account.setdefault((job.provider, job.account_id), []).append(job)
    for (kind, account_id), jobs in by_account.items():
        try:
            provider = open_provider(kind, account_id)
            remote_jobs = _recent(provider)
        except StudioError as exc:
            _log.warning("Could not reconcile %d launch(es) on %s: %s", len(jobs), kind.value, exc)
            continue
        for job in jobs:
            match = next((r for r in remote_jobs if _same_launch(job, r)), None)
            if match is not None:
                adopted = match.model_copy(update={
                    "id": job.id, "name": job.name, "config": {**job.config, **match.config},
                    "data_summary": job.data_summary, "metadata": {**match.metadata, **job.metadata},
                    "created_at": job.created_at})
                changed.append(store.save_job(adopted))
            elif (utcnow() - job.updated_at).total_seconds() >= grace_seconds:
                changed.append(store.save_job(job.model_copy(update={
                    "status": JobStatus.FAILED, "finished_at": utcnow(),
                    "error": "The launch was interrupted before the provider created the job; nothing is running. "
                             "Clone this job to launch it again."})))
    return changed


def _recent(provider) -> list[Job]:
    out = []
    for remote in provider.list_jobs():
        out.append(remote)
        if len(out) >= RECONCILE_SCAN:
            break
    return out


def _same_launch(job: Job, remote: Job) -> bool:
    key = job.metadata.get(LAUNCH_KEY)
    return bool(key and remote.metadata.get(LAUNCH_KEY) == key) or remote.id == job.id
