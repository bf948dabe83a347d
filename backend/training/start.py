"""Turn a configuration and its staged data into a run folder, check it, and start the trainer.

All checks that can fail fast happen here, in the app, before a process is spawned: the model
folder exists and has a chat template when the data are conversations, the run folder can be
written, the data files are in place. The memory estimate becomes a warning event, not a refusal.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from backend import hub, paths
from backend.errors import InvalidInput, NotFound
from backend.models import DataRefs, TrainingConfig
from backend.training import events as ev
from backend.training import process
from backend.training.data import dropped_message
from backend.training.defaults import Plan, resolve
from backend.training.hardware import Hardware, ModelFacts, detect, model_facts
from backend.training.recipe import DATA_FILES, write_recipe
from backend.training.spec import RunFolder, RunSpec


def model_folder(base_model: str) -> Path:
    """The local folder of ``base_model``; raises NotFound when a Hub model is not downloaded yet."""
    folder = hub.local_path(base_model)
    if folder is None:
        raise NotFound(f"The model “{base_model}” has not been downloaded yet.",
                       hint="Prepare the data again: it downloads the model (an internet connection is needed).")
    return folder


def _is_conversational(path: str) -> bool:
    with open(path, encoding="utf-8") as file:
        first = json.loads(file.readline() or "{}")
    return isinstance(first.get("messages") or first.get("chosen") or first.get("prompt"), list)


def plan(config: TrainingConfig, data: DataRefs | None = None, *, facts: ModelFacts | None = None,
         hardware: Hardware | None = None) -> Plan:
    """The settings, memory need and duration this configuration would run with on this computer."""
    facts = facts or model_facts(model_folder(config.base_model))
    hardware = hardware or detect(config.options.get("device", "auto"))
    summary = data.summary if data else {}
    tokens = summary.get("tokens") or summary.get("approx_tokens")
    return resolve(config, facts, hardware, examples=summary.get("examples"), tokens=tokens,
                   longest=summary.get("longest_tokens"), has_validation=bool(data and data.validation))


def _run_folder(config: TrainingConfig, job_id: str) -> RunFolder:
    parent = Path(config.options["output_dir"]).expanduser() if config.options.get("output_dir") else paths.runs_dir()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", config.base_model.rstrip("/").split("/")[-1])[:40]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = parent / f"{stamp}-{slug}-{job_id[:8]}"
    try:
        (folder / "data").mkdir(parents=True, exist_ok=False)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise InvalidInput(f"The run folder “{folder}” cannot be written: {exc.strerror or exc}.",
                           hint="Choose an output folder you can write to, with free space.") from None
    return RunFolder(folder)


def create_run(config: TrainingConfig, data: DataRefs, job_id: str, *, hardware: Hardware | None = None) -> tuple[RunFolder, Plan]:
    """Check everything, write the run folder (spec, data, TRL recipe) and start the trainer."""
    model = model_folder(config.base_model)
    facts = model_facts(model)
    if not Path(data.training).is_file():
        raise InvalidInput(f"The prepared training data “{data.training}” is missing.", hint="Prepare the data again.")
    if _is_conversational(data.training) and not facts.chat_template:
        raise InvalidInput(f"The model “{config.base_model}” has no chat template, so its tokenizer cannot turn "
                           "conversations into training text.",
                           hint="Choose an instruct or chat model (the suggested ones all have one).")
    chosen = plan(config, data, facts=facts, hardware=hardware)
    folder = _run_folder(config, job_id)
    shutil.copyfile(data.training, folder.path / "data" / DATA_FILES["train"])
    if data.validation:
        shutil.copyfile(data.validation, folder.path / "data" / DATA_FILES["test"])
    spec = RunSpec(job_id=job_id, config=config, data=data, model_path=str(model), settings=chosen.settings)
    folder.write_spec(spec)
    write_recipe(spec, folder.path / "data", str(folder.checkpoints), folder.recipe)
    start(folder, warning=chosen.warning, data_note=dropped_message(data.summary))
    return folder, chosen


def start(folder: RunFolder, *, resume: bool = False, warning: str | None = None, data_note: str | None = None,
          module: str = "backend.training") -> int:
    """Mark a new session in the events file and spawn the trainer for it (``module``: the child's entry point)."""
    log = ev.EventLog(folder.events)
    log.emit(ev.PHASE, "Resuming from the last checkpoint" if resume else "Starting", phase="starting")
    if data_note:
        log.emit(ev.DATA, data_note)
    if warning:
        log.emit(ev.WARNING, warning, level="warning")
    log.close()
    return process.launch(folder.path, resume=resume, module=module)
