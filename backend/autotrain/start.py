"""Create an AutoTrain run folder and start it: the AutoTrain counterpart of ``backend.training.start``.

The folder has the layout of a local TRL run (spec, staged data, events, output log, ``final``), plus
``autotrain.yml`` (the exported config AutoTrain runs as it is) and ``model``: a staged copy of the base model
that transformers 4.48 can read. A model saved by transformers 5 names its tokenizer ``TokenizersBackend`` and
keeps its chat template in ``chat_template.jinja``, neither of which 4.48 knows; the copy fixes both and leaves
the user's folder untouched. Weights are linked, not copied, where the file system allows.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from backend.autotrain.config import dump, export_config
from backend.autotrain.runner import CONFIG
from backend.errors import InvalidInput
from backend.models import DataRefs, TrainingConfig
from backend.training.data import dropped_message
from backend.training.hardware import Hardware, model_facts
from backend.training.recipe import DATA_FILES
from backend.training.spec import RunFolder, RunSpec
from backend.training.start import _run_folder, model_folder, plan, start

_WEIGHTS = (".safetensors", ".bin", ".pt", ".gguf")


def copy_data(source: str | Path, target: Path, method: str) -> None:
    """The staged data as AutoTrain reads them. Its DPO/ORPO trainers take the prompt from ``chosen[:-1]``, so
    ``chosen`` and ``rejected`` become whole conversations (prompt + reply), where TRL's rows hold the reply only."""
    if method != "dpo":
        shutil.copyfile(source, target)
        return
    with open(source, encoding="utf-8") as rows, open(target, "w", encoding="utf-8") as out:
        for line in rows:
            if not line.strip():
                continue
            row = json.loads(line)
            prompt = row.get("prompt")
            if isinstance(prompt, list):
                row["chosen"], row["rejected"] = prompt + row["chosen"], prompt + row["rejected"]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def needs_staging(folder: Path) -> bool:
    """Whether transformers 4.48 cannot read this model folder's tokenizer as it is (saved by transformers 5)."""
    settings_file = folder / "tokenizer_config.json"
    if not settings_file.is_file():
        return False
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    return settings.get("tokenizer_class") == "TokenizersBackend" or (
        (folder / "chat_template.jinja").is_file() and not settings.get("chat_template"))


def stage_model(source: Path, target: Path) -> Path:
    """A copy of ``source`` that AutoTrain's transformers 4.48 reads (see the module's docstring)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if not item.is_file():
            continue
        if item.suffix in _WEIGHTS:
            try:
                os.symlink(item.resolve(), target / item.name)
                continue
            except OSError:  # Windows without the symlink right: copy instead
                pass
        shutil.copy2(item, target / item.name)
    tokenizer_config = target / "tokenizer_config.json"
    if tokenizer_config.is_file():
        settings = json.loads(tokenizer_config.read_text(encoding="utf-8"))
        if settings.get("tokenizer_class") in ("TokenizersBackend", None) and (target / "tokenizer.json").is_file():
            settings["tokenizer_class"] = "PreTrainedTokenizerFast"
        template = target / "chat_template.jinja"
        if template.is_file() and not settings.get("chat_template"):
            settings["chat_template"] = template.read_text(encoding="utf-8")
        settings.pop("backend", None)
        tokenizer_config.write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return target


def create_run(config: TrainingConfig, data: DataRefs, job_id: str, *, hardware: Hardware | None = None):
    """Check, write the run folder (spec, data, staged model, ``autotrain.yml``) and start AutoTrain's child."""
    model = model_folder(config.base_model)
    facts = model_facts(model)
    if not Path(data.training).is_file():
        raise InvalidInput(f"The prepared training data “{data.training}” is missing.", hint="Prepare the data again.")
    chosen = plan(config, data, facts=facts, hardware=hardware)
    folder = _run_folder(config, job_id)
    copy_data(data.training, folder.path / "data" / DATA_FILES["train"], config.method)
    if data.validation:
        copy_data(data.validation, folder.path / "data" / DATA_FILES["test"], config.method)
    staged = stage_model(model, folder.path / "model")
    spec = RunSpec(job_id=job_id, config=config, data=data, model_path=str(staged), settings=chosen.settings)
    folder.write_spec(spec)
    write_config(spec, folder)
    start(folder, warning=chosen.warning, data_note=dropped_message(data.summary), module="backend.autotrain")
    return folder, chosen


def write_config(spec: RunSpec, folder: RunFolder) -> Path:
    """``autotrain.yml`` in the run folder: the app's settings as AutoTrain's config (pushing is the app's job)."""
    autotrain = {k: v for k, v in (spec.config.options.get("autotrain") or {}).items() if k in ("trainer", "chat_template")}
    mapping = export_config(method=spec.config.method, settings=spec.settings, base_model=spec.model_path,
                            data_path=str(folder.path / "data"), has_validation=bool(spec.data.validation),
                            autotrain=autotrain)
    path = folder.path / CONFIG
    path.write_text(dump(mapping), encoding="utf-8")
    return path
