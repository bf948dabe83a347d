"""Every model the playground can chat with, gathered from accounts, the job store and this computer.

Slow sources (a provider's model list) are asked once per account; one that fails is reported in
``Catalog.problems`` and the rest of the catalog still appears. Called off the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, Field

from backend import hub, providers
from backend.chat import ModelRef
from backend.models import Job, JobStatus, ProviderKind
from backend.providers.base import AccountNeed, JobModels, ListsChatModels
from backend.store import JobStore

log = logging.getLogger(__name__)


class Catalog(BaseModel):
    models: list[ModelRef] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # "OpenAI · “work”: the key was refused."

    def groups(self) -> dict[str, list[ModelRef]]:
        """Models by "provider · account" heading, in catalog order."""
        names = _account_names()
        grouped: dict[str, list[ModelRef]] = {}
        for ref in self.models:
            grouped.setdefault(group_title(ref, names), []).append(ref)
        return grouped


def group_title(ref: ModelRef, names: dict[str, str] | None = None) -> str:
    """The provider's label, then the account's name when the model runs under a saved account."""
    label = providers.label(ref.provider)
    name = (_account_names() if names is None else names).get(ref.account_id or "")
    return f"{label} · {name}" if name else label


def _account_names() -> dict[str, str]:
    from backend import accounts

    try:
        return {a.id: a.name for a in accounts.list_accounts()}
    except Exception:  # noqa: BLE001 - a broken accounts file only loses the headings' names
        return {}


def local_refs(folder: Path, label: str, kind: str) -> ModelRef | None:
    """A folder on this computer as a model reference for the provider that runs folders (None when no
    provider does); a PEFT adapter folder is marked as such."""
    from backend.local_chat import is_adapter_folder

    runner = providers.local_runner()
    if runner is None:
        return None
    adapter = kind == "local" and is_adapter_folder(folder)
    return ModelRef(provider=runner, model=str(folder), label=label, kind="adapter" if adapter else kind)


def _job_models(kind: ProviderKind) -> type | None:
    """The class of ``kind`` when it says itself which models its jobs made (``JobModels``)."""
    return providers.provider_class(kind) if providers.has(kind, JobModels) else None


def job_refs(job: Job, store: JobStore) -> list[ModelRef]:
    """A job's models to chat with: what its provider names (``JobModels``: a local run's final model and
    checkpoints, read from its folder), else a succeeded job's model and its stored checkpoints."""
    own = _job_models(job.provider)
    if own is not None:
        return own.job_models(job)
    name = job.name or job.fine_tuned_model or job.id[:8]
    refs = []
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
    own = _job_models(job.provider)
    if own is not None:
        return own.base_model_ref(job)
    return ModelRef(provider=job.provider, account_id=job.account_id, model=job.base_model,
                    label=f"{job.base_model} (base)", kind="base")


def build_catalog(store: JobStore | None = None, *, with_accounts: bool = True) -> Catalog:
    """Fine-tuned models and checkpoints first, then the providers' chat models (``with_accounts=False``
    leaves these out: they are asked over the network), then the models on this computer."""
    store = store or JobStore()
    catalog = Catalog()
    seen: set[tuple] = set()

    def add(ref: ModelRef) -> None:
        if ref.key not in seen:
            seen.add(ref.key)
            catalog.models.append(ref)

    for job in store.list_jobs():
        if job.status is JobStatus.SUCCEEDED or _job_models(job.provider) is not None:
            for ref in job_refs(job, store):
                add(ref)
    if with_accounts:
        for ref in _provider_models(catalog.problems):
            add(ref)
    runner = providers.local_runner()
    if runner is not None:
        for info in hub.cached_models():
            add(ModelRef(provider=runner, model=info.id, label=info.label or info.id, kind="local"))
        for job in store.list_jobs(provider=runner):
            if job.base_model and hub.is_local(job.base_model) and Path(job.base_model).expanduser().is_dir():
                add(ModelRef(provider=runner, model=job.base_model, kind="local",
                             label=f"{Path(job.base_model).name} (local folder)"))
    return catalog


def _provider_models(problems: list[str]) -> list[ModelRef]:
    """Each provider's chat models (``ListsChatModels``): once per saved account of the kind its class needs,
    or once without an account when it needs none. One that fails is a problem; the others still appear."""
    from backend import accounts

    saved = accounts.list_accounts()
    refs = []
    for kind in providers.kinds(having=ListsChatModels):
        spec = providers.provider_class(kind).account
        if spec.need is AccountNeed.NONE:
            sources = [None]
        else:
            sources = [a for a in saved if a.kind is spec.kind]
        for account in sources:
            account_id = account.id if account else None
            try:
                infos = providers.open_provider(kind, account_id).chat_models()
            except Exception as exc:  # noqa: BLE001 - one account's failure must not hide the others
                where = f"{providers.label(kind)} · “{account.name}”" if account else providers.label(kind)
                log.warning("catalog: %s failed: %s", where, exc)
                problems.append(f"{where}: {exc}")
                continue
            refs += [ModelRef(provider=kind, account_id=account_id, model=info.id, label=info.label or info.id,
                              kind="fine-tuned" if info.fine_tuned else "base") for info in infos]
    return refs


def model_id_ref(kind: ProviderKind, model: str) -> ModelRef:
    """A model typed by its id for ``kind`` (its class's ``model_id_prompt``), under the first saved account of
    the kind its class needs (None when there is none: the reply then says what is missing)."""
    spec = providers.provider_class(kind).account
    account_id = None
    if spec.kind is not None:
        from backend import accounts

        try:
            account_id = next((a.id for a in accounts.list_accounts(spec.kind)), None)
        except Exception:  # noqa: BLE001 - a broken accounts file: the reply will say what is missing
            account_id = None
    return ModelRef(provider=kind, account_id=account_id, model=model, label=model)
