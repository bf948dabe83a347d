"""Export a finished local run: the model (an adapter merged onto its base) to a folder, to a Hugging Face
Hub repository with a model card, and the TRL recipe as YAML. The Jobs page and ``main.py export`` both
call ``export_job``.

Everything is checked before the long work starts (a trained model exists, the destinations are free,
the repository name is valid, a Hugging Face account with a token is saved). Each output is written
under a temporary name beside its destination and renamed when complete, so a cancelled or failed
export leaves no half-written folder or file. Progress counts bytes (the base model's weights loaded,
the model saved, the upload sent), which gives an ETA once the first step has taken a measurable time.

The card records what someone needs to judge or reproduce the model: its base, the data's size, the
hyperparameters, and the exact TRL configuration (saved beside it as ``trl_config.yaml``).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.errors import Cancelled, CredentialsError, InvalidInput, StudioError
from backend.training.spec import RunFolder, RunSpec

if TYPE_CHECKING:
    from backend.models import Account

_SKIP = {"optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt", "training_args.bin", "trainer_state.json"}
_WEIGHTS = ("*.safetensors", "*.bin")
RERUN_OUTPUT = "trl-output"  # a rerun of an exported recipe writes here, never into the app's run folder


@dataclass(frozen=True)
class ExportRequest:
    """What to export; at least one of ``merged_dir``, ``repo_id`` and ``recipe_file``."""

    merged_dir: Path | None = None
    repo_id: str | None = None
    private: bool = True
    account: str | None = None  # the saved Hugging Face account (name or id) that pushes; None: the only one
    recipe_file: Path | None = None


@dataclass(frozen=True)
class ExportResult:
    merged_dir: Path | None = None
    repo_url: str | None = None
    private: bool = True
    recipe_file: Path | None = None

    def summary(self) -> str:
        done = []
        if self.merged_dir:
            done.append(f"Saved the model to {self.merged_dir}.")
        if self.repo_url:
            done.append(f"Pushed it to {self.repo_url} ({'private' if self.private else 'public'}).")
        if self.recipe_file:
            done.append(f"Wrote the TRL recipe to {self.recipe_file}.")
        return " ".join(done)


def trained_folder(folder: RunFolder) -> Path:
    """The final model of a run, or its last checkpoint when it was stopped and saved."""
    for candidate in (folder.final, folder.last_checkpoint()):
        if candidate and ((candidate / "adapter_config.json").exists() or (candidate / "config.json").exists()):
            return candidate
    raise InvalidInput("This run has no trained model yet.", hint="Wait for it to finish, or stop and save it first.")


def model_card(spec: RunSpec, summary: dict, merged: bool) -> str:
    import yaml

    from backend.hub import is_local

    s = spec.settings
    base = spec.config.base_model
    adapter = s.adapter != "full" and not merged
    meta = {**({} if is_local(base) else {"base_model": base}),
            "library_name": "peft" if adapter else "transformers",
            "tags": ["fine-tune-studio", "trl", "sft" if s.method == "supervised" else "dpo"]
            + (["lora"] if s.adapter != "full" else [])}
    # A folder on this computer is named, not linked (and its full path is not published).
    origin = f"the local model “{Path(base).name}”" if is_local(base) else f"[{base}](https://huggingface.co/{base})"
    rows = [("Base model", base if not is_local(base) else Path(base).name),
            ("Method", f"{'Supervised fine-tuning' if s.method == 'supervised' else 'DPO'} with "
             f"{'full weights' if s.adapter == 'full' else s.adapter.upper()}"
             + (" (adapter merged into the base weights)" if merged and s.adapter != "full" else "")),
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
    title = spec.config.suffix or Path(base).name
    return (f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n# {title} (fine-tuned)\n\n"
            f"Fine-tuned from {origin} with Fine-Tune Studio (TRL + PEFT).\n\n"
            f"## Training data\n\n{data}\n\n## Hyperparameters\n\n| Setting | Value |\n|---|---|\n{table}\n\n"
            "The exact configuration is in `trl_config.yaml`; rerun it with "
            f"`trl {'sft' if s.method == 'supervised' else 'dpo'} --config trl_config.yaml`.\n")


def write_recipe_file(spec: RunSpec, folder: RunFolder, path: Path) -> Path:
    """The run's TRL configuration as YAML at ``path``; a rerun writes to ./trl-output, not into the run."""
    from backend.training.recipe import write_recipe

    return write_recipe(spec, folder.path / "data", RERUN_OUTPUT, path)


