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
from collections.abc import Iterator
from pathlib import Path

from backend import accounts, hub, paths
from backend.cancel import CancelToken, ProgressFn
from backend.errors import InvalidInput, NotFound
from backend.hub import MODEL_FILES
from backend.models import ChatMessage, ChatParams, Job, ModelRef
from backend.providers.hf_jobs_stream import Mirror
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


class PushedResult:
    """The verbs a cloud provider offers on what its runs pushed (``JobModels``, ``LoadsModel``, ``Chats``,
    ``Exports``), mixed into ``HFJobsProvider``: it brings ``kind``, ``account`` and ``secret``."""

    @classmethod
    def job_models(cls, job: Job) -> list[ModelRef]:
        """The pushed adapter, then the pushed checkpoints newest first (read from the mirror: no network)."""
        if not job.run_dir:
            return []
        name = job.name or job.id[:8]
        refs = []
        for pushed in reversed(Mirror.at(job.run_dir).pushed()):
            if pushed.get("error") or not pushed.get("repo"):
                continue
            model = ref(pushed["repo"], pushed.get("path") or "")
            if any(r.model == model for r in refs):
                continue
            final = bool(pushed.get("final"))
            refs.append(ModelRef(provider=cls.kind, account_id=job.account_id, model=model,
                                 label=f"{name} (fine-tuned)" if final else f"{name} · checkpoint-{pushed.get('step')}",
                                 kind="fine-tuned" if final else "checkpoint"))
        return sorted(refs, key=lambda r: r.kind != "fine-tuned")

    @classmethod
    def base_model_ref(cls, job: Job) -> ModelRef | None:
        return None  # the base runs on this computer through the local provider's own references

    def _local(self, model: str, progress: ProgressFn | None, cancel: CancelToken | None) -> tuple[Path, Path]:
        """(base folder, adapter folder) of a pushed result, downloaded to this computer as needed."""
        repo, _path = split(model)
        endpoint = (self.account.endpoint if self.account else None) or None
        base_model = self._base_of(repo)
        trained = adapter(model, base_model, token=self.secret, endpoint=endpoint, progress=progress, cancel=cancel)
        return base(base_model, token=self.secret, endpoint=endpoint, progress=progress, cancel=cancel), trained

    def _base_of(self, repo: str) -> str:
        from backend.store import JobStore

        store = JobStore()
        try:
            job = next((j for j in store.list_jobs(provider=self.kind) if j.metadata.get("output_repo") == repo), None)
        finally:
            store.close()
        if job is None or not job.base_model:
            raise NotFound(f"No run of this app pushed “{repo}”, so its base model is unknown here.",
                           hint="Import the job from the Jobs page first.")
        return job.base_model

    def load(self, model: str, *, adapter: str | None = None, progress: ProgressFn | None = None,
             cancel: CancelToken | None = None):
        """Download the pushed adapter and its base (once), and load them for local chat (``LoadsModel``)."""
        from backend import local_chat

        base, trained = self._local(model, progress, cancel)
        return local_chat.load(str(base), str(trained), progress=progress, cancel=cancel)

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        from backend import local_chat

        base, trained = self._local(model, None, cancel)
        return local_chat.stream_reply(str(base), messages, params, adapter=str(trained), cancel=cancel)

    def export(self, job: Job, request, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None):
        """The local export (merge, save, push, recipe) of the pushed adapter, downloaded to a local run folder."""
        from backend.training.export import export_job

        endpoint = (self.account.endpoint if self.account else None) or None
        folder = run_folder(job, token=self.secret, endpoint=endpoint, progress=progress, cancel=cancel)

        def push_as():
            return accounts.hub_push_account(request.account, preferred=job.account_id)

        return export_job(folder, request, push_as=push_as, progress=progress, cancel=cancel)

