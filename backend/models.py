"""Domain types that cross a boundary: accounts, training configurations, jobs, events, metrics.

Types that come from a provider accept unknown fields (providers add fields and statuses);
values that never change after creation are frozen.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from backend import bounds

from backend.kinds import AccountKind, JobStatus, ProviderKind  # noqa: F401 - re-exported


#: A job's extra field: its history (events, metrics, checkpoints) was fetched after it ended.
HISTORY_COMPLETE = "history_complete"


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
    azure_sign_in: str | None = None  # how the management API signs in: "cli", "browser" or "device_code"
    azure_identity: str | None = None  # who signed in last (shown on the account; not a secret)


Method = Literal["supervised", "dpo", "reinforcement"]
Auto = Literal["auto"]


#: Validation-context key of ``TrainingConfig``: (the name a refusal gives the provider, its ranges by field).
RANGES_CONTEXT = "hyperparameter_ranges"


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
        """The provider's range where the caller gave it (``backend.providers.training_config`` passes it as the
        validation context, which reaches this nested model too), else the widest any provider allows."""
        who, table = (info.context or {}).get(RANGES_CONTEXT) or (None, {})
        allowed = table.get(info.field_name) or bounds.widest(info.field_name)
        return bounds.check(info.field_name, value, allowed, who if info.field_name in table else None)


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
        """The provider's ranges come from the caller (``backend.providers.training_config`` passes its class's
        ``hyperparameter_ranges`` as the validation context): this kernel module never imports the registry.
        Checked here too because a ``Hyperparameters`` object given whole is not validated again. Built directly,
        a configuration holds only what ``Hyperparameters`` does (the widest range any provider allows)."""
        ranges = (info.context or {}).get(RANGES_CONTEXT)
        if ranges is not None:
            who, table = ranges
            for name in bounds.HYPERPARAMETERS:
                if name in table:
                    bounds.check(name, getattr(hp, name), table[name], who)
        return hp

    @property
    def data_settings(self) -> DataSettings:
        """How the data are read and staged, as the data page chose (kept in ``options`` by older records)."""
        return DataSettings.from_options(self.options)


class DataSettings(BaseModel):
    """How the training file is read and staged, chosen once on the data page (or the command line) and passed
    whole to preparation, so that no provider forgets a field (the CSV mapping an OpenAI launch once lost)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str | None = None  # a ``backend.data.DataFormat`` value; None: detected from the file
    column_mapping: dict[str, str] | None = None
    dedupe: bool = False
    drop_invalid: bool = False

    #: Where ``TrainingConfig.options`` keeps these today (the wizard's draft writes them there).
    OPTION_KEYS: ClassVar[dict[str, str]] = {"data_format": "format", "column_mapping": "column_mapping",
                                             "dedupe": "dedupe", "drop_invalid": "drop_invalid"}

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> DataSettings:
        found = {field: options[key] for key, field in cls.OPTION_KEYS.items() if options.get(key) is not None}
        return cls(**{k: (bool(v) if k in ("dedupe", "drop_invalid") else v) for k, v in found.items()})


class PriceEstimate(BaseModel):
    """An estimate from the dated price table in resources/prices.json."""

    model_config = ConfigDict(frozen=True)

    amount_usd: float
    usd_per_million_tokens: float
    billed_tokens: int
    model: str
    as_of: str
    source: str


class CostEstimate(BaseModel):
    """What training on the training share costs: the one figure the review page, the command line and the job
    record show (computed by ``backend.data.cost.training_cost``)."""

    model_config = ConfigDict(frozen=True)

    training_examples: int
    epochs: int
    tokens_per_epoch: int  # billed tokens of the training share, per epoch
    billed_tokens: int  # tokens_per_epoch x epochs
    price: PriceEstimate | None = None  # None: no price known (or nothing is billed)
    free: bool = False  # the provider bills nothing (training on this computer)


class DataSummary(BaseModel):
    """What preparation says about the data a job trains on (``DataRefs.summary``, ``Job.data_summary``).

    Older records used other names (local runs: ``examples``); they are read into these fields. Providers may
    add fields of their own."""

    model_config = ConfigDict(extra="allow")

    source: str = ""
    training_examples: int = 0
    validation_examples: int = 0
    dropped_duplicates: int | None = None  # present only when asked for
    dropped_invalid: int | None = None
    tokens: int | None = None  # of the training share
    longest_tokens: int | None = None
    cost: CostEstimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and "examples" in data and "training_examples" not in data:
            data = {**data, "training_examples": data["examples"]}
        if isinstance(data, dict) and "training_file" in data and not data.get("source"):
            data = {**data, "source": data["training_file"]}
        return data


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

    def training_config(self) -> TrainingConfig | None:
        """The configuration this job was launched with, or None where its record holds none that reads (an
        imported job, a record from before a field's bounds; clone then starts from the parts that read)."""
        fields = {k: v for k, v in self.config.items() if k in TrainingConfig.model_fields}
        try:
            return TrainingConfig.model_validate(fields)
        except ValueError:
            return None

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
    #: Azure lists two retirements per model: the last day it can be fine-tuned, the last day it can be deployed.
    training_until: str | None = None
    deployable_until: str | None = None
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


RefKind = Literal["base", "fine-tuned", "checkpoint", "local", "adapter", "hub"]


class ModelRef(BaseModel):
    """A model to chat with: where it runs (provider and account) and its name there. ``provider`` None: no
    model picked yet."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    provider: ProviderKind | None
    account_id: str | None = None
    model: str
    label: str = ""
    kind: RefKind = "base"

    @model_validator(mode="before")
    @classmethod
    def _hub_refs_had_the_jobs_kind(cls, data: Any) -> Any:
        """Conversations saved before Hub chat had a kind of its own stored it as ``hf-jobs``."""
        if isinstance(data, dict) and data.get("kind") == "hub" and data.get("provider") == ProviderKind.HF_JOBS:
            data = {**data, "provider": ProviderKind.HF_INFERENCE}
        return data

    @property
    def title(self) -> str:
        return self.label or self.model

    @property
    def key(self) -> tuple:
        return (self.provider.value if self.provider else None, self.account_id, self.model)