def _size(paths) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def _check_free(path: Path, folder: bool) -> Path:
    """``path`` made absolute; InvalidInput when something is already there (an export never overwrites)."""
    path = Path(path).expanduser().absolute()
    empty_folder = folder and path.is_dir() and not any(path.iterdir())
    if path.exists() and not empty_folder:
        raise InvalidInput(f"“{path}” already exists" + (" and is not an empty folder." if folder else "."),
                           hint=f"Choose a new {'folder' if folder else 'file'} name: an export never overwrites.")
    return path


class _Steps:
    """Progress in bytes over the whole export, with an ETA from the average rate; checks cancel between steps."""

    def __init__(self, total: int, progress: ProgressFn | None, cancel: CancelToken):
        self.clock, self.done, self.progress, self.cancel = EtaClock(total), 0, progress, cancel

    def step(self, message: str, units: int = 0, *, stoppable: bool = True) -> None:
        if stoppable:
            self.cancel.raise_if_cancelled()
        self.done += units
        if self.progress:
            self.progress(self.clock.progress(min(self.done, self.clock.total or 0), message))

    def at(self, done_here: int, start: int, message: str) -> None:
        self.done = start + done_here
        if self.progress:
            self.progress(self.clock.progress(min(self.done, self.clock.total or 0), message))


def _stage_model(spec: RunSpec, folder: RunFolder, out: Path, steps: _Steps, base_bytes: int) -> None:
    """Write the trained model (an adapter merged onto its base), its tokenizer, card and recipe into ``out``."""
    source = trained_folder(folder)
    if (source / "adapter_config.json").exists():
        steps.step("Loading the base model")
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = AutoModelForCausalLM.from_pretrained(spec.model_path, dtype="auto")
        steps.step("Merging the adapter into the base model", base_bytes)
        merged = PeftModel.from_pretrained(base, str(source)).merge_and_unload()
        steps.step("Saving the merged model")
        merged.save_pretrained(out)
        AutoTokenizer.from_pretrained(source if (source / "tokenizer_config.json").exists() else spec.model_path
                                      ).save_pretrained(out)
        steps.step("Writing the model card", base_bytes)
    else:
        for item in sorted(source.iterdir()):
            if item.name not in _SKIP and item.is_file():
                steps.step(f"Copying {item.name}")
                shutil.copy2(item, out / item.name)
                steps.done += 2 * item.stat().st_size  # counted as loaded and saved
        steps.step("Writing the model card")
    write_recipe_file(spec, folder, out / "trl_config.yaml")
    (out / "README.md").write_text(model_card(spec, spec.data.summary, merged=True), encoding="utf-8")


def _install(tmp: Path, destination: Path) -> None:
    """Put the finished ``tmp`` at ``destination`` in one rename (an empty folder there is replaced)."""
    if destination.is_dir():
        destination.rmdir()  # fails, as it should, if something appeared there meanwhile
    os.replace(tmp, destination)


def _model_bytes(spec: RunSpec, folder: RunFolder) -> int:
    """Bytes of the model an export loads (and saves, and may upload): the base's weights, or the full model's."""
    source = trained_folder(folder)
    if (source / "adapter_config.json").exists():
        return _size(p for pattern in _WEIGHTS for p in Path(spec.model_path).glob(pattern))
    return _size(p for pattern in _WEIGHTS for p in source.glob(pattern))


