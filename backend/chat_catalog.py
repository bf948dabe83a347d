"""Every model the playground can chat with, gathered from accounts, the job store and this computer.

Slow sources (a provider's model list) are asked once per account; one that fails is reported in
``Catalog.problems`` and the rest of the catalog still appears. ``AccountModels`` remembers the answers
between builds, so a job's progress rebuilds the catalog from the job store alone, and an account that
does not answer is asked again only after a delay that doubles each time. Called off the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from backend import hub, providers
from backend.chat import ModelRef
from backend.errors import NetworkError
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


def build_catalog(store: JobStore | None = None, *, with_accounts: bool = True, sources: AccountModels | None = None,
                  force: bool = False) -> Catalog:
    """Fine-tuned models and checkpoints first, then the providers' chat models (``with_accounts=False``
    leaves these out: they are asked over the network), then the models on this computer. ``sources``
    remembers the providers' answers between builds (``force`` asks every account again)."""
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
        for ref in (sources or AccountModels()).refs(catalog.problems, force=force):
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


@dataclass
class _Failure:
    count: int  # failures in a row
    next_try: float  # on the sources' clock
    problem: str  # the sentence the playground shows


class AccountModels:
    """Each provider's chat models (``ListsChatModels``), once per saved account of the kind its class needs
    (or once without an account when it needs none), remembered between catalog builds.

    An account is asked when first seen, when ``force`` says so (the user's Refresh, an account edited),
    and, after a failure, again only once its delay has passed: ``FIRST_DELAY`` doubled with each failure
    in a row, at most ``MAX_DELAY``. Before, every job update asked every account again, and an account
    that did not answer was retried 18 times in 35 seconds. ``clock`` is injectable for tests; one build
    at a time uses an instance (the playground runs one catalog task at a time)."""

    FIRST_DELAY, MAX_DELAY = 30.0, 15 * 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.asked = 0  # how many times an account's models were fetched (the log and tests read it)
        self._models: dict[tuple, list[ModelRef]] = {}
        self._failures: dict[tuple, _Failure] = {}

    def forget(self) -> None:
        """Ask every account again at the next build (the accounts changed)."""
        self._models.clear()
        self._failures.clear()

    def next_retry_in(self) -> float | None:
        """Seconds until the earliest account that failed may be asked again (None: none failed)."""
        if not self._failures:
            return None
        return max(0.0, min(f.next_try for f in self._failures.values()) - self.clock())

    def refs(self, problems: list[str], *, force: bool = False) -> list[ModelRef]:
        """The models of every source; a source that fails (now or still backing off) adds a problem."""
        from backend import accounts

        refs: list[ModelRef] = []
        for kind, account in self._sources(accounts.list_accounts()):
            key = (kind.value, account.id if account else None)
            failure = self._failures.get(key)
            if not force and key in self._models:
                refs += self._models[key]
            elif not force and failure is not None and self.clock() < failure.next_try:
                problems.append(failure.problem)
            else:
                fetched = self._fetch(kind, account, key)
                if fetched is None:
                    problems.append(self._failures[key].problem)
                else:
                    refs += fetched
        return refs

    @staticmethod
    def _sources(saved: list) -> list[tuple[ProviderKind, object]]:
        sources = []
        for kind in providers.kinds(having=ListsChatModels):
            spec = providers.provider_class(kind).account
            if spec.need is AccountNeed.NONE:
                sources.append((kind, None))
            else:
                sources += [(kind, a) for a in saved if a.kind is spec.kind]
        return sources

    def _fetch(self, kind: ProviderKind, account, key: tuple) -> list[ModelRef] | None:
        account_id = account.id if account else None
        self.asked += 1
        try:
            infos = providers.open_provider(kind, account_id).chat_models()
        except Exception as exc:  # noqa: BLE001 - one account's failure must not hide the others
            self._failed(kind, account, key, exc)
            return None
        self._failures.pop(key, None)
        refs = [ModelRef(provider=kind, account_id=account_id, model=info.id, label=_clean(info.label or info.id),
                         kind="fine-tuned" if info.fine_tuned else "base") for info in infos]
        self._models[key] = refs
        return refs

    def _failed(self, kind: ProviderKind, account, key: tuple, exc: Exception) -> None:
        count = self._failures[key].count + 1 if key in self._failures else 1
        delay = min(self.FIRST_DELAY * 2 ** (count - 1), self.MAX_DELAY)
        where = f"{providers.label(kind)} · “{account.name}”" if account else providers.label(kind)
        when = (datetime.now() + timedelta(seconds=delay)).strftime("%H:%M:%S")
        what = f"{where} is unreachable" if isinstance(exc, NetworkError) else f"{where} failed"
        problem = f"{what} ({str(exc).rstrip('.')}). The next try is at {when}, or now with Refresh models."
        self._failures[key] = _Failure(count, self.clock() + delay, problem)
        log.warning("catalog: %s failed (%d in a row; next try in %.0f s): %s", where, count, delay, exc)


def _clean(text: str) -> str:
    """A provider's model label on one line without stray spaces (some labels carry leading ones)."""
    return " ".join(text.split())


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
