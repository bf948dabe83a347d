"""Read an AutoTrain LLM config (a YAML file or a project folder) into the app's settings.

Everything the app understands becomes a ``TrainingConfig`` field or option; everything else is listed in
``not_mapped`` with what the app does instead, so a user sees plainly what changes. Only a file that is not a
usable AutoTrain LLM config (another task, no base model, no data) is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.autotrain.config import FIXED, TASKS, Imported, load
from backend.errors import InvalidInput
from backend.models import ProviderKind, TrainingConfig

# AutoTrain param -> the app's option (same meaning, same unit).
_OPTIONS = {"lr": "learning_rate", "gradient_accumulation": "gradient_accumulation_steps", "warmup_ratio": "warmup_ratio",
            "lora_r": "lora_r", "lora_alpha": "lora_alpha", "lora_dropout": "lora_dropout",
            "save_total_limit": "save_total_limit"}
_HANDLED = {"epochs", "batch_size", "dpo_beta", "seed", "peft", "quantization", "target_modules", "block_size",
            "model_max_length", "logging_steps", "disable_gradient_checkpointing", "eval_strategy", "mixed_precision",
            "max_prompt_length", "max_completion_length", "push_to_hub", "username", "token", "trainer", "model",
            "project_name", "data_path", "train_split", "valid_split", "chat_template", "text_column",
            "prompt_text_column", "rejected_text_column", *_OPTIONS}


def _data_file(folder: str, split: str | None) -> str | None:
    """A local AutoTrain data folder's file for ``split`` (``train.jsonl``/``.csv``), or None."""
    if not split:
        return None
    for ext in ("jsonl", "json", "csv"):
        candidate = Path(folder).expanduser() / f"{split}.{ext}"
        if candidate.is_file():
            return str(candidate)
    return None


def read(path: Path | str) -> Imported:
    raw = load(path)
    task = str(raw.get("task") or "")
    if task not in TASKS:
        what = f"the task “{task}”" if task else "no task"
        raise InvalidInput(f"“{path}” is not an AutoTrain LLM config: it names {what}.",
                           hint=f"The app imports AutoTrain's LLM tasks: {', '.join(TASKS)}.")
    method, trainer = TASKS[task]
    params = dict(raw.get("params") or {})
    if task == "llm" and params.get("trainer") in ("dpo", "orpo", "sft", "default"):
        trainer = params["trainer"]
        method = "dpo" if trainer in ("dpo", "orpo") else "supervised"
    data = raw.get("data") or {}
    base_model, data_path = raw.get("base_model"), data.get("path")
    if not base_model or not data_path:
        missing = "base_model" if not base_model else "data: path"
        raise InvalidInput(f"“{path}” is not a usable AutoTrain config: it has no {missing}.",
                           hint="Add it, or export a fresh config from the app.")
    columns = {k: str(v) for k, v in (data.get("column_mapping") or {}).items() if v}
    result = Imported(task=task, method=method, trainer=trainer, base_model=str(base_model), data_path=str(data_path),
                      training_file=_data_file(data_path, data.get("train_split")) or str(data_path),
                      validation_file=_data_file(data_path, data.get("valid_split")), column_mapping=columns,
                      app_column_mapping=None)
    _map_params(params, result)
    _map_columns(columns, result)
    _map_rest(raw, data, result)
    return result


_FLOATS = {"lr", "warmup_ratio", "lora_dropout", "dpo_beta"}


def _numbers(params: dict[str, Any], out: Imported) -> dict[str, Any]:
    """Numbers as numbers: PyYAML reads ``3e-5`` (no dot) as a string, as AutoTrain's own examples write it."""
    fixed = dict(params)
    for name in (*_OPTIONS, "epochs", "batch_size", "dpo_beta", "seed", "block_size", "model_max_length", "logging_steps"):
        value = params.get(name)
        if value is None or isinstance(value, bool) or isinstance(value, list):
            continue
        try:
            number = float(value)
            fixed[name] = number if name in _FLOATS else int(number)
        except (TypeError, ValueError):
            del fixed[name]
            out.not_mapped.append(f"{name}: {value} — not a number, so the app keeps its own value.")
    return fixed


