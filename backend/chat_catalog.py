"""Every model the playground can chat with, gathered from accounts, the job store and this computer.

Slow sources (a provider's model list) are asked once per account; one that fails is reported in
``Catalog.problems`` and the rest of the catalog still appears. Called off the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, Field

from backend import hub
from backend.chat import ModelRef
from backend.models import Job, JobStatus, ProviderKind
from backend.store import JobStore

log = logging.getLogger(__name__)

# Which providers chat through an account of each kind (the local provider needs none).
_CHAT_PROVIDERS = {"openai": ProviderKind.OPENAI, "azure": ProviderKind.AZURE}


class Catalog(BaseModel):
    models: list[ModelRef] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # "Account “work”: the key was refused."

    def groups(self) -> dict[str, list[ModelRef]]:
        """Models by "provider · account" heading, in catalog order."""
        grouped: dict[str, list[ModelRef]] = {}
        for ref in self.models:
            grouped.setdefault(group_title(ref), []).append(ref)
        return grouped


def group_title(ref: ModelRef) -> str:
    if ref.kind == "hub":
        return "Hugging Face Inference Providers"
    label = ref.provider.label
    name = _account_names().get(ref.account_id or "")
    return f"{label} · {name}" if name else label


def _account_names() -> dict[str, str]:
    from backend import accounts

    try:
        return {a.id: a.name for a in accounts.list_accounts()}
    except Exception:  # noqa: BLE001 - a broken accounts file only loses the headings' names
        return {}


def local_refs(folder: Path, label: str, kind: str) -> ModelRef:
    """A local folder as a model reference; a PEFT adapter folder is marked as such."""
    adapter = (folder / "adapter_config.json").exists() and not (folder / "config.json").exists()
    return ModelRef(provider=ProviderKind.HF_LOCAL, model=str(folder), label=label,
                    kind="adapter" if adapter and kind == "local" else kind)


def job_refs(job: Job, store: JobStore) -> list[ModelRef]:
    """A finished job's model and its checkpoints (for local runs, read from the run folder)."""
    name = job.name or job.fine_tuned_model or job.id[:8]
    refs = []
    if job.provider is ProviderKind.HF_LOCAL and job.run_dir:
        from backend.training.spec import RunFolder

        run = RunFolder(job.run_dir)
        for folder in run.checkpoint_dirs():
            refs.append(local_refs(folder, f"{name} · {folder.name}", "checkpoint"))
        if run.final.is_dir():
            refs.append(local_refs(run.final, f"{name} (fine-tuned)", "fine-tuned"))
        return list(reversed(refs))  # the final model first, then the newest checkpoint
    if job.status is JobStatus.SUCCEEDED and job.fine_tuned_model and job.model_deleted_at is None:
        refs.append(ModelRef(provider=job.provider, account_id=job.account_id, model=job.fine_tuned_model,
                             label=f"{name} (fine-tuned)", kind="fine-tuned"))
    for checkpoint in sorted(store.checkpoints(job.id), key=lambda c: c.step, reverse=True):
        refs.append(ModelRef(provider=job.provider, account_id=job.account_id, model=checkpoint.model,
                             label=f"{name} · step {checkpoint.step}", kind="checkpoint"))
    return refs


def base_ref(job: Job) -> ModelRef | None:
    """The model a job started from, to compare its fine-tune against."""
    if not job.base_model:
        return None
    if job.provider is ProviderKind.HF_LOCAL:
        return ModelRef(provider=ProviderKind.HF_LOCAL, model=job.base_model, label=f"{job.base_model} (base)",
                        kind="local")
    return ModelRef(provider=job.provider, account_id=job.account_id, model=job.base_model,
                    label=f"{job.base_model} (base)", kind="base")


def build_catalog(store: JobStore | None = None, *, with_accounts: bool = True) -> Catalog:
    """Fine-tuned models and checkpoints first, then accounts' base models, then local models."""
    store = store or JobStore()
    catalog = Catalog()
    seen: set[tuple] = set()

    def add(ref: ModelRef) -> None:
        if ref.key not in seen:
            seen.add(ref.key)
            catalog.models.append(ref)

    for job in store.list_jobs():
        if job.status is JobStatus.SUCCEEDED or job.provider is ProviderKind.HF_LOCAL:
            for ref in job_refs(job, store):
                add(ref)
    if with_accounts:
        for ref in _account_models(catalog.problems):
            add(ref)
    for info in hub.cached_models():
        add(ModelRef(provider=ProviderKind.HF_LOCAL, model=info.id, label=info.label or info.id, kind="local"))
    for job in store.list_jobs(provider=ProviderKind.HF_LOCAL):
        if job.base_model and hub.is_local(job.base_model) and Path(job.base_model).expanduser().is_dir():
            add(ModelRef(provider=ProviderKind.HF_LOCAL, model=job.base_model, kind="local",
                         label=f"{Path(job.base_model).name} (local folder)"))
    return catalog


def _account_models(problems: list[str]) -> list[ModelRef]:
    from backend import accounts
    from backend.providers import open_provider

    refs = []
    for account in accounts.list_accounts():
        kind = _CHAT_PROVIDERS.get(account.kind.value)
        if account.kind.value == "huggingface":
            refs += _hub_models(account, problems)
        if kind is None:
            continue
        try:
            for info in open_provider(kind, account.id).list_base_models():
                refs.append(ModelRef(provider=kind, account_id=account.id, model=info.id, label=info.label or info.id,
                                     kind="fine-tuned" if info.fine_tuned else "base"))
        except Exception as exc:  # noqa: BLE001 - one account's failure must not hide the others
            log.warning("catalog: account %s failed: %s", account.name, exc)
            problems.append(f"Account “{account.name}”: {exc}")
    return refs


def _hub_models(account, problems: list[str]) -> list[ModelRef]:
    """Hub models served by Inference Providers, for a Hugging Face account (skipped offline)."""
    from backend.providers.hf_inference import InferenceProvider

    try:
        names = InferenceProvider.for_account(account.id).list_chat_models()
    except Exception as exc:  # noqa: BLE001 - the rest of the catalog still appears
        problems.append(f"Hub models for “{account.name}”: {exc}")
        return []
    return [hub_ref(name, account.id) for name in names]


def hub_ref(model: str, account_id: str | None) -> ModelRef:
    return ModelRef(provider=ProviderKind.HF_JOBS, account_id=account_id, model=model, label=model, kind="hub")
