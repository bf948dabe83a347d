"""Domain types that cross a boundary: accounts, training configurations, jobs, events, metrics.

Types that come from a provider accept unknown fields (providers add fields and statuses);
values that never change after creation are frozen.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.kinds import AccountKind, JobStatus, ProviderKind  # noqa: F401 - re-exported


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Account(BaseModel):
    """An account's non-secret settings. Its secret lives in the OS keyring under ``id``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=new_id)
    name: str
    kind: AccountKind
    # OpenAI
    organization: str | None = None
    project: str | None = None
    base_url: str | None = None
    # Azure OpenAI (``endpoint`` is also a Hugging Face account's Hub URL, for a private Hub)
    endpoint: str | None = None
    api_version: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    resource_name: str | None = None


Method = Literal["supervised", "dpo", "reinforcement"]
Auto = Literal["auto"]


class Hyperparameters(BaseModel):
    """What a provider tunes. ``"auto"`` lets the provider choose."""

    model_config = ConfigDict(extra="forbid")

    n_epochs: int | Auto = "auto"
    batch_size: int | Auto = "auto"
    learning_rate_multiplier: float | Auto = "auto"
    beta: float | Auto | None = None  # DPO only


class TrainingConfig(BaseModel):
    """Everything needed to launch a fine-tune; snapshotted into the job store and exportable."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderKind
    account_id: str | None = None
    base_model: str
    method: Method = "supervised"
    training_file: str  # a local path (or Hub dataset id) before preparation
    validation_file: str | None = None
    validation_split: float = 0.0
    split_seed: int = 42
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    hyperparameters: Hyperparameters = Field(default_factory=Hyperparameters)
    #: Provider-specific options (local trainer: LoRA rank, max length, device, ...).
    options: dict[str, Any] = Field(default_factory=dict)


class DataRefs(BaseModel):
    """What ``prepare_data`` produced: provider file ids, or local paths for local training."""

    training: str
    validation: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict)


class Job(BaseModel):
    """A job the user launched or imported. The job store keeps one of these per job."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(default_factory=new_id)
    provider: ProviderKind
    account_id: str | None = None
    name: str = ""
    remote_id: str | None = None
    run_dir: str | None = None
    base_model: str = ""
    method: str = "supervised"
    status: JobStatus = JobStatus.CREATING
    status_raw: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    estimated_finish: datetime | None = None
    fine_tuned_model: str | None = None
    error: str | None = None
    step: int | None = None
    total_steps: int | None = None
    trained_tokens: int | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    data_summary: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def progress(self) -> float | None:
        if self.status is JobStatus.SUCCEEDED:
            return 1.0
        if self.step is not None and self.total_steps:
            return max(0.0, min(1.0, self.step / self.total_steps))
        return None


class JobEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    created_at: datetime
    level: str = "info"
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None


class MetricPoint(BaseModel):
    """One training step's figures. Missing figures stay ``None``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    step: int
    train_loss: float | None = None
    valid_loss: float | None = None
    train_accuracy: float | None = None
    valid_accuracy: float | None = None
    learning_rate: float | None = None
    tokens: int | None = None
    epoch: float | None = None
    time: float | None = None  # seconds since the epoch


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    step: int
    model: str  # a model name to chat with, or a local folder
    created_at: datetime | None = None
    metrics: dict[str, float] = Field(default_factory=dict)


class BaseModelInfo(BaseModel):
    """A model the user can fine-tune (or chat with)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    label: str = ""
    context_length: int | None = None
    owned_by: str | None = None
    shutdown_date: str | None = None
    fine_tuned: bool = False
    parameters: int | None = None
    methods: tuple[str, ...] = ("supervised",)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str


class ChatParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = 512
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None
