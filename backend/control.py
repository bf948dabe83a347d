"""What a user does to a job: cancel, pause, stop and save, resume, delete its model. Asked of its provider, then
recorded: the one "ask, then save" of the Jobs page (on a worker thread) and the command line (``jobs cancel``,
``jobs stop-and-save``, ``jobs resume``, ``jobs delete-model``).

Which actions a job offers is decided here from the provider's class (its optional-verb Protocols in
``backend.providers.base``) and the job's state, with no account and no network: the Jobs page shows exactly
``available(...)``. A call is gated by ``isinstance`` against the same Protocol, then dispatched to the typed
method. Whether the provider's side allows it beyond that (a finished run has nothing to resume) is the
provider's to say: it raises InvalidInput with the sentence.

Deleting a model keeps the provider's model name on the job (it is what was trained), with ``model_deleted_at``
beside it, so the Jobs page stops offering the model and the playground's catalog leaves it out; the deletion is
also one of the job's events.
"""

from __future__ import annotations

from enum import Enum

from backend.errors import CapabilityMissing, InvalidInput
from backend.models import Job, JobEvent, JobStatus, new_id, utcnow
from backend.providers import label
from backend.providers.base import (Cancels, Checkpoints, DeletesModels, Deploys, Exports, Pauses, Resumes,
                                    StopsAndSaves)
from backend.store import JobStore


class JobAction(str, Enum):
    CANCEL = "cancel"
    PAUSE = "pause"
    STOP_AND_SAVE = "stop_and_save"
    RESUME = "resume"
    DELETE_MODEL = "delete_model"
    EXPORT = "export"
    DEPLOY = "deploy"

    @property
    def verb(self) -> type:
        """The provider Protocol this action needs."""
        return _VERBS[self][0]

    @property
    def done(self) -> str:
        """How a refusal words it: "OpenAI jobs cannot be <done>"."""
        return _VERBS[self][1]


_VERBS: dict[JobAction, tuple[type, str]] = {
    JobAction.CANCEL: (Cancels, "cancelled"),
    JobAction.PAUSE: (Pauses, "paused"),
    JobAction.STOP_AND_SAVE: (StopsAndSaves, "stopped and saved"),
    JobAction.RESUME: (Resumes, "resumed"),
    JobAction.DELETE_MODEL: (DeletesModels, "deleted"),
    JobAction.EXPORT: (Exports, "exported"),
    JobAction.DEPLOY: (Deploys, "deployed"),
}


def _has(provider_cls: type | None, verb: type) -> bool:
    return provider_cls is not None and issubclass(provider_cls, verb)


def why_not(job: Job, provider_cls: type | None, action: JobAction, *, resumable: bool = False) -> str | None:
    """Why ``job`` does not offer ``action`` (a sentence), or None when it does. ``provider_cls`` is the job's
    provider class (None: a kind this version does not have); ``resumable``: a checkpoint to resume from exists."""
    who = label(job.provider)
    if not _has(provider_cls, action.verb):
        if action is JobAction.DELETE_MODEL:
            return f"{who} models cannot be deleted from Fine-Tune Studio."
        return f"{who} jobs cannot be {action.done}."
    status = job.status
    if action is JobAction.CANCEL and not (status.is_active or status is JobStatus.PAUSED):
        return f"The job is {status.value}: only a queued, running or paused job can be cancelled."
    if action in (JobAction.PAUSE, JobAction.STOP_AND_SAVE) and status is not JobStatus.RUNNING:
        return f"The job is {status.value}: only a running job can be {action.done}."
    if action is JobAction.RESUME:
        # A provider that stops and saves resumes from its own checkpoints: a stopped or failed run that left one
        # resumes too.
        from_checkpoint = (_has(provider_cls, StopsAndSaves) and resumable
                           and status in (JobStatus.FAILED, JobStatus.CANCELLED))
        if status is not JobStatus.PAUSED and not from_checkpoint:
            return f"The job is {status.value}: there is nothing to resume."
    if action in (JobAction.DELETE_MODEL, JobAction.EXPORT, JobAction.DEPLOY):
        if status is not JobStatus.SUCCEEDED or not job.fine_tuned_model:
            what = {JobAction.DELETE_MODEL: "delete", JobAction.EXPORT: "export"}.get(action, "deploy")
            return f"The job has no fine-tuned model to {what} (it is {status.value})."
    if action in (JobAction.DELETE_MODEL, JobAction.DEPLOY) and job.model_deleted_at is not None:
        return f"The model {job.fine_tuned_model} was already deleted on {job.model_deleted_at:%Y-%m-%d %H:%M} UTC."
    return None


