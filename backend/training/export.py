"""Export a finished run: merge an adapter into a full model, write a model card, push to the Hub.

The card records what someone needs to judge or reproduce the model: its base, the data's
size, the hyperparameters, and the exact TRL configuration (also saved beside it as YAML).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from backend.cancel import Progress, ProgressFn
from backend.errors import InvalidInput
from backend.training.spec import RunFolder, RunSpec

_SKIP = {"optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt", "training_args.bin", "trainer_state.json"}


def trained_folder(folder: RunFolder) -> Path:
    """The final model of a run, or its last checkpoint when it was stopped and saved."""
    for candidate in (folder.final, folder.last_checkpoint()):
        if candidate and ((candidate / "adapter_config.json").exists() or (candidate / "config.json").exists()):
            return candidate
    raise InvalidInput("This run has no trained model yet.", hint="Wait for it to finish, or stop and save it first.")


def model_card(spec: RunSpec, summary: dict, merged: bool) -> str:
    import yaml

    s = spec.settings
    adapter = s.adapter != "full" and not merged
    from backend.hub import is_local

    meta = {**({} if is_local(spec.config.base_model) else {"base_model": spec.config.base_model}),
            "library_name": "peft" if adapter else "transformers",
            "tags": ["fine-tune-studio", "trl", "sft" if s.method == "supervised" else "dpo"]
            + (["lora"] if s.adapter != "full" else [])}
    rows = [("Method", f"{'Supervised fine-tuning' if s.method == 'supervised' else 'DPO'} with "
             f"{'full weights' if s.adapter == 'full' else s.adapter.upper()}"),
            ("Epochs", s.epochs), ("Learning rate", s.learning_rate), ("Batch size", s.batch_size),
            ("Gradient accumulation", s.gradient_accumulation_steps), ("Maximum length", s.max_length),
            ("Precision", s.precision), ("Device", s.device), ("Seed", s.seed)]
    if s.adapter != "full":
        rows += [("LoRA rank / alpha / dropout", f"{s.lora_r} / {s.lora_alpha} / {s.lora_dropout}"),
                 ("LoRA target modules", s.lora_target_modules)]
    if s.method == "dpo":
        rows.append(("DPO beta", s.beta))
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    data = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in summary.items() if k != "source") or "not recorded"
    return (f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n# {spec.config.suffix or 'Fine-tuned'} "
            f"{spec.config.base_model}\n\nFine-tuned from [{spec.config.base_model}]"
            f"(https://huggingface.co/{spec.config.base_model}) with Fine-Tune Studio (TRL + PEFT).\n\n"
            f"## Training data\n\n{data}\n\n## Hyperparameters\n\n| Setting | Value |\n|---|---|\n{table}\n\n"
            "The exact configuration is in `trl_config.yaml`; rerun it with "
            f"`trl {'sft' if s.method == 'supervised' else 'dpo'} --config trl_config.yaml`.\n")


def export_run(folder: RunFolder, destination: Path, *, merge: bool = True, progress: ProgressFn | None = None) -> Path:
    """Write the trained model (merged if asked), its tokenizer, card and recipe to ``destination``."""
    spec = folder.read_spec()
    source = trained_folder(folder)
    destination.mkdir(parents=True, exist_ok=True)
    is_adapter = (source / "adapter_config.json").exists()
    if is_adapter and merge:
        if progress:
            progress(Progress(0, 3, "Loading the base model"))
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = AutoModelForCausalLM.from_pretrained(spec.model_path, dtype="auto")
        if progress:
            progress(Progress(1, 3, "Merging the adapter"))
        merged = PeftModel.from_pretrained(base, str(source)).merge_and_unload()
        if progress:
            progress(Progress(2, 3, "Saving the merged model"))
        merged.save_pretrained(destination)
        AutoTokenizer.from_pretrained(source if (source / "tokenizer_config.json").exists() else spec.model_path
                                      ).save_pretrained(destination)
    else:
        for item in source.iterdir():
            if item.name not in _SKIP and item.is_file():
                shutil.copy2(item, destination / item.name)
    if folder.recipe.exists():
        shutil.copy2(folder.recipe, destination / "trl_config.yaml")
    (destination / "README.md").write_text(model_card(spec, spec.data.summary, is_adapter and merge), encoding="utf-8")
    if progress:
        progress(Progress(3, 3, "Exported"))
    return destination


def push_run(folder: RunFolder, repo_id: str, *, token: str | None, private: bool = True, merge: bool = True,
             progress: ProgressFn | None = None) -> str:
    """Export to a temporary folder and upload it as a (private by default) model repository."""
    from huggingface_hub import HfApi

    from backend import hub

    if not token:
        raise InvalidInput("Pushing to the Hub needs a Hugging Face token with write access.",
                           hint="Add one on the Accounts page.")
    with tempfile.TemporaryDirectory(prefix="fts-export-") as tmp:
        export_run(folder, Path(tmp), merge=merge, progress=progress)
        api = HfApi(token=token)
        try:
            url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
            api.upload_folder(folder_path=tmp, repo_id=repo_id, repo_type="model",
                              commit_message="Upload a model fine-tuned with Fine-Tune Studio")
        except Exception as exc:  # noqa: BLE001 - translated
            raise hub.explain_error(repo_id, exc) from exc
    return str(url)
