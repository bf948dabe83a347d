"""Sensible settings from the model's size, the data's size and the hardware; memory and time estimates.

Rules of thumb, written down so the wizard can show them before launch: LoRA learns at ~2e-4
and full fine-tuning at ~1e-5 to 2e-5; mixed precision where the GPU supports it and never on
the CPU (TRL turns bf16 on by default, which fails there); padding-free packing only with flash
attention (otherwise packed examples would attend to each other); activation checkpointing only
when memory is short, since it costs about a fifth of the speed.
"""

from __future__ import annotations

import math

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, ValidationError

from backend.bounds import LABELS, refusal
from backend.errors import InvalidInput
from backend.models import TrainingConfig
from backend.training.hardware import Hardware, ModelFacts
from backend.training.spec import TrainSettings
from backend.words import plural_of

# Not TrainSettings fields: how the data are read and staged (the wizard's data page sets the last two), where and on what.
# "trainer": "autotrain" runs AutoTrain instead of the app's TRL trainer; "autotrain": its own choices (ORPO, template).
_OWN_OPTIONS = {"data_format", "column_mapping", "output_dir", "device", "drop_invalid", "dedupe", "trainer", "autotrain",
                # Hugging Face Jobs: where and how long a cloud run may go (backend.providers.hf_jobs)
                "flavor", "timeout_seconds", "budget_usd"}


class Plan(BaseModel):
    """What the launch will do, for the wizard and the pre-launch check."""

    model_config = ConfigDict(frozen=True)

    settings: TrainSettings
    memory_needed: int
    memory_available: int
    total_steps: int | None = None
    seconds: float | None = None
    disk_needed: int = 0  # bytes the run folder grows to (checkpoints and the final model)

    @property
    def fits(self) -> bool:
        return self.memory_needed <= self.memory_available

    @property
    def warning(self) -> str | None:
        if self.fits:
            return None
        return (f"This run needs about {self.memory_needed / 2**30:.1f} GiB but only "
                f"{self.memory_available / 2**30:.1f} GiB is free: choose LoRA (or QLoRA), a smaller model, "
                "a smaller batch or a shorter maximum length.")


def estimate_memory(settings: TrainSettings, facts: ModelFacts) -> int:
    """Bytes of (GPU or main) memory the run needs: weights, training state, activations, logits."""
    p = facts.parameters
    half = settings.precision in ("bf16", "fp16")
    if settings.adapter == "full":
        state = p * 16  # fp32 weights + gradients + two Adam moments
    else:
        per_weight = 0.55 if settings.adapter == "qlora" else (2 if half else 4)
        state = p * per_weight + p * 0.02 * 16  # frozen base + ~1-2% trainable adapter with its Adam state
    tokens = settings.batch_size * settings.max_length
    element = 2 if half else 4
    per_layer = 4 if settings.activation_checkpointing else 34  # bytes per token per hidden unit per layer
    activations = tokens * facts.hidden_size * max(facts.layers, 1) * per_layer * element / 2
    logits = tokens * facts.vocab_size * 4 * 2  # fp32 logits and their gradient
    if settings.method == "dpo":
        activations, logits = activations * 2, logits * 2  # chosen and rejected in one batch
        state += 0 if settings.adapter != "full" else p * (2 if half else 4)  # reference model
    overhead = 600 * 2**20 if settings.device == "cuda" else 300 * 2**20
    return int((state + activations + logits) * 1.15 + overhead)


#: Seconds each batch costs beyond its arithmetic (data loading, optimizer, logging): what a small model's run
#: is made of. Measured roughly on the tiny test model (a 2-core CPU took ~0.3 s per batch of 4).
_STEP_OVERHEAD = {"cuda": 0.03, "mps": 0.08, "cpu": 0.25}


def estimate_seconds(settings: TrainSettings, facts: ModelFacts, hardware: Hardware, tokens: int,
                     examples: int | None = None) -> float:
    """Training time: ~6 FLOPs per parameter per token (4 with frozen base weights) at a typical rate, plus a
    fixed cost per batch, for every epoch: twice the epochs take twice as long."""
    flops_per_token = (6 if settings.adapter == "full" else 4) * facts.parameters * (2 if settings.method == "dpo" else 1)
    rate = {"cuda": 8e13 if hardware.bf16 else 2e13, "mps": 3e12}.get(hardware.device, 2e10 * hardware.cpu_threads)
    batches = math.ceil((examples or 0) / max(1, settings.batch_size)) * settings.epochs
    return flops_per_token * tokens * settings.epochs / rate + batches * _STEP_OVERHEAD.get(hardware.device, 0.25)


def estimate_disk(settings: TrainSettings, facts: ModelFacts) -> int:
    """Bytes the run folder grows to: the checkpoints kept (weights or adapter, with the optimizer's state) and
    the final model. A LoRA adapter has about rank x 20 x hidden size weights per layer (all linear layers)."""
    if settings.adapter == "full":
        weights = facts.parameters * (2 if settings.precision in ("bf16", "fp16") else 4)
        optimizer = facts.parameters * 8
    else:
        trainable = settings.lora_r * 20 * max(facts.hidden_size, 1) * max(facts.layers, 1)
        weights, optimizer = trainable * 4, trainable * 8
    return int((weights + optimizer) * settings.save_total_limit + weights + 5 * 2**20)


