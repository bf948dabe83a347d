"""Resolved settings as TRL and PEFT arguments, and as a YAML recipe that ``trl sft --config`` reruns.

One function builds the trainer's arguments for both the child and the exported file, so the
file is the exact configuration the run used, not a look-alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.training.spec import RunSpec, TrainSettings

DATA_FILES = {"train": "train.jsonl", "test": "test.jsonl"}  # names ``load_dataset(folder)`` maps to splits


def trainer_arguments(settings: TrainSettings, output_dir: str, *, evaluate: bool) -> dict[str, Any]:
    """Keyword arguments of ``SFTConfig`` or ``DPOConfig`` (both subclass TrainingArguments)."""
    args: dict[str, Any] = dict(
        output_dir=output_dir,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        max_length=settings.max_length,
        warmup_steps=settings.warmup_ratio,  # a float below 1 is a ratio of the total steps
        logging_steps=settings.logging_steps,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        eval_strategy="steps" if evaluate and settings.eval_steps else "no",
        eval_steps=settings.eval_steps if evaluate else None,
        # TRL turns bf16 on when unset; it must be off on the CPU and wherever the GPU lacks it.
        bf16=settings.precision == "bf16",
        fp16=settings.precision == "fp16",
        use_cpu=settings.device == "cpu",
        activation_checkpointing=settings.activation_checkpointing,
        seed=settings.seed,
        report_to="none",
        disable_tqdm=True,
    )
    if settings.method == "supervised":
        args.update(assistant_only_loss=settings.assistant_only_loss, packing=settings.packing,
                    padding_free=settings.packing)
    else:
        args.update(beta=settings.beta)
    return args


def model_dtype(settings: TrainSettings) -> str:
    """Frozen base weights in half precision on a GPU; trained weights stay fp32 (mixed precision)."""
    if settings.adapter != "full" and settings.precision != "fp32":
        return "bfloat16" if settings.precision == "bf16" else "float16"
    return "float32"


def attention(settings: TrainSettings) -> str | None:
    """Packed examples must not attend to each other: only flash attention keeps them apart."""
    return "flash_attention_2" if settings.packing else None


def model_init_kwargs(settings: TrainSettings) -> dict[str, Any]:
    """How the trainer loads the model (``model_init_kwargs``): its dtype, and the attention implementation
    when the app chooses one (else transformers' default, sdpa where torch has it). The local-training
    benchmark gives its bare TRL reference these same arguments."""
    chosen = attention(settings)
    return {"dtype": model_dtype(settings), **({"attn_implementation": chosen} if chosen else {})}


def lora_arguments(settings: TrainSettings) -> dict[str, Any]:
    """Keyword arguments of ``peft.LoraConfig`` (the same fields TRL's ModelConfig turns into one)."""
    return dict(task_type="CAUSAL_LM", r=settings.lora_r, lora_alpha=settings.lora_alpha,
                lora_dropout=settings.lora_dropout, target_modules=settings.lora_target_modules, bias="none")


def recipe(spec: RunSpec, data_dir: Path | str, output_dir: str) -> dict[str, Any]:
    """The YAML mapping for ``trl sft --config`` (or ``trl dpo --config`` for DPO)."""
    s = spec.settings
    evaluate = (Path(data_dir) / DATA_FILES["test"]).exists()
    from backend.hub import is_local

    # A Hub id reruns anywhere; a local folder only here.
    model = spec.model_path if is_local(spec.config.base_model) else spec.config.base_model
    out: dict[str, Any] = {"model_name_or_path": model, "dtype": model_dtype(s),
                           **({"attn_implementation": attention(s)} if attention(s) else {}),
                           "dataset_name": str(data_dir), "dataset_train_split": "train",
                           "dataset_test_split": "test"}
    out.update({k: v for k, v in trainer_arguments(s, output_dir, evaluate=evaluate).items() if v is not None})
    if s.adapter != "full":
        lora = lora_arguments(s)
        out.update(use_peft=True, lora_r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"],
                   lora_target_modules=lora["target_modules"] if isinstance(lora["target_modules"], list)
                   else [lora["target_modules"]])
        if s.adapter == "qlora":
            out.update(load_in_4bit=True, bnb_4bit_quant_type="nf4")
    return out


def write_recipe(spec: RunSpec, data_dir: Path | str, output_dir: str, path: Path | str) -> Path:
    import yaml

    command = "trl sft" if spec.settings.method == "supervised" else "trl dpo"
    header = f"# Fine-Tune Studio: the exact configuration of this run. Rerun it with: {command} --config {Path(path).name}\n"
    Path(path).write_text(header + yaml.safe_dump(recipe(spec, data_dir, output_dir), sort_keys=False), encoding="utf-8")
    return Path(path)
