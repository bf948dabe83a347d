"""What a local run is: its folder's layout and the exact settings the child trains with.

The app resolves every "auto" before launch (``defaults.resolve``) and writes a ``RunSpec`` to
``config.json``; the child reads it and decides nothing of its own, so the file is a faithful
record of the run, and resuming trains with exactly the same settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.bounds import LOCAL, refusal
from backend.errors import InvalidInput
from backend.models import DataRefs, TrainingConfig

Device = Literal["cuda", "mps", "cpu"]
Precision = Literal["bf16", "fp16", "fp32"]
Adapter = Literal["lora", "qlora", "full"]


def _within(name: str, default):
    """A field with ``default`` and the local range of ``name`` (``backend.bounds.LOCAL``) as its constraints."""
    return Field(default, **LOCAL[name].field())


class TrainSettings(BaseModel):
    """Resolved hyperparameters and switches; every field maps onto TRL's config or PEFT's. Every number is
    held to the range ``backend.bounds.LOCAL`` gives it (and ``max_length`` to the model's context, by
    ``defaults.resolve``)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["supervised", "dpo"] = "supervised"
    adapter: Adapter = "lora"
    device: Device = "cpu"
    precision: Precision = "fp32"
    epochs: float = _within("epochs", 3.0)
    max_steps: int = _within("max_steps", -1)  # > 0 overrides epochs (tests, quick trials)
    learning_rate: float = _within("learning_rate", 2e-4)
    batch_size: int = _within("batch_size", 4)
    gradient_accumulation_steps: int = _within("gradient_accumulation_steps", 1)
    max_length: int = _within("max_length", 1024)
    warmup_ratio: float = _within("warmup_ratio", 0.03)
    lora_r: int = _within("lora_r", 16)
    lora_alpha: int = _within("lora_alpha", 32)
    lora_dropout: float = _within("lora_dropout", 0.05)
    lora_target_modules: list[str] | str = "all-linear"
    assistant_only_loss: bool = True
    packing: bool = False
    activation_checkpointing: bool = False
    eval_steps: int | None = _within("eval_steps", None)  # None: no evaluation (no validation data)
    save_steps: int = _within("save_steps", 100)
    save_total_limit: int = _within("save_total_limit", 3)
    logging_steps: int = _within("logging_steps", 1)
    beta: float = _within("beta", 0.1)  # DPO
    seed: int = _within("seed", 42)


class RunSpec(BaseModel):
    """The content of ``config.json``: the user's configuration, its prepared data, the settings."""

    model_config = ConfigDict(extra="forbid")

    job_id: str | None = None  # the job store's id: a crash between spawn and store update is reconciled by it
    config: TrainingConfig
    data: DataRefs
    model_path: str  # a local folder (Hub models are downloaded before launch)
    settings: TrainSettings = Field(default_factory=TrainSettings)


class RunFolder:
    """Names of the files in one run folder; the child and the app agree through these."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    spec = property(lambda self: self.path / "config.json")
    events = property(lambda self: self.path / "events.jsonl")
    log = property(lambda self: self.path / "train.log")
    output = property(lambda self: self.path / "output.log")  # the child's stdout and stderr
    process = property(lambda self: self.path / "process.json")
    stop_request = property(lambda self: self.path / "stop-and-save.request")
    checkpoints = property(lambda self: self.path / "checkpoints")
    final = property(lambda self: self.path / "final")
    recipe = property(lambda self: self.path / "trl_config.yaml")

    def read_spec(self) -> RunSpec:
        """The run's record; InvalidInput when it holds what this version refuses (a value out of range)."""
        try:
            return RunSpec.model_validate_json(self.spec.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise InvalidInput(f"The run's record “{self.spec}” holds a setting this version refuses: "
                               f"{refusal(exc)}",
                               hint="Clone the job in the wizard to train it again with valid settings.") from None

    def write_spec(self, spec: RunSpec) -> None:
        tmp = self.spec.with_suffix(".tmp")
        tmp.write_text(spec.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(self.spec)

    def checkpoint_dirs(self) -> list[Path]:
        """Complete checkpoints, oldest first (a folder without trainer_state.json is half-written)."""
        if not self.checkpoints.is_dir():
            return []
        found = [p for p in self.checkpoints.glob("checkpoint-*")
                 if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").exists()]
        return sorted(found, key=lambda p: int(p.name.split("-")[-1]))

    def last_checkpoint(self) -> Path | None:
        dirs = self.checkpoint_dirs()
        return dirs[-1] if dirs else None
