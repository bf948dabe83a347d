"""The wizard's choices as an AutoTrain Advanced config YAML, and back.

Export writes what ``autotrain --config FILE`` (0.8.36) accepts as it is: the data are the app's staged
JSON lines (a ``messages`` column for SFT; ``prompt``/``chosen``/``rejected`` for DPO and ORPO), the settings
the app resolved for this computer, and the token only as ``${HF_TOKEN}`` (AutoTrain reads the variable;
the secret never lands in the file). Import reads any AutoTrain LLM config into the app's settings and lists
plainly what the app could not map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backend.errors import InvalidInput
from backend.training.spec import TrainSettings

#: AutoTrain's LLM tasks -> (the app's method, AutoTrain's trainer). ORPO trains on DPO's data.
TASKS = {"llm": ("supervised", "sft"), "llm-sft": ("supervised", "sft"), "llm-generic": ("supervised", "default"),
         "llm-dpo": ("dpo", "dpo"), "llm-orpo": ("dpo", "orpo")}
_TASK_OF = {"sft": "llm-sft", "dpo": "llm-dpo", "orpo": "llm-orpo"}
#: The values the app always writes; an imported config that differs is reported as not mapped.
FIXED = {"padding": "right", "optimizer": "adamw_torch", "scheduler": "linear", "log": "none", "backend": "local",
         "merge_adapter": False, "unsloth": False, "add_eos_token": True, "auto_find_batch_size": False,
         "use_flash_attention_2": False, "weight_decay": 0.0, "max_grad_norm": 1.0, "distributed_backend": None}
_PRECISION = {"bf16": "bf16", "fp16": "fp16", "fp32": "none"}
PROJECT = "autotrain-output"


def export_config(*, method: str, settings: TrainSettings, base_model: str, data_path: str, has_validation: bool,
                  autotrain: dict | None = None, project_name: str = PROJECT) -> dict[str, Any]:
    """The AutoTrain config (as a mapping) for these resolved settings and staged data folder.

    ``autotrain``: the AutoTrain-only choices (``trainer`` orpo, ``chat_template``, ``push_to_hub``, ``hub_repo``)."""
    extra = autotrain or {}
    trainer = extra.get("trainer") or ("dpo" if method == "dpo" else "sft")
    if method == "reinforcement" or trainer not in _TASK_OF:
        raise InvalidInput(f"AutoTrain cannot train the “{method}” method.", hint="Choose SFT, DPO or ORPO.")
    preference = trainer in ("dpo", "orpo")
    columns = ({"text_column": "chosen", "rejected_text_column": "rejected", "prompt_text_column": "prompt"}
               if preference else {"text_column": "messages"})
    targets = settings.lora_target_modules
    params: dict[str, Any] = {
        "block_size": settings.max_length, "model_max_length": settings.max_length,
        "epochs": max(1, math.ceil(settings.epochs)), "batch_size": settings.batch_size, "lr": settings.learning_rate,
        "warmup_ratio": settings.warmup_ratio, "gradient_accumulation": settings.gradient_accumulation_steps,
        "peft": settings.adapter != "full", "quantization": "int4" if settings.adapter == "qlora" else None,
        "target_modules": targets if isinstance(targets, str) else ",".join(targets),
        "lora_r": settings.lora_r, "lora_alpha": settings.lora_alpha, "lora_dropout": settings.lora_dropout,
        "mixed_precision": _PRECISION[settings.precision], "logging_steps": settings.logging_steps,
        "save_total_limit": settings.save_total_limit, "seed": settings.seed,
        "disable_gradient_checkpointing": not settings.activation_checkpointing,
        "eval_strategy": "epoch" if has_validation else "no",
        **{k: FIXED[k] for k in ("padding", "optimizer", "scheduler", "merge_adapter")},
    }
    if preference:
        params.update(dpo_beta=settings.beta, max_prompt_length=max(8, settings.max_length // 2),
                      max_completion_length=max(8, settings.max_length // 2))
    if settings.max_steps > 0:
        params["epochs"] = 1  # AutoTrain has no step limit; the app's quick trials train one epoch
    push = bool(extra.get("push_to_hub"))
    return {
        "task": _TASK_OF[trainer], "base_model": base_model, "project_name": extra.get("hub_repo") or project_name,
        "log": "none", "backend": "local",
        "data": {"path": data_path, "train_split": "train", "valid_split": "test" if has_validation else None,
                 "chat_template": extra.get("chat_template") or "tokenizer", "column_mapping": columns},
        "params": params,
        "hub": {"username": "${HF_USERNAME}" if push else "", "token": "${HF_TOKEN}" if push else "", "push_to_hub": push},
    }


def dump(mapping: dict[str, Any]) -> str:
    return yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)


@dataclass
class Imported:
    """An AutoTrain config read into the app's terms."""

    task: str
    method: str  # the app's
    trainer: str  # AutoTrain's: sft, default, dpo, orpo
    base_model: str
    data_path: str
    training_file: str
    validation_file: str | None
    column_mapping: dict[str, str]  # AutoTrain's
    app_column_mapping: dict[str, str] | None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    not_mapped: list[str] = field(default_factory=list)


def load(path: Path | str) -> dict[str, Any]:
    """The YAML of an AutoTrain config file, or of a project folder's ``training_params.json``/config."""
    path = Path(path).expanduser()
    if path.is_dir():
        found = [p for p in (path / "training_params.json", *sorted(path.glob("*.yml")), *sorted(path.glob("*.yaml")))
                 if p.is_file()]
        if not found:
            raise InvalidInput(f"The folder “{path}” holds no AutoTrain config (no training_params.json or .yml file).",
                               hint="Choose the YAML file you ran `autotrain --config` with, or an AutoTrain project folder.")
        path = found[0]
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"“{path}” cannot be read: {exc.strerror or exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InvalidInput(f"“{path}” is not valid YAML{where}: {getattr(exc, 'problem', exc)}.",
                           hint="Fix the file, or export a fresh config from the app.") from None
    if not isinstance(loaded, dict):
        raise InvalidInput(f"“{path}” is not an AutoTrain config: it holds no settings.")
    if path.name == "training_params.json":  # a project folder: AutoTrain's flat params, as written after a run
        loaded = {"task": "llm-" + str(loaded.get("trainer", "sft")).replace("default", "generic"),
                  "base_model": loaded.get("model"), "data": {"path": loaded.get("data_path"),
                  "train_split": loaded.get("train_split"), "valid_split": loaded.get("valid_split"),
                  "chat_template": loaded.get("chat_template"),
                  "column_mapping": {k: loaded[k] for k in ("text_column", "prompt_text_column", "rejected_text_column")
                                     if loaded.get(k)}}, "params": loaded}
    return loaded