def check_options(config: TrainingConfig, facts: ModelFacts | None = None, *,
                  names: Mapping[str, str] | None = None) -> dict:
    """The trainer settings that ``config.options`` sets, each checked against its range (``backend.bounds``)
    and ``max_length`` against the model's context when ``facts`` are known. Raises InvalidInput naming the
    first wrong one (as ``names`` shows it: the command line's ``--option lora_r={value}``)."""
    unknown = set(config.options) - set(TrainSettings.model_fields) - _OWN_OPTIONS
    if unknown:
        noun = "option" if len(unknown) == 1 else plural_of("option")
        raise InvalidInput(f"Unknown local training {noun}: {', '.join(sorted(unknown))}.",
                           hint=f"Known options: {', '.join(sorted(set(TrainSettings.model_fields) | _OWN_OPTIONS))}.")
    overrides = {k: v for k, v in config.options.items() if k in TrainSettings.model_fields}
    try:
        checked = TrainSettings(**overrides)
    except ValidationError as exc:
        raise refusal(exc, names=names) from None
    context = facts.max_positions if facts else None
    if context and "max_length" in overrides and checked.max_length > context:
        subject = (names or {}).get("max_length", f"{LABELS['max_length']} {{value}}").format(value=checked.max_length)
        raise InvalidInput(f"{subject} is out of range: this model reads at most {context:,} tokens.")
    return overrides


def auto_epochs(examples: int | None) -> int:
    """The epochs "Auto" trains for: 3 over a small data set, fewer over a large one."""
    return 3 if not examples or examples < 1000 else (2 if examples < 5000 else 1)


def resolve(config: TrainingConfig, facts: ModelFacts, hardware: Hardware, *, examples: int | None = None,
            tokens: int | None = None, longest: int | None = None, has_validation: bool = False) -> Plan:
    """Every "auto" replaced by a value chosen for this model, data and device; user choices kept."""
    if config.method not in ("supervised", "dpo"):
        raise InvalidInput(f"Local training does not support the “{config.method}” method.",
                           hint="Choose supervised fine-tuning or DPO.")
    options = check_options(config, facts)
    adapter = options.get("adapter", "lora")
    if adapter == "qlora" and not hardware.quantization:
        raise InvalidInput("QLoRA needs an NVIDIA GPU and the bitsandbytes package.", hint="Choose LoRA instead.")
    big = facts.parameters > 1.5e9
    lr = (2e-4 if adapter != "full" else (1e-5 if big else 2e-5)) / (10 if config.method == "dpo" else 1)
    hp = config.hyperparameters
    if hp.learning_rate_multiplier != "auto":
        lr *= float(hp.learning_rate_multiplier)
    epochs = float(auto_epochs(examples))
    precision = ("bf16" if hardware.bf16 else "fp16") if hardware.device == "cuda" else "fp32"
    limit = facts.max_positions or 2048
    max_length = min(limit, 2048 if hardware.device == "cuda" else 1024)
    if not longest and tokens and examples:
        longest = tokens / examples * 4  # no per-example figures: assume the longest is 4x the mean
    if longest:  # the longest example (+10% for a different tokenizer), rounded up to a power of two
        max_length = min(max_length, 2 ** math.ceil(math.log2(max(16.0, longest * 1.1))))
    base = dict(method=config.method, adapter=adapter, device=hardware.device, precision=precision,
                epochs=float(hp.n_epochs) if hp.n_epochs != "auto" else epochs, learning_rate=lr,
                max_length=max_length, assistant_only_loss=facts.assistant_masks and config.method == "supervised",
                packing=hardware.flash_attention and hardware.device == "cuda" and config.method == "supervised",
                seed=config.seed if config.seed is not None else 42)
    if hp.beta not in ("auto", None):
        base["beta"] = float(hp.beta)
    fixed_batch = hp.batch_size != "auto" or "batch_size" in options
    batch = int(hp.batch_size) if hp.batch_size != "auto" else options.get("batch_size", 8 if hardware.device == "cuda" else 4)
    try:
        settings = TrainSettings(**{**base, "batch_size": batch, **options})
    except ValidationError as exc:  # a value derived from the model (its context) rather than given
        raise refusal(exc) from None
    # Shrink the batch, then turn on activation checkpointing, until the estimate fits.
    while not fixed_batch and settings.batch_size > 1 and estimate_memory(settings, facts) > hardware.memory_bytes:
        settings = settings.model_copy(update={"batch_size": settings.batch_size // 2})
    if "activation_checkpointing" not in options and estimate_memory(settings, facts) > hardware.memory_bytes:
        settings = settings.model_copy(update={"activation_checkpointing": hardware.device != "cpu" or big})
    if "gradient_accumulation_steps" not in options:
        target = 8 if (examples or 0) < 200 else 16  # effective batch: small data needs more steps
        settings = settings.model_copy(update={"gradient_accumulation_steps": max(1, target // settings.batch_size)})
    total = None
    if examples:
        per_epoch = math.ceil(examples / (settings.batch_size * settings.gradient_accumulation_steps))
        total = settings.max_steps if settings.max_steps > 0 else math.ceil(per_epoch * settings.epochs)
        if "save_steps" not in options:
            settings = settings.model_copy(update={"save_steps": max(10, min(500, math.ceil(total / 5)))})
    if has_validation and "eval_steps" not in options:
        settings = settings.model_copy(update={"eval_steps": settings.save_steps})
    seconds = estimate_seconds(settings, facts, hardware, tokens, examples) if tokens else None
    return Plan(settings=settings, memory_needed=estimate_memory(settings, facts),
                memory_available=hardware.memory_bytes, total_steps=total, seconds=seconds,
                disk_needed=estimate_disk(settings, facts))
