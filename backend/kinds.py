"""The kinds of things the app names everywhere: accounts, providers, job states.

Plain enums, apart from the pydantic models in ``backend.models`` (which re-exports them), so that the
window's first page can name them without importing pydantic (about as long as a bare window takes to
show; ``benchmarks/startup.py``).
"""

from __future__ import annotations

from enum import Enum


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
