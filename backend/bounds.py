"""The allowed range of every hyperparameter, per provider, and pydantic's refusals as one sentence.

The tables serve three readers: the pydantic constraints of ``TrainingConfig`` and the local trainer's
``TrainSettings`` (so no configuration with an out-of-range value exists), the wizard's spin boxes (their
minimum and maximum) and the messages of the wizard and the command line ("--epochs 0 is out of range:
OpenAI allows 1 to 50."). OpenAI's ranges are those of its published API description
(``FineTuneSupervisedHyperparameters``, ``FineTuneDPOHyperparameters``, ``CreateFineTuningJobRequest``);
Azure OpenAI serves the same API. Training on this computer has no published limits: its ranges are
sensible ones (a run of more than 100 epochs or a learning rate above 1 is a mistake, not a choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from backend.errors import InvalidInput


@dataclass(frozen=True)
class Range:
    """Numbers from ``low`` to ``high`` (None: no bound); an open end excludes the bound itself."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.high_open and value == self.high))

    def describe(self) -> str:
        """"1 to 50", "more than 0", "more than 0 and at most 2", "at least 1"."""
        if self.low is not None and self.high is not None and not (self.low_open or self.high_open):
            return f"{number(self.low)} to {number(self.high)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'more than' if self.low_open else 'at least'} {number(self.low)}")
        if self.high is not None:
            parts.append(f"{'less than' if self.high_open else 'at most'} {number(self.high)}")
        return " and ".join(parts) or "any number"

    def field(self) -> dict[str, float]:
        """The pydantic ``Field`` constraints of this range."""
        found = {}
        if self.low is not None:
            found["gt" if self.low_open else "ge"] = self.low
        if self.high is not None:
            found["lt" if self.high_open else "le"] = self.high
        return found


def number(value: float) -> str:
    """A bound as a reader expects it: 50, 0.5, 1,048,576."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return f"{value:g}"


def shown(value: Any) -> str:
    """A value as the user gave it: 1000000000, 0.0002, 'abc'."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    return str(value) if isinstance(value, int) else f"{value:g}"


def allows(who: str | None, allowed: Range) -> str:
    return f"{who} allows {allowed.describe()}" if who else f"allowed: {allowed.describe()}"


#: OpenAI's published ranges (Azure OpenAI serves the same API): ``OpenAIProvider.hyperparameter_ranges``.
OPENAI = {"n_epochs": Range(1, 50), "batch_size": Range(1, 256), "learning_rate_multiplier": Range(0, low_open=True),
           "beta": Range(0, 2, low_open=True)}
#: Training on this computer (``TrainSettings``); the hyperparameters a provider shares use the same names.
LOCAL = {
    "n_epochs": Range(1, 100), "epochs": Range(0, 100, low_open=True), "batch_size": Range(1, 1024),
    "learning_rate_multiplier": Range(0, 100, low_open=True), "learning_rate": Range(0, 1, low_open=True),
    "beta": Range(0, 10, low_open=True), "max_steps": Range(-1, 1_000_000),
    "gradient_accumulation_steps": Range(1, 1024),
    "max_length": Range(16, 1_048_576), "warmup_ratio": Range(0, 1, high_open=True), "lora_r": Range(1, 1024),
    "lora_alpha": Range(1, 4096), "lora_dropout": Range(0, 1, high_open=True), "eval_steps": Range(1, 1_000_000),
    "save_steps": Range(1, 1_000_000), "save_total_limit": Range(1, 1000), "logging_steps": Range(1, 1_000_000),
    "seed": Range(0, 2**31 - 1),
}
#: How a refusal names training on this computer (``HFLocalProvider.ranges_named``): the settings of the local
#: trainer (``TrainSettings``) are refused in its name whichever screen asked.
LOCAL_NAMED = "Training on this computer"
#: Fields of ``TrainingConfig`` itself, the same for every provider (OpenAI's seed range).
CONFIG = {"seed": Range(0, 2**31 - 1), "validation_split": Range(0, 1, high_open=True),
          "split_seed": Range(0, 2**31 - 1)}
