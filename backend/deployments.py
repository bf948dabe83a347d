"""Deployments of fine-tuned models, across every saved account whose provider hosts them (``Deploys``).

The one place the Deployments page and ``python main.py deployments ...`` share: which accounts deploy, the
manager of one account, every deployment of every account (one account's failure is a problem, the others still
show), what a job can deploy, and the Azure sign-in kept on the account. The Azure specifics live behind the
provider (``backend.providers.azure_deploy``); nothing here names a provider. Network calls: off the GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from backend import accounts, providers
from backend.errors import CapabilityMissing, InvalidInput
from backend.models import Account, Job, JobStatus
from backend.providers.azure_mgmt import DEVELOPER_LIFETIME, SKU_LABELS
from backend.providers.azure_prices import quote as hosting_quote
from backend.providers.azure_signin import SIGN_IN_METHODS
from backend.providers.base import Deploys

# What screens and commands offer (Azure's names and the words shown for them); re-exported so that the UI never
# imports a provider module.
DEPLOYMENT_TYPES = SKU_LABELS
__all__ = ["DEPLOYMENT_TYPES", "DEVELOPER_LIFETIME", "SIGN_IN_METHODS", "AccountDeployments", "deployable_models",
           "default_name", "deploying_accounts", "find_resource", "hosting_quote", "list_all", "manager", "sign_in",
           "time_left", "chat_ref", "deploy", "probe", "delete"]

log = logging.getLogger(__name__)


@dataclass
class AccountDeployments:
    """One account's deployments (``views``: ``azure_deploy.DeploymentView``), or why they could not be listed."""

    account: Account
    views: list[Any] = field(default_factory=list)
    problem: str | None = None


def _kind_for(account: Account):
    for kind in providers.kinds(having=Deploys):
        if providers.provider_class(kind).account.kind is account.kind:
            return kind
    return None


def deploying_accounts() -> list[Account]:
    """Saved accounts whose provider deploys models."""
    return [a for a in accounts.list_accounts() if _kind_for(a) is not None]


def manager(account: Account, *, prompt: Any = None) -> Any:
    """The account's deployment manager. Raises CapabilityMissing for an account whose provider does not deploy."""
    kind = _kind_for(account)
    if kind is None:
        raise CapabilityMissing(f"“{account.name}” is not an account whose models can be deployed.",
                                hint="Deployments are for Azure OpenAI accounts.")
    return providers.open_provider(kind, account.id).deployments(prompt=prompt)


def list_all(*, prompt: Any = None) -> list[AccountDeployments]:
    """Every deployment of every deploying account, account by account."""
    out = []
    for account in deploying_accounts():
        try:
            out.append(AccountDeployments(account, manager(account, prompt=prompt).list()))
        except Exception as exc:  # noqa: BLE001 - one account's failure must not hide the others
            log.warning("deployments of %s: %s", account.name, exc)
            out.append(AccountDeployments(account, problem=str(exc)))
    return out


def deployable_models(job: Job, checkpoints: list[Any]) -> list[tuple[str, str]]:
    """(model, label) a job can deploy: its fine-tuned model, then its checkpoints' models, newest first."""
    if not providers.has(job.provider, Deploys):
        raise CapabilityMissing(f"{providers.label(job.provider)} models are not deployed by the app.")
    out = []
    if job.status is JobStatus.SUCCEEDED and job.fine_tuned_model and job.model_deleted_at is None:
        out.append((job.fine_tuned_model, f"{job.fine_tuned_model} (final model)"))
    for checkpoint in sorted(checkpoints, key=lambda c: c.step, reverse=True):
        out.append((checkpoint.model, f"{checkpoint.model} (step {checkpoint.step})"))
    if not out:
        raise InvalidInput("This job has no model to deploy yet.", hint="Deploy a job once it has succeeded.")
    return out


def default_name(model: str) -> str:
    """A deployment name from a model id (letters, digits, '-', at most 64)."""
    import re

    base = model.split(".ft-")[-1] if ".ft-" in model else model
    return ("ft-" + re.sub(r"[^A-Za-z0-9-]+", "-", base).strip("-"))[:64]


def sign_in(account: Account, *, method: str | None = None, prompt: Any = None) -> Account:
    """Sign in to Azure for the account now (with ``method`` when given, which is then kept on the account) and
    keep who signed in on it (non-secret settings; the secret stays as saved). Returns the saved account."""
    if method is not None and method != account.azure_sign_in:
        account = accounts.save_account(account.model_copy(update={"azure_sign_in": method}))
    identity = manager(account, prompt=prompt).sign_in()
    return accounts.save_account(account.model_copy(update={"azure_identity": identity}))


def find_resource(account: Account, *, prompt: Any = None) -> Account:
    """Fill in the account's resource group and resource name from its endpoint, and save them."""
    subscription, group, name = manager(account, prompt=prompt).find_resource()
    return accounts.save_account(account.model_copy(update={"subscription_id": subscription,
                                                            "resource_group": group, "resource_name": name}))


def time_left(expires: Any, now: Any = None) -> str:
    """A Developer deployment's countdown ("deleted by Azure in 23 h 12 min"), or "" without an expiry."""
    from datetime import UTC, datetime

    if expires is None:
        return ""
    left = (expires - (now or datetime.now(UTC))).total_seconds()
    if left <= 0:
        return "deleted by Azure by now"
    hours, minutes = int(left // 3600), int(left % 3600 // 60)
    return f"deleted by Azure in {hours} h {minutes:02d} min"


def chat_ref(account: Account, name: str, model: str) -> dict:
    """The playground's reference (a ``ModelRef`` as a dict) to chat with a deployment of ``account``."""
    kind = _kind_for(account)
    return {"provider": kind.value if kind else None, "account_id": account.id, "model": name,
            "kind": "fine-tuned", "label": f"{name} (deployment of {model})"}


# -- one call each, for a worker (the manager is built there too: it reads the keyring) --------------------------
def deploy(account: Account, model: str, name: str, sku: str, capacity: int, *, then_probe: bool = True,
           prompt: Any = None, progress: Any = None, cancel: Any = None) -> tuple[Any, bool | None]:
    """Deploy ``model`` as ``name`` once, then probe it until it answers (``then_probe``). Returns (the
    deployment as Azure describes it, whether it is ready: None when not probed)."""
    manager_ = manager(account, prompt=prompt)
    info = manager_.deploy(model, name, sku, capacity, progress=progress, cancel=cancel)
    if not then_probe:
        return info, None
    return info, manager_.probe(name, progress=progress, cancel=cancel)


def probe(account: Account, name: str, *, prompt: Any = None, progress: Any = None, cancel: Any = None) -> bool:
    return manager(account, prompt=prompt).probe(name, progress=progress, cancel=cancel)


def delete(account: Account, name: str, *, prompt: Any = None, progress: Any = None, cancel: Any = None) -> None:
    """Delete the deployment; its hosting charges stop (the fine-tuned model stays)."""
    manager(account, prompt=prompt).delete(name, progress=progress, cancel=cancel)
