"""Deleting a finished job's fine-tuned model on its provider, and recording that on the job.

The provider's model name stays on the job (it is what was trained), with ``model_deleted_at`` beside it,
so the job page stops offering the model and the playground's catalog leaves it out; the deletion is also
one of the job's events. The Jobs page and ``jobs delete-model`` both go through here.
"""

from __future__ import annotations

from backend.errors import CapabilityMissing, InvalidInput
from backend.models import Job, JobEvent, JobStatus, new_id, utcnow
from backend.providers.base import Capability, Provider
from backend.store import JobStore


def why_not(job: Job, capabilities: frozenset[Capability]) -> str | None:
    """Why ``job``'s model cannot be deleted, or None when it can."""
    if Capability.DELETE_MODEL not in capabilities:
        return f"{job.provider.label} models cannot be deleted from Fine-Tune Studio."
    if job.status is not JobStatus.SUCCEEDED or not job.fine_tuned_model:
        return f"The job has no fine-tuned model to delete (it is {job.status.value})."
    if job.model_deleted_at is not None:
        return f"The model {job.fine_tuned_model} was already deleted on {job.model_deleted_at:%Y-%m-%d %H:%M} UTC."
    return None


def can_delete(job: Job, capabilities: frozenset[Capability]) -> bool:
    return why_not(job, capabilities) is None


def delete_job_model(store: JobStore, provider: Provider, job: Job) -> tuple[Job, JobEvent]:
    """Delete the job's fine-tuned model on ``provider`` (network: call it off the GUI thread); returns the job
    as stored afterwards and the event that says so. Raises StudioError when it cannot be deleted."""
    reason = why_not(job, provider.capabilities)
    if reason is not None:
        raise (CapabilityMissing if Capability.DELETE_MODEL not in provider.capabilities else InvalidInput)(reason)
    model = job.fine_tuned_model
    provider.delete_model(model)
    when = utcnow()
    event = JobEvent(id=f"studio-model-deleted-{new_id()}", created_at=when,
                     message=f"Deleted the fine-tuned model {model} on {job.provider.label}; it can no longer be "
                             "used.")
    store.add_events(job.id, [event])
    current = store.get_job(job.id) or job  # the monitor may have saved the job meanwhile
    return store.save_job(current.model_copy(update={"model_deleted_at": when})), event