def available(job: Job, provider_cls: type | None, *, resumable: bool = False) -> frozenset[JobAction]:
    """The actions ``job`` offers now: its provider class has the verb and the job's state allows it."""
    return frozenset(a for a in JobAction if why_not(job, provider_cls, a, resumable=resumable) is None)


def job_class(job: Job) -> type | None:
    """The job's provider class from the registry, or None for a kind this version does not have."""
    from backend.providers import PROVIDERS, provider_class

    return provider_class(job.provider) if job.provider in PROVIDERS else None


def job_facts(job: Job) -> list[str]:
    """What the job's provider says about it beyond its status (``StatesFacts``): cost so far, resources."""
    from backend.providers.base import StatesFacts

    provider_cls = job_class(job)
    return provider_cls.job_facts(job) if _has(provider_cls, StatesFacts) else []


def has_checkpoints(provider_cls: type | None) -> bool:
    """Whether the provider lists checkpoints (the Jobs page shows its Checkpoints tab)."""
    return _has(provider_cls, Checkpoints)


def _refuse(job: Job, provider: object, action: JobAction) -> None:
    if not isinstance(provider, action.verb):
        raise CapabilityMissing(why_not(job, None, action) or "")


def control(store: JobStore, provider: object, job: Job, action: JobAction | str) -> Job:
    """Ask ``provider`` to cancel, pause, stop and save or resume the job, save its answer and return it.
    Raises CapabilityMissing when the provider has no such verb; the provider raises for a state it refuses."""
    action = JobAction(action)
    _refuse(job, provider, action)
    if action is JobAction.CANCEL and isinstance(provider, Cancels):
        answer = provider.cancel(job)
    elif action is JobAction.PAUSE and isinstance(provider, Pauses):
        answer = provider.pause(job)
    elif action is JobAction.STOP_AND_SAVE and isinstance(provider, StopsAndSaves):
        answer = provider.stop_and_save(job)
    elif action is JobAction.RESUME and isinstance(provider, Resumes):
        answer = provider.resume(job)
    else:  # delete and export have their own functions (they return more than the job)
        raise InvalidInput(f"“{action.value}” is not asked through control(); use its own function.")
    return store.save_job(answer)


def delete_model(store: JobStore, provider: object, job: Job) -> tuple[Job, JobEvent]:
    """Delete the job's fine-tuned model on ``provider`` (network: call it off the GUI thread); returns the job
    as stored afterwards and the event that says so. Raises StudioError when it cannot be deleted."""
    _refuse(job, provider, JobAction.DELETE_MODEL)
    reason = why_not(job, type(provider), JobAction.DELETE_MODEL)
    if reason is not None:
        raise InvalidInput(reason)
    assert isinstance(provider, DeletesModels)  # checked by _refuse; narrows the type
    model = job.fine_tuned_model
    provider.delete_model(model)
    when = utcnow()
    event = JobEvent(id=f"studio-model-deleted-{new_id()}", created_at=when,
                     message=f"Deleted the fine-tuned model {model} on {label(job.provider)}; it can no longer be "
                             "used.")
    store.add_events(job.id, [event])
    current = store.get_job(job.id) or job  # the monitor may have saved the job meanwhile
    return store.save_job(current.model_copy(update={"model_deleted_at": when})), event