HYPERPARAMETERS = ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")

#: What a message calls a field when the caller gives no name of its own (the wizard's labels).
LABELS = {
    "base_model": "Base model", "training_file": "Training data", "n_epochs": "Epochs", "epochs": "Epochs",
    "batch_size": "Batch size", "learning_rate_multiplier": "Learning-rate multiplier", "beta": "Beta", "seed": "Seed",
    "suffix": "Suffix", "validation_split": "Validation share", "split_seed": "Split seed",
    "learning_rate": "Learning rate", "max_steps": "Maximum steps", "gradient_accumulation_steps":
    "Gradient accumulation", "max_length": "Maximum length", "warmup_ratio": "Warm-up share", "lora_r": "LoRA rank",
    "lora_alpha": "LoRA alpha", "lora_dropout": "LoRA dropout", "eval_steps": "Evaluation interval",
    "save_steps": "Checkpoint interval", "save_total_limit": "Checkpoints kept", "logging_steps": "Logging interval",
}


def widest(name: str) -> Range:
    """The union of the tables' ranges for a hyperparameter: what holds whatever the provider (which provider uses
    which table is the provider classes' ``hyperparameter_ranges``, the one map from a kind to its ranges)."""
    ranges = [table[name] for table in (OPENAI, LOCAL)]
    lows = [r for r in ranges if r.low is not None]
    highs = [r for r in ranges if r.high is not None]
    low = min(lows, key=lambda r: (r.low, not r.low_open)) if len(lows) == len(ranges) else None
    high = max(highs, key=lambda r: (r.high, not r.high_open)) if len(highs) == len(ranges) else None
    return Range(low.low if low else None, high.high if high else None, bool(low and low.low_open),
                 bool(high and high.high_open))


def check(name: str, value: Any, allowed: Range, who: str | None) -> Any:
    """``value`` if ``allowed`` holds it; else the pydantic error a validator raises, naming all it needs."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value not in allowed:
        raise PydanticCustomError("out_of_range", "{field} {value} is out of range: {allowed}",
                                  {"field": name, "value": value, "allowed": allows(who, allowed)})
    return value


_RANGE_ERRORS = {"out_of_range", "greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _range_for(field: str) -> tuple[str | None, Range | None]:
    """A configuration field's range, else the local trainer's (pydantic's own constraints, which name no
    provider); a provider's hyperparameter ranges reach ``refusal`` named, from ``check``."""
    if field in CONFIG:
        return None, CONFIG[field]
    if field in LOCAL:
        return LOCAL_NAMED, LOCAL[field]
    return None, None


def refusal(exc: ValidationError, *, names: Mapping[str, str] | None = None) -> InvalidInput:
    """pydantic's first complaint as one sentence that names the field, the value and what is allowed.

    ``names`` maps a field to how the caller shows it, with ``{value}`` where the value goes (the command line:
    ``{"n_epochs": "--epochs {value}"}``). A provider's range is the one its validator named (a configuration
    built through ``backend.providers.training_config`` is held to its provider's ranges and names it).
    """
    errors = exc.errors(include_url=False)
    error = next((e for e in errors if e["type"] in _RANGE_ERRORS), errors[0])
    context = error.get("ctx") or {}
    fields = [str(p) for p in error["loc"] if isinstance(p, str) and (p in LABELS or p.isidentifier())]
    field = context.get("field") or next((p for p in reversed(fields) if p in LABELS), fields[-1] if fields else "")
    value = context.get("value", error.get("input"))
    label = LABELS.get(field, field or "A value")
    if error["type"] == "missing":
        return InvalidInput(f"{label} is missing.")
    template = (names or {}).get(field) or f"{label} {{value}}"
    subject = template.format(value=shown(value))
    if error["type"] in _RANGE_ERRORS:
        who, allowed = _range_for(field)
        reason = context.get("allowed") or (allows(who, allowed) if allowed is not None else error["msg"])
        return InvalidInput(f"{subject} is out of range: {reason}.")
    return InvalidInput(f"{subject} is not valid: {error['msg'][:1].lower()}{error['msg'][1:]}.")