def export_job(folder: RunFolder, request: ExportRequest, *, push_as: Callable[[], tuple[Account, str]] | None = None,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> ExportResult:
    """Export what ``request`` asks for: the merged model (into its folder, then pushed from there), then
    the recipe. ``push_as`` gives the Hugging Face account and token a push uses (the caller reads them: nothing
    here touches accounts or the keyring); it is asked once the request's names have been checked."""
    if not (request.merged_dir or request.repo_id is not None or request.recipe_file):
        raise InvalidInput("Nothing to export.",
                           hint="Choose a folder for the model, a Hub repository or a recipe file.")
    try:
        return _export(folder, request, push_as, progress, cancel or CancelToken())
    except OSError as exc:  # this computer's disk (the Hub's answers are translated where they happen)
        where = f"“{exc.filename}”" if exc.filename else "its files"
        if exc.errno == errno.ENOSPC:
            raise InvalidInput(f"The disk is full: the export could not write {where}.",
                               hint="Free some space, or choose a folder on another disk, then export again.") from exc
        if isinstance(exc, (FileExistsError, NotADirectoryError)):  # a file where a folder must go
            raise InvalidInput(f"The export could not write there: {where} is a file, not a folder.",
                               hint="Choose a folder (a new one, or an empty one).") from exc
        raise InvalidInput(f"The export could not write {where}: {(exc.strerror or str(exc)).lower()}.",
                           hint="Choose a folder you can write to.") from exc


def _export(folder: RunFolder, request: ExportRequest, push_as: Callable[[], tuple[Account, str]] | None,
            progress: ProgressFn | None, cancel: CancelToken) -> ExportResult:
    from backend import hub
    from backend.training import push

    spec = folder.read_spec()
    trained_folder(folder)
    merged_dir = _check_free(request.merged_dir, folder=True) if request.merged_dir else None
    recipe_file = _check_free(request.recipe_file, folder=False) if request.recipe_file else None
    repo_id = hub.check_id(request.repo_id, subject="repository") if request.repo_id is not None else None
    if repo_id and push_as is None:
        raise CredentialsError("Pushing to the Hugging Face Hub needs a Hugging Face account with a token.")
    account, token = push_as() if repo_id else (None, None)

    weights = _model_bytes(spec, folder) if (merged_dir or repo_id) else 0
    steps = _Steps(2 * weights + (weights if repo_id else 0), progress, cancel)
    url = None
    if merged_dir or repo_id:
        with tempfile.TemporaryDirectory(prefix=".fts-export-", dir=_work_dir(merged_dir)) as work:
            staged = Path(work) / "model"
            staged.mkdir()
            _stage_model(spec, folder, staged, steps, weights)
            if merged_dir:
                steps.step("Putting the model in its folder")
                _install(staged, merged_dir)
            if repo_id:
                source = merged_dir or staged
                start, scale = steps.done, weights / max(1, _size(source.rglob("*")))  # the upload's share

                def report(sent: int, message: str) -> None:
                    steps.at(int(sent * scale), start, message)

                try:
                    url = push.push_folder(source, repo_id, account=account, token=token, private=request.private,
                                           report=report, cancel=cancel)
                except StudioError as exc:
                    if merged_dir is None or isinstance(exc, Cancelled):
                        raise
                    raise type(exc)(f"{exc.message} The model itself was saved to {merged_dir}.",
                                    hint=exc.hint) from exc
    if recipe_file:
        steps.step("Writing the TRL recipe")
        recipe_file.parent.mkdir(parents=True, exist_ok=True)
        partial = recipe_file.with_name(f".{recipe_file.name}.partial")
        try:
            write_recipe_file(spec, folder, partial)
            os.replace(partial, recipe_file)
        finally:
            partial.unlink(missing_ok=True)
    steps.step("Exported", stoppable=False)  # done: a late cancel changes nothing
    return ExportResult(merged_dir=merged_dir, repo_url=url, private=request.private, recipe_file=recipe_file)


def _work_dir(merged_dir: Path | None) -> Path:
    """Where the model is staged: beside its destination folder (so that it is renamed into place, not
    copied), else in the app's cache; a cancel or a failure removes it."""
    from backend import paths

    work = merged_dir.parent if merged_dir is not None else paths.cache_dir() / "export"
    work.mkdir(parents=True, exist_ok=True)
    return work
