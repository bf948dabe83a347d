"""What validation finds: findings with line and check, counts per check, and the data's statistics.

These cross the boundary to the UI, the CLI and the job store, so they are pydantic models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.data.checks import CHECKS, MAX_FINDINGS_PER_CHECK, Severity  # noqa: F401
from backend.data.formats import DataFormat
from backend.models import PriceEstimate  # noqa: F401  (re-exported: it lives with CostEstimate)



class Finding(BaseModel):
    """One problem at one place: ``line`` is 1-based (record number for non-line formats), 0 for the whole file."""

    model_config = ConfigDict(frozen=True)

    line: int
    column: int | None = None
    check: str
    severity: Severity
    message: str
    how_to_fix: str


class Histogram(BaseModel):
    """Tokens-per-example counts in equal-width bins: ``edges`` has one more item than ``counts``."""

    edges: list[float] = Field(default_factory=list)
    counts: list[int] = Field(default_factory=list)


class Distribution(BaseModel):
    """Summary of a per-example figure (messages or tokens)."""

    min: int = 0
    max: int = 0
    mean: float = 0.0
    median: float = 0.0
    p5: float = 0.0
    p95: float = 0.0


class Stats(BaseModel):
    examples: int = 0  # records read, valid or not
    valid_examples: int = 0
    messages: Distribution = Field(default_factory=Distribution)
    tokens: Distribution = Field(default_factory=Distribution)
    histogram: Histogram = Field(default_factory=Histogram)
    longest: list[tuple[int, int]] = Field(default_factory=list)  # (line, tokens), longest first
    total_tokens: int = 0
    billed_tokens_per_epoch: int = 0  # tokens the provider bills per epoch (capped at the context length)
    default_epochs: int = 1
    billed_tokens: int = 0  # per epoch x default epochs
    tokenizer: str = ""  # "o200k_base", "cl100k_base", or a local tokenizer folder
    duplicates: int = 0
    without_system: int = 0  # valid conversations without a system message (the cookbook's count)
    without_user: int = 0  # ... and without a user message


class ValidationReport(BaseModel):
    """Everything one validation pass learned about a file."""

    path: str
    format: DataFormat
    method: Literal["supervised", "dpo"] = "supervised"
    provider: str | None = None  # whose rules were applied: as given, or inferred from the model
    provider_inferred: bool = False
    rules: str = ""  # which provider's rules were applied and why, as a sentence
    model: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)  # check -> findings, exact even when truncated
    stats: Stats = Field(default_factory=Stats)
    price: PriceEstimate | None = None
    minimum_examples: int = 0
    context_length: int | None = None  # tokens per example checked against (None: not checked)
    elapsed_seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def error_count(self) -> int:
        return sum(n for check, n in self.counts.items() if CHECKS[check].severity is Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(n for check, n in self.counts.items() if CHECKS[check].severity is Severity.WARNING)

    @property
    def invalid_examples(self) -> int:
        return self.stats.examples - self.stats.valid_examples

    @property
    def ok(self) -> bool:
        """No errors at all: the file can be uploaded as it is."""
        return self.error_count == 0

    @property
    def usable(self) -> bool:
        """Usable once the invalid examples are dropped (counted, on request): enough valid examples
        and no error that concerns the whole file."""
        if self.ok:
            return True
        file_level = any(f.line == 0 and f.severity is Severity.ERROR and f.check != "too_few_examples"
                         for f in self.findings)
        return not file_level and self.stats.valid_examples >= max(1, self.minimum_examples)
