"""What a user does to a job: cancel, pause, stop and save, resume. Asked of its provider, then recorded.

The Jobs page (on a worker thread) and the command line (``jobs cancel``, ``jobs stop-and-save``,
``jobs resume``) share this one function, so both check the provider's declared capability the same way
and the store holds exactly what the provider answered. Whether the job's state allows the action is the
provider's to say (a finished run has nothing to resume): it raises InvalidInput with the sentence.
"""

from __future__ import annotations

from backend.errors import CapabilityMissing
from backend.models import Job
from backend.providers.base import Capability, Provider
from backend.store import JobStore

#: Each action, the capability it needs and how a refusal names it.
ACTIONS: dict[str, tuple[Capability, str]] = {
    "cancel": (Capability.CANCEL, "cancelled"),
    "pause": (Capability.PAUSE, "paused"),
    "stop_and_save": (Capability.STOP_AND_SAVE, "stopped and saved"),
    "resume": (Capability.RESUME, "resumed"),
}


def control(store: JobStore, provider: Provider, job: Job, action: str) -> Job:
    """Ask ``provider`` to ``action`` the job (a key of ``ACTIONS``), save its answer and return it."""
    capability, done = ACTIONS[action]
    if capability not in provider.capabilities:
        raise CapabilityMissing(f"{job.provider.label} jobs cannot be {done}.")
    return store.save_job(getattr(provider, action)(job))
