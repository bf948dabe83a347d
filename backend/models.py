"""Domain types that cross a boundary: accounts, training configurations, jobs, events, metrics.

Types that come from a provider accept unknown fields (providers add fields and statuses);
values that never change after creation are frozen.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from backend import bounds


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class AccountKind(str, Enum):
    """Where an account's credentials work."""

    OPENAI = "openai"
    AZURE = "azure"
    HUGGINGFACE = "huggingface"


class ProviderKind(str, Enum):
    """A place where a fine-tune runs. Several providers can share an account kind."""

    OPENAI = "openai"
    AZURE = "azure"
    HF_LOCAL = "hf-local"
    HF_JOBS = "hf-jobs"

    @property
    def account_kind(self) -> AccountKind | None:
        return {
            ProviderKind.OPENAI: AccountKind.OPENAI,
            ProviderKind.AZURE: AccountKind.AZURE,
            ProviderKind.HF_JOBS: AccountKind.HUGGINGFACE,
            ProviderKind.HF_LOCAL: AccountKind.HUGGINGFACE,  # optional: only for gated downloads
        }[self]

    @property
    def label(self) -> str:
        return {
            ProviderKind.OPENAI: "OpenAI",
            ProviderKind.AZURE: "Azure OpenAI",
            ProviderKind.HF_LOCAL: "Hugging Face (this computer)",
            ProviderKind.HF_JOBS: "Hugging Face (cloud)",
        }[self]


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


class JobStatus(str, Enum):
    """A job's state. Providers add states (``paused``, Azure's ``pending``): unknown ones map to
    ``UNKNOWN`` and the raw string is kept beside it on the job."""

    CREATING = "creating"  # recorded locally, create call not yet confirmed
    VALIDATING_FILES = "validating_files"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: str | None) -> "JobStatus":
        if not raw:
            return cls.UNKNOWN
        raw = raw.lower()
        aliases = {"pending": cls.QUEUED, "notrunning": cls.QUEUED, "canceled": cls.CANCELLED,
                   "cancelling": cls.RUNNING, "completed": cls.SUCCEEDED, "error": cls.FAILED}
        if raw in aliases:
            return aliases[raw]
        try:
            return cls(raw)
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def is_active(self) -> bool:
        return self in (JobStatus.VALIDATING_FILES, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UNKNOWN,
                        JobStatus.CREATING)


Method = Literal["supervised", "dpo", "reinforcement"]
Auto = Literal["auto"]


class Hyperparameters(BaseModel):
    """What a provider tunes. ``"auto"`` lets the provider choose. Each number is within the widest range any
    provider allows (``backend.bounds``); ``TrainingConfig`` narrows that to its provider's."""

    model_config = ConfigDict(extra="forbid")

    n_epochs: int | Auto = "auto"
    batch_size: int | Auto = "auto"
    learning_rate_multiplier: float | Auto = "auto"
    beta: float | Auto | None = None  # DPO only

    @field_validator(*bounds.HYPERPARAMETERS)
    @classmethod
    def _within_any_provider(cls, value, info: ValidationInfo):
        return bounds.check(info.field_name, value, bounds.widest(info.field_name), None)


class TrainingConfig(BaseModel):
    """Everything needed to launch a fine-tune; snapshotted into the job store and exportable."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderKind
    account_id: str | None = None
    base_model: str
    method: Method = "supervised"
    training_file: str  # a local path (or Hub dataset id) before preparation
    validation_file: str | None = None
    validation_split: float = Field(0.0, **bounds.CONFIG["validation_split"].field())
    split_seed: int = Field(42, **bounds.CONFIG["split_seed"].field())
    suffix: str | None = Field(None, min_length=1, max_length=64)  # OpenAI's limits
    seed: int | None = Field(None, **bounds.CONFIG["seed"].field())
    metadata: dict[str, str] = Field(default_factory=dict)
    hyperparameters: Hyperparameters = Field(default_factory=Hyperparameters)
    #: Provider-specific options (local trainer: LoRA rank, max length, device, ...).
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("hyperparameters")
    @classmethod
    def _within_the_providers_limits(cls, hp: Hyperparameters, info: ValidationInfo) -> Hyperparameters:
        provider = info.data.get("provider")  # absent when the provider itself was refused
        if provider is not None:
            who, table = bounds.PROVIDERS[provider.value]
            for name in bounds.HYPERPARAMETERS:
                bounds.check(name, getattr(hp, name), table[name], who)
        return hp


class DataRefs(BaseModel):
    """What ``prepare_data`` produced: provider file ids, or local paths for local training."""

    training: str
    validation: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    #: A local folder (in cache/prepared) that holds this launch's converted data until the job is created;
    #: ``backend.launch`` removes it then, whether the launch succeeded or not.
    staged: str | None = None


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
    model_deleted_at: datetime | None = None  # the fine-tuned model was deleted on the provider (the name stays)
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
