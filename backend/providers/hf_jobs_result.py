"""A cloud run's result on this computer: the adapter (or a checkpoint) it pushed to its private model repo,
downloaded once to the cache with the account's token and laid out as a local run folder, so that the local
playground loads it on its base and the local export merges and pushes it, with no second version of either.

A model reference names the output repo, and after ``::`` the checkpoint's folder in it (none: the final adapter
at the repo's root). The adapter's ``base_model_name_or_path`` is the job's own download path of the base model;
the copy here names the base by its Hub id instead, so local chat resolves it from the Hub cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from backend import hub, paths
from backend.cancel import CancelToken, ProgressFn
from backend.errors import InvalidInput
from backend.hub import MODEL_FILES
from backend.models import Job
from backend.training.spec import RunFolder

SEPARATOR = "::"
_ADAPTER_FILES = ["adapter_config.json", "adapter_model.safetensors", "tokenizer*", "special_tokens_map.json",
                  "*.jinja", "vocab*", "merges.txt"]


def ref(repo: str, path: str = "") -> str:
    return f"{repo}{SEPARATOR}{path}" if path else repo


def split(model: str) -> tuple[str, str]:
    repo, _, path = model.partition(SEPARATOR)
    return repo, path


def _download(repo: str, patterns: list[str], token: str | None, endpoint: str | None, local_dir: Path | None,
              subject: str, progress: ProgressFn | None, cancel: CancelToken | None) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo, token=token, endpoint=endpoint, allow_patterns=patterns,
                                      local_dir=str(local_dir) if local_dir else None,
                                      tqdm_class=hub._bar_class(progress, cancel)))
    except Exception as exc:  # noqa: BLE001 - said in a sentence
        raise hub.hub_error(exc, subject=subject, name=repo, endpoint=endpoint) from exc


def adapter(model: str, base_model: str, *, token: str | None, endpoint: str | None,
            progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Path:
    """The pushed adapter ``model`` (a reference from ``ref``) in the cache, naming ``base_model`` as its base."""
    repo, path = split(model)
    where = paths.cache_dir() / "hf-jobs" / repo.replace("/", "--")
    patterns = [f"{path}/{p}" for p in _ADAPTER_FILES] if path else _ADAPTER_FILES
    _download(repo, patterns, token, endpoint, where, "model", progress, cancel)
    folder = where / path if path else where
    config = folder / "adapter_config.json"
    if not config.is_file():
        raise InvalidInput(f"“{repo}” holds no trained adapter{' in ' + path if path else ''} yet.",
                           hint="Wait for the run to push it, or choose one of its checkpoints.")
    values = json.loads(config.read_text(encoding="utf-8"))
    if values.get("base_model_name_or_path") != base_model:
        values["base_model_name_or_path"] = base_model
        config.write_text(json.dumps(values, indent=2), encoding="utf-8")
    return folder


def base(base_model: str, *, token: str | None, endpoint: str | None, progress: ProgressFn | None = None,
         cancel: CancelToken | None = None) -> Path:
    """The base model's folder: a local one, the Hub cache's, or downloaded now."""
    return hub.local_path(base_model) or _download(base_model, MODEL_FILES, token, endpoint, None, "model", progress,
                                                   cancel)


def run_folder(job: Job, *, token: str | None, endpoint: str | None, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> RunFolder:
    """The finished cloud run as a local run folder (its spec, the final adapter, the base model here), for the
    local export."""
    output, data_repo = job.metadata.get("output_repo"), job.metadata.get("data_repo")
    if not (job.fine_tuned_model and output and data_repo):
        raise InvalidInput("This run has no pushed result to export yet.", hint="Wait for it to finish.")
    folder = RunFolder(paths.cache_dir() / "hf-jobs" / "runs" / job.id)
    source = _download(data_repo, ["run/config.json"], token, endpoint, folder.path / "input", "dataset", progress,
                       cancel)
    spec = RunFolder(source / "run").read_spec()
    spec.model_path = str(base(job.base_model or spec.config.base_model, token=token, endpoint=endpoint,
                               progress=progress, cancel=cancel))
    folder.write_spec(spec)
    trained = adapter(output, job.base_model or spec.config.base_model, token=token, endpoint=endpoint,
                      progress=progress, cancel=cancel)
    shutil.copytree(trained, folder.final, dirs_exist_ok=True)
    return folder
