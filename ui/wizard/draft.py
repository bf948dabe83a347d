"""What the wizard's pages build together, page by page, before it becomes a TrainingConfig.

Every page reads and writes this one object (``wizard.draft``) instead of reaching into other
pages' widgets, so pages from different providers can be combined and tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.models import Hyperparameters, ProviderKind, TrainingConfig


@dataclass
class WizardDraft:
    provider: ProviderKind | None = None
    account_id: str | None = None
    # data page
    data_path: str | None = None
    data_format: str | None = None  # None: detected
    column_mapping: dict[str, str] | None = None  # CSV/TSV: role -> column
    validation_path: str | None = None
    validation_split: float = 0.0
    split_seed: int = 42
    report: Any = None  # backend.data's validation report of the training file
    # model page
    base_model: str | None = None
    method: str = "supervised"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    suffix: str | None = None
    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)

    def to_config(self) -> TrainingConfig:
        """The configuration to launch; raises pydantic's ValidationError if a page left a gap."""
        return TrainingConfig(
            provider=self.provider,
            account_id=self.account_id,
            base_model=self.base_model or "",
            method=self.method,
            training_file=self.data_path or "",
            validation_file=self.validation_path,
            validation_split=self.validation_split,
            split_seed=self.split_seed,
            suffix=self.suffix or None,
            seed=self.seed,
            metadata=dict(self.metadata),
            hyperparameters=self.hyperparameters,
            options={**self.options, **({"data_format": self.data_format} if self.data_format else {}),
                     **({"column_mapping": self.column_mapping} if self.column_mapping else {})},
        )

    @classmethod
    def from_config(cls, config: TrainingConfig) -> "WizardDraft":
        """A draft pre-filled from an earlier job's configuration (clone into the wizard)."""
        options = dict(config.options)
        return cls(
            provider=config.provider, account_id=config.account_id, data_path=config.training_file,
            data_format=options.pop("data_format", None), column_mapping=options.pop("column_mapping", None),
            validation_path=config.validation_file, validation_split=config.validation_split,
            split_seed=config.split_seed, base_model=config.base_model, method=config.method,
            hyperparameters=config.hyperparameters, suffix=config.suffix, seed=config.seed,
            options=options, metadata=dict(config.metadata),
        )
