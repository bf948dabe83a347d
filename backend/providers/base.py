"""The provider contract: the facts every provider class declares, and its optional verbs as Protocols.

A provider is built from an account (non-secret settings) and its secret. What it *is* (label, account it
needs, data it trains on, wizard page, poll cadence, hyperparameter ranges) are class attributes of
``ProviderBase``, readable without an account or the network. What it *can do* beyond that are small
method-only ``@runtime_checkable`` Protocols (``Cancels``, ``StopsAndSaves``, ``PreviewsRequest``...):
``issubclass(cls, Cancels)`` decides what the UI offers, ``isinstance(provider, Cancels)`` gates the call.
Nothing probes a provider with ``getattr`` or by catching ``AttributeError``.

"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Protocol, runtime_checkable

from backend.bounds import Range
from backend.cancel import CancelToken, ProgressFn
from backend.data.profile import DataProfile
from backend.models import (
    Account,
    AccountKind,
    BaseModelInfo,
    ChatMessage,
    ChatParams,
    Checkpoint,
    DataRefs,
    Job,
    JobEvent,
    Method,
    MetricPoint,
    ModelRef,
    ProviderKind,
    TrainingConfig,
)

#: Metadata field of a job: its launch's idempotency key (``backend.launch`` sets it; providers search by it).
LAUNCH_KEY = "fts_launch"
#: Remote jobs looked at per account when a provider cannot search by key.
RECONCILE_SCAN = 200


class AccountNeed(str, Enum):
    NONE = "none"  # never uses an account (no keyring read)
    OPTIONAL = "optional"  # works without one; an account adds something (gated downloads)
    REQUIRED = "required"  # cannot work without one (or the environment's key, for ``FromEnvironment``)


@dataclass(frozen=True)
class AccountSpec:
    """Which account a provider needs, and how the wizard and errors speak of it."""

    need: AccountNeed
    kind: AccountKind | None = None
    none_choice: str = ""  # OPTIONAL: the account list's item for "no account"
    missing: str = ""  # REQUIRED and none given: the sentence ("<label> needs an account." when empty)
    missing_hint: str = ""
    secret_noun: str = "API key"


class ModelPage(str, Enum):
    """Which wizard page picks the base model."""

    HOSTED = "hosted"  # the provider's model list
    LOCAL = "local"  # a Hub id or folder, with the hardware check


@dataclass(frozen=True)
class TrainingTier:
    """One place a service can train (Azure's training types): its name, one line on what it means, and the value
    the service's API takes for it."""

    label: str
    explanation: str
    wire: str


class CostKind(str, Enum):
    """What a run costs the user, for the review: how it is worded and which figures it shows."""

    TOKENS = "tokens"  # the provider bills trained tokens (or, with no price table, nothing)
    THIS_COMPUTER = "this-computer"  # time, memory and disk of this computer; no money


class PollCadence(str, Enum):
    REMOTE = "remote"  # a service: poll slowly, faster while running
    FREE = "free"  # on this computer: polling costs nothing, poll often in every state


class ProviderBase:
    """What every provider class declares. Subclass it and set the facts; the registry
    (``backend.providers.PROVIDERS``) names the class, and every screen and command reads the facts from there."""

    kind: ClassVar[ProviderKind]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    account: ClassVar[AccountSpec] = AccountSpec(AccountNeed.NONE)
    data: ClassVar[DataProfile | None] = None  # None: trains nothing (chat only)
    methods: ClassVar[frozenset[Method]] = frozenset()
    model_page: ClassVar[ModelPage | None] = None
    poll: ClassVar[PollCadence] = PollCadence.REMOTE
    hyperparameter_ranges: ClassVar[Mapping[str, Range]] = {}
    #: How a refusal names the provider when it words a range ("OpenAI allows 1 to 50"); None: ``label``.
    ranges_named: ClassVar[str | None] = None
    recommended_model: ClassVar[str | None] = None  # the hosted model page preselects it
    runs_local_folders: ClassVar[bool] = False  # `chat --model FOLDER`, the playground's "Choose a folder"
    #: Where the service can train, by the option value ``TrainingConfig.options["training_type"]`` holds (empty:
    #: the service has one way, nothing to choose).
    training_types: ClassVar[Mapping[str, TrainingTier]] = {}

    #: Trains on hardware rented by the hour: the options ``flavor``, ``timeout_seconds`` and ``budget_usd`` apply.
    rents_hardware: ClassVar[bool] = False
    model_id_prompt: ClassVar[str | None] = None  # the playground's "Hub model…" entry
    cost_kind: ClassVar[CostKind] = CostKind.TOKENS
    #: Where the training runs, for the review ("On OpenAI's servers."); empty: said from ``label``.
    runs_on: ClassVar[str] = ""
    #: What Launch does, in one sentence for the review; empty: said from ``label``.
    launch_sentence: ClassVar[str] = ""
    #: Seconds after a create request was sent that it may still land (0: creates synchronously).
    create_in_flight_seconds: float = 0.0
    #: A one-way fingerprint of the credentials when they came from the environment (no saved account).
    credentials_tag: str | None = None

    def __init__(self, account: Account | None = None, secret: str | None = None):
        self.account = account
        self.account_id = account.id if account else None
        self.secret = secret or None

    @classmethod
    def where(cls) -> str:
        """Where the training runs, in a sentence."""
        return cls.runs_on or f"On {cls.label}'s servers."

    @classmethod
    def on_launch(cls) -> str:
        """What the Launch button does, in a sentence."""
        return cls.launch_sentence or (f"Launch checks the data, sends it to {cls.label} and starts the "
                                       "fine-tune; follow it in Jobs.")

    @classmethod
    def auto_epochs(cls, examples: int) -> int | None:
        """The epochs "Auto" means for ``examples`` training examples; None: the provider decides, unsaid."""
        return None

    @classmethod
    def claims_model(cls, model: str) -> bool:
        """Whether a model id (or folder) can only mean this provider: how a command that names a model and no
        provider picks one. Asked in registry order."""
        return False



# -- optional verbs ---------------------------------------------------------------------------------------
@runtime_checkable
class Trainer(Protocol):
    def list_base_models(self) -> list[BaseModelInfo]: ...
    def prepare_data(self, config: TrainingConfig, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> DataRefs: ...
    def create_job(self, config: TrainingConfig, data: DataRefs, job: Job) -> Job: ...
    def get_job(self, job: Job) -> Job: ...
    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]: ...


@runtime_checkable
class ChecksAccount(Protocol):
    def check_account(self, *, timeout: float) -> str:
        """Call the provider once; return a sentence such as "Connected as alice". Raises StudioError."""


@runtime_checkable
class Metrics(Protocol):
    def metrics(self, job: Job) -> list[MetricPoint]: ...


@runtime_checkable
class Checkpoints(Protocol):
    def list_checkpoints(self, job: Job) -> list[Checkpoint]: ...


@runtime_checkable
class ListsJobs(Protocol):
    def list_jobs(self) -> Iterator[Job]:
        """Jobs on the account, newest first (import, and the reconcile scan)."""


@runtime_checkable
class FindsLaunch(Protocol):
    def find_launched(self, key: str) -> list[Job]:
        """Every remote job created by the launch with this key, oldest first."""


@runtime_checkable
class Cancels(Protocol):
    def cancel(self, job: Job) -> Job: ...


@runtime_checkable
class Pauses(Protocol):
    def pause(self, job: Job) -> Job: ...


@runtime_checkable
class Resumes(Protocol):
    def resume(self, job: Job) -> Job: ...


@runtime_checkable
class StopsAndSaves(Protocol):
    def stop_and_save(self, job: Job) -> Job: ...


@runtime_checkable
class DeletesModels(Protocol):
    def delete_model(self, model: str) -> None: ...


@runtime_checkable
class Exports(Protocol):
    def export(self, job: Job, request: Any, *, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> Any:
        """Export the trained model as ``request`` (``backend.training.export.ExportRequest``) asks."""


@runtime_checkable
class Deploys(Protocol):
    """Hosts the account's fine-tuned models for chat (Azure OpenAI's deployments, through Azure's management API)."""

    def deployments(self, *, prompt: Any = None) -> Any:
        """The account's deployment manager (``backend.providers.azure_deploy.Deployments``); ``prompt`` shows a
        sign-in's instructions (a device code) to the user."""


@runtime_checkable
class PreviewsRequest(Protocol):
    def job_request(self, config: TrainingConfig, data: DataRefs, job: Job) -> dict:
        """The body of the create call as it will be sent (the review page shows it)."""


@runtime_checkable
class Chats(Protocol):
    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]: ...


@dataclass
class Completion:
    """One whole reply with what the provider reported for it: its text, its tool calls (``{"name",
    "arguments"}``, arguments as sent) and the tokens it billed (None where the provider reports none)."""

    text: str = ""
    tool_calls: list[dict] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@runtime_checkable
class Completes(Protocol):
    """One whole reply per call, with the provider's own token counts (evaluation measures cost with them).
    A refusal to slow down raises ``RateLimited`` carrying the provider's ``retry_after`` seconds; the call is
    sent once (no SDK retries): the caller decides when to send again."""

    def complete(self, model: str, messages: list[ChatMessage], params: ChatParams, *,
                 tools: list[dict] | None = None) -> Completion: ...


@runtime_checkable
class CompletesBatch(Protocol):
    """Many replies from one ``generate`` call (a local model: left-padded prompts, one batch)."""

    def complete_batch(self, model: str, conversations: list[list[ChatMessage]], params: ChatParams,
                       cancel: CancelToken | None = None) -> list[Completion]: ...


@runtime_checkable
class ListsChatModels(Protocol):
    def chat_models(self) -> list[BaseModelInfo]: ...


@runtime_checkable
class LoadsModel(Protocol):
    def load(self, model: str, *, adapter: str | None = None, progress: ProgressFn | None = None,
             cancel: CancelToken | None = None) -> Any: ...


@runtime_checkable
class JobModels(Protocol):
    def job_models(self, job: Job) -> list[ModelRef]: ...
    def base_model_ref(self, job: Job) -> ModelRef | None: ...


@runtime_checkable
class FromEnvironment(Protocol):
    def from_environment(self) -> Any:
        """A classmethod: the provider with the SDK's own environment variables, or None when they are unset."""


@runtime_checkable
class WarmsUp(Protocol):
    def warm_up(self) -> None: ...


@runtime_checkable
class StatesFacts(Protocol):
    def job_facts(self, job: Job) -> list[str]:
        """A classmethod: lines the Jobs page shows under a job's status (cost so far, resource use), read from
        the job's record alone (no network), so the page needs to know nothing of the provider."""


#: Every optional verb, for tables and tests.
VERBS: tuple[type, ...] = (Trainer, ChecksAccount, Metrics, Checkpoints, ListsJobs, FindsLaunch, Cancels, Pauses,
                           Resumes, StopsAndSaves, DeletesModels, Exports, Deploys, PreviewsRequest, Chats,
                           Completes, CompletesBatch, ListsChatModels, LoadsModel, JobModels, FromEnvironment, WarmsUp, StatesFacts)


def launched_jobs(provider: Any, job: Job) -> list[Job]:
    """The provider's jobs created by the launch of ``job``: by its key where the provider can search for it
    (``FindsLaunch``), else among its most recent jobs (a local run carries the record's id). The one search
    for a launch, used by the launch itself, its retry and the monitor."""
    key = job.metadata.get(LAUNCH_KEY)
    if key and isinstance(provider, FindsLaunch):
        return list(provider.find_launched(key))
    if not isinstance(provider, ListsJobs):
        return []
    found = []
    for count, remote in enumerate(provider.list_jobs()):
        if count >= RECONCILE_SCAN:
            break
        if (key and remote.metadata.get(LAUNCH_KEY) == key) or remote.id == job.id:
            found.append(remote)
    return found


#: What the create request shows for values that exist only once the launch is under way.
PLACEHOLDER_KEY = "<set at launch>"


def request_preview(provider: Any, config: TrainingConfig) -> dict | None:
    """The create request ``provider`` will send for ``config``, with placeholders for the uploaded files and
    the launch key; None when the provider has no such request to show (not ``PreviewsRequest``)."""
    if not isinstance(provider, PreviewsRequest):
        return None
    data = DataRefs(training="<training file id, after upload>",
                    validation="<validation file id, after upload>"
                    if config.validation_file or config.validation_split else None)
    return provider.job_request(config, data, Job(provider=config.provider, metadata={LAUNCH_KEY: PLACEHOLDER_KEY}))
