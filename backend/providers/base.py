"""The one interface every provider implements.

A provider is built from an account (non-secret settings) and its secret. Capabilities a
provider lacks are declared in ``capabilities`` so the UI hides what cannot be done rather
than failing late; calling such a method raises ``CapabilityMissing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from backend.cancel import CancelToken, ProgressFn
from backend.kinds import ProviderKind

if TYPE_CHECKING:  # annotations only: deciding what a provider can do needs no pydantic
    from backend.models import (
        BaseModelInfo, ChatMessage, ChatParams, Checkpoint, DataRefs, Job, JobEvent, MetricPoint, TrainingConfig,
    )


class Capability(str, Enum):
    CREATE_JOB = "create_job"
    SUPERVISED = "supervised"
    DPO = "dpo"
    REINFORCEMENT = "reinforcement"
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    STOP_AND_SAVE = "stop_and_save"
    CHECKPOINTS = "checkpoints"
    METRICS = "metrics"
    IMPORT_JOBS = "import_jobs"
    DEPLOY = "deploy"
    DELETE_MODEL = "delete_model"
    CHAT = "chat"
    EXPORT = "export"


@runtime_checkable
class Provider(Protocol):
    kind: ProviderKind
    capabilities: frozenset[Capability]

    def check_account(self) -> str:
        """Call the provider once; return a sentence such as "Connected as alice". Raises StudioError."""

    def list_base_models(self) -> list[BaseModelInfo]:
        """Models this account can fine-tune, including its own fine-tuned models."""

    def prepare_data(
        self, config: TrainingConfig, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None
    ) -> DataRefs:
        """Validate, convert and upload (or stage) the training data named in ``config``."""

    def create_job(self, config: TrainingConfig, data: DataRefs, job: Job) -> Job:
        """Start the fine-tune. ``job`` is the store's record (with its idempotency key in
        ``metadata``); return it updated with the remote id and status."""

    def get_job(self, job: Job) -> Job:
        """Return ``job`` refreshed from the provider."""

    def list_jobs(self) -> Iterator[Job]:
        """Jobs on the account, newest first (for import)."""

    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]:
        """Events after the event id ``after``, oldest first."""

    def metrics(self, job: Job) -> list[MetricPoint]:
        """All metric points so far, by step."""

    def list_checkpoints(self, job: Job) -> list[Checkpoint]: ...

    def cancel(self, job: Job) -> Job: ...

    def pause(self, job: Job) -> Job: ...

    def resume(self, job: Job) -> Job: ...

    def chat_stream(
        self,
        model: str,
        messages: list[ChatMessage],
        params: ChatParams,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        """Yield text deltas of the reply as they arrive; stop promptly when ``cancel`` is set."""
