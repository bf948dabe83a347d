"""The kinds of things the app names everywhere: accounts, providers, job states.

Plain types, apart from the pydantic models in ``backend.models`` (which re-exports them), so that the
window's first page can name them without importing pydantic (about as long as a bare window takes to
show; ``benchmarks/startup.py``).
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar


class AccountKind(str, Enum):
    """Where an account's credentials work."""

    OPENAI = "openai"
    AZURE = "azure"
    HUGGINGFACE = "huggingface"


class ProviderKind(str):
    """A place where a fine-tune runs or a model chats: any string the provider registry
    (``backend.providers.PROVIDERS``) names, so that a new provider is its module plus one registry line.

    Open, not an Enum, and interned: ``ProviderKind("openai") is ProviderKind.OPENAI``. A stored job whose kind
    no registered provider has (an older or newer version's) still loads; it is shown by its value and offers no
    actions. pydantic reads it from a string and writes it as one.
    """

    __slots__ = ()
    _interned: ClassVar[dict[str, ProviderKind]] = {}
    OPENAI: ClassVar[ProviderKind]
    AZURE: ClassVar[ProviderKind]
    HF_LOCAL: ClassVar[ProviderKind]
    HF_INFERENCE: ClassVar[ProviderKind]
    HF_JOBS: ClassVar[ProviderKind]  # reserved for Hugging Face Jobs; no provider registered yet
    HF_ENDPOINTS: ClassVar[ProviderKind]
    OLLAMA: ClassVar[ProviderKind]

    def __new__(cls, value: str) -> ProviderKind:
        if isinstance(value, ProviderKind):
            return value
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"A provider kind is a non-empty string, not {value!r}.")
        value = str(value)
        found = cls._interned.get(value)
        if found is None:
            found = cls._interned.setdefault(value, super().__new__(cls, value))
        return found

    def __repr__(self) -> str:
        return f"ProviderKind({str(self)!r})"

    def __reduce__(self):
        return (ProviderKind, (str(self),))

    def __copy__(self) -> ProviderKind:
        return self

    def __deepcopy__(self, memo) -> ProviderKind:
        return self

    @property
    def value(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(min_length=1),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"))


ProviderKind.OPENAI = ProviderKind("openai")
ProviderKind.AZURE = ProviderKind("azure")
ProviderKind.HF_LOCAL = ProviderKind("hf-local")
ProviderKind.HF_INFERENCE = ProviderKind("hf-inference")
ProviderKind.HF_JOBS = ProviderKind("hf-jobs")
ProviderKind.HF_ENDPOINTS = ProviderKind("hf-endpoints")
ProviderKind.OLLAMA = ProviderKind("ollama")


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
                   "cancelling": cls.RUNNING, "created": cls.QUEUED, "pausing": cls.RUNNING,
                   "resuming": cls.RUNNING, "completed": cls.SUCCEEDED, "error": cls.FAILED}
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