def _map_params(params: dict[str, Any], out: Imported) -> None:
    params = _numbers(params, out)
    for name, value in params.items():
        if name in _OPTIONS and value is not None:
            out.options[_OPTIONS[name]] = value
    if params.get("epochs") is not None:
        out.hyperparameters["n_epochs"] = int(params["epochs"])
    if params.get("batch_size") is not None:
        out.hyperparameters["batch_size"] = int(params["batch_size"])
    if params.get("dpo_beta") is not None and out.method == "dpo":
        out.hyperparameters["beta"] = float(params["dpo_beta"])
    if params.get("seed") is not None:
        out.options["seed"] = int(params["seed"])
    quantization = params.get("quantization")
    out.options["adapter"] = "full" if params.get("peft") is False or (params.get("peft") is None and not quantization) \
        else ("qlora" if quantization in ("int4", "int8") else "lora")
    if quantization == "int8":
        out.not_mapped.append("quantization: int8 — the app quantizes to 4 bits (QLoRA) instead.")
    targets = params.get("target_modules")
    if targets and out.options["adapter"] != "full":
        out.options["lora_target_modules"] = targets if targets == "all-linear" else [
            t.strip() for t in str(targets).split(",") if t.strip()]
    length = params.get("block_size")
    length = length if isinstance(length, int) and length > 0 else params.get("model_max_length")
    if isinstance(length, int) and length > 0:
        out.options["max_length"] = length
    if isinstance(params.get("logging_steps"), int) and params["logging_steps"] > 0:
        out.options["logging_steps"] = params["logging_steps"]
    if params.get("disable_gradient_checkpointing") is not None:
        out.options["activation_checkpointing"] = not params["disable_gradient_checkpointing"]
    if params.get("mixed_precision") not in (None, "none"):
        out.not_mapped.append(f"mixed_precision: {params['mixed_precision']} — the app chooses the precision this "
                              "computer's hardware supports.")
    for name, value in params.items():
        if name in _HANDLED or value is None:
            continue
        if name in FIXED and value == FIXED[name]:
            continue
        out.not_mapped.append(f"{name}: {value} — the app has no such setting"
                              + (f"; it uses {FIXED[name]}." if name in FIXED and FIXED[name] is not None else "."))


def _map_columns(columns: dict[str, str], out: Imported) -> None:
    if out.method == "dpo":
        prompt, chosen, rejected = (columns.get(k) for k in ("prompt_text_column", "text_column", "rejected_text_column"))
        if not (chosen and rejected):
            out.not_mapped.append("column_mapping: DPO/ORPO needs text_column (chosen) and rejected_text_column; "
                                  "map the columns on the data page.")
        elif (prompt, chosen, rejected) != ("prompt", "chosen", "rejected"):
            out.app_column_mapping = {"user": prompt or "prompt", "assistant": chosen, "rejected": rejected}
        return
    text = columns.get("text_column", "text")
    if text not in ("messages", "text"):
        out.not_mapped.append(f"text_column: {text} — the app reads conversations from a “messages” column or plain "
                              "text from a “text” column; rename the column or map it on the data page.")


def _map_rest(raw: dict, data: dict, out: Imported) -> None:
    template = data.get("chat_template")
    autotrain: dict[str, Any] = {"trainer": out.trainer} if out.trainer == "orpo" else {}
    if template not in (None, "tokenizer"):
        autotrain["chat_template"] = template
        out.not_mapped.append(f"chat_template: {template} — the app's own trainer uses the model's chat template; "
                              "runs with AutoTrain keep this one.")
    hub = raw.get("hub") or {}
    if hub.get("push_to_hub"):
        autotrain["push_to_hub"] = True
        out.not_mapped.append("hub: push_to_hub — the app pushes the result from the job's Export action with the "
                              "Hugging Face account you choose (no token in the config).")
    if out.trainer == "default":
        out.not_mapped.append("task: llm-generic — trained as supervised fine-tuning (SFT) on the text column.")
    if raw.get("backend") not in (None, "local") and not str(raw.get("backend")).startswith("local"):
        out.not_mapped.append(f"backend: {raw['backend']} — the app runs AutoTrain on this computer.")
    for key in ("log",):
        if raw.get(key) not in (None, FIXED[key]):
            out.not_mapped.append(f"{key}: {raw[key]} — the app shows the run's metrics in its monitor instead.")
    if autotrain:
        out.options["autotrain"] = autotrain


def to_training_config(imported: Imported, provider: ProviderKind) -> TrainingConfig:
    """The wizard's configuration for an import, AutoTrain chosen as the trainer."""
    options = {**imported.options, "trainer": "autotrain"}
    seed = options.pop("seed", None)
    if imported.app_column_mapping:
        options["column_mapping"] = imported.app_column_mapping
    return TrainingConfig(provider=provider, base_model=imported.base_model, method=imported.method,
                          training_file=imported.training_file, validation_file=imported.validation_file,
                          seed=seed, hyperparameters=imported.hyperparameters, options=options)
