"""What the wizard's pages build together, page by page, before it becomes a TrainingConfig.

Every page reads and writes this one object (``wizard.draft``) instead of reaching into other
pages' widgets, so pages from different providers can be combined and tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backend.models import DataSettings, Hyperparameters, ProviderKind, TrainingConfig

if TYPE_CHECKING:
    from backend.data.report import ValidationReport


@dataclass
class WizardDraft:
    provider: ProviderKind | None = None
    account_id: str | None = None
    # data page
    data_path: str | None = None
    data: DataSettings = field(default_factory=DataSettings)  # format, column mapping, dedupe, drop invalid
    validation_path: str | None = None
    validation_split: float = 0.0
    split_seed: int = 42
    report: ValidationReport | None = None  # the data page's validation report of the training file
    # model page
    base_model: str | None = None
    method: str = "supervised"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    suffix: str | None = None
    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # the provider's own (the local trainer's LoRA rank...)
    metadata: dict[str, str] = field(default_factory=dict)

    def to_config(self) -> TrainingConfig:
        """The configuration to launch, held to the provider's ranges (``backend.providers.training_config``);
        raises pydantic's ValidationError if a page left a gap or a value the provider refuses."""
        from backend.providers import training_config

        return training_config(
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
            options={**self.options, **_data_options(self.data)},
        )

    @classmethod
    def from_config(cls, config: TrainingConfig) -> WizardDraft:
        """A draft pre-filled from an earlier job's configuration (clone into the wizard)."""
        options = {k: v for k, v in config.options.items() if k not in DataSettings.OPTION_KEYS}
        return cls(
            provider=config.provider, account_id=config.account_id, data_path=config.training_file,
            data=config.data_settings, validation_path=config.validation_file,
            validation_split=config.validation_split, split_seed=config.split_seed, base_model=config.base_model,
            method=config.method, hyperparameters=config.hyperparameters, suffix=config.suffix, seed=config.seed,
            options=options, metadata=dict(config.metadata),
        )


def _data_options(data: DataSettings) -> dict[str, Any]:
    """``data`` as ``TrainingConfig.options`` has always kept it (``DataSettings.from_options`` reads it back):
    the format and mapping when chosen, both switches always (a job's record says what was asked)."""
    values = data.model_dump()
    return {key: values[name] for key, name in DataSettings.OPTION_KEYS.items() if values[name] not in (None, {})}
