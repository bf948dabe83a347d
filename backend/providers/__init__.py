"""The provider registry: one line per provider, and what the app asks it.

``PROVIDERS`` maps a kind to its class (``"module:Class"``, imported on first use so that no SDK loads before it is
needed). It is read on every call and nothing is cached per kind, so a test adds a provider with one
``monkeypatch.setitem(PROVIDERS, ...)``. Screens and commands ask here (``kinds(having=Cancels)``, ``label``,
``provider_class(kind).model_page``) instead of naming kinds.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from backend import paths
from backend.errors import CredentialsError, InvalidInput
from backend.models import RANGES_CONTEXT, Account, AccountKind, ProviderKind, TrainingConfig
from backend.providers.base import (AccountNeed, AccountSpec, ChecksAccount, FromEnvironment, ModelPage,
                                    ProviderBase)

__all__ = ["DEFAULT_KIND", "PROVIDERS", "account_spec", "environment_provider",
           "for_account_kind", "has", "infer_kind", "kinds", "label", "local_runner", "open_provider",
           "provider_class", "training_config"]

#: Registry order is the order of every list the user sees (the wizard's providers, the Jobs filter).
PROVIDERS: dict[ProviderKind, str] = {
    ProviderKind.OPENAI: "backend.providers.openai:OpenAIProvider",
    ProviderKind.AZURE: "backend.providers.azure:AzureProvider",
    ProviderKind.HF_LOCAL: "backend.providers.hf_local:LocalProvider",
    ProviderKind.HF_INFERENCE: "backend.providers.hf_inference:InferenceProvider",
    ProviderKind.HF_ENDPOINTS: "backend.providers.hf_endpoints:EndpointsProvider",
    ProviderKind.OLLAMA: "backend.providers.ollama:OllamaProvider",
    ProviderKind.HF_JOBS: "backend.providers.hf_jobs:HFJobsProvider",
}
#: The provider a command uses when nothing else says (`jobs import`, `chat` with a bare model name).
DEFAULT_KIND = ProviderKind.OPENAI


def provider_class(kind: ProviderKind | str) -> type[ProviderBase]:
    """The class registered for ``kind``. Raises InvalidInput for a kind no provider has (a job recorded by
    another version of the app)."""
    kind = ProviderKind(kind)
    target = PROVIDERS.get(kind)
    if target is None:
        raise InvalidInput(f"{kind.value} is not available in this version of Fine-Tune Studio.")
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def kinds(*, having: type | None = None, model_page: ModelPage | None = None) -> list[ProviderKind]:
    """Registered kinds, in registry order; only those whose class has the Protocol ``having`` / uses the wizard
    page ``model_page`` when given."""
    found = []
    for kind in list(PROVIDERS):
        cls = provider_class(kind)
        if having is not None and not issubclass(cls, having):
            continue
        if model_page is not None and cls.model_page is not model_page:
            continue
        found.append(ProviderKind(kind))
    return found


def has(kind: ProviderKind | str, verb: type) -> bool:
    """Whether ``kind``'s class has the optional verb ``verb`` (a Protocol of ``backend.providers.base``);
    False for a kind no provider has."""
    return ProviderKind(kind) in PROVIDERS and issubclass(provider_class(kind), verb)


def label(kind: ProviderKind | str | None) -> str:
    """How the user reads ``kind``; a kind no provider has reads as its value."""
    if kind is None:
        return ""
    kind = ProviderKind(kind)
    return provider_class(kind).label if kind in PROVIDERS else kind.value


def account_spec(kind: ProviderKind | str) -> AccountSpec | None:
    """The account ``kind`` needs, or None for a kind no provider has."""
    return provider_class(kind).account if ProviderKind(kind) in PROVIDERS else None


def for_account_kind(kind: AccountKind) -> ProviderKind:
    """The provider that tests an account of ``kind`` (the first one that checks such accounts)."""
    for candidate in kinds(having=ChecksAccount):
        if provider_class(candidate).account.kind is kind:
            return candidate
    raise InvalidInput(f"No provider of this version uses {kind.value} accounts.")


def infer_kind(model: str | None) -> ProviderKind | None:
    """The provider a model id (or folder) can only mean, asking each class in registry order; None when the id
    does not say."""
    if not model:
        return None
    return next((kind for kind in kinds() if provider_class(kind).claims_model(model)), None)


def local_runner() -> ProviderKind | None:
    """The provider that runs model folders on this computer (`chat --model FOLDER`, "Choose a folder")."""
    return next((kind for kind in kinds() if provider_class(kind).runs_local_folders), None)


def hyperparameter_ranges(kind: ProviderKind | str) -> tuple[str, Mapping] | None:
    """(how a refusal names the provider, its ranges by field), or None for a kind no provider has."""
    if ProviderKind(kind) not in PROVIDERS:
        return None
    cls = provider_class(kind)
    return cls.ranges_named or cls.label, cls.hyperparameter_ranges


def training_config(**fields) -> TrainingConfig:
    """A ``TrainingConfig`` held to its provider's hyperparameter ranges (the class's ``hyperparameter_ranges``).
    Raises pydantic's ``ValidationError``, which ``backend.bounds.refusal`` words as one sentence."""
    kind = fields.get("provider")
    try:
        ranges = hyperparameter_ranges(kind) if kind else None
    except ValueError:  # not a kind at all: TrainingConfig says so
        ranges = None
    return TrainingConfig.model_validate(fields, context={RANGES_CONTEXT: ranges} if ranges else None)


def open_provider(kind: ProviderKind | str, account_id: str | None = None) -> ProviderBase:
    """The provider for ``kind`` with the saved account ``account_id`` and its keyring secret, as its
    ``AccountSpec`` asks: NONE never reads the keyring; OPTIONAL works without an account and without a saved
    secret; REQUIRED needs both (or, without an account, the environment's key where the SDK reads one)."""
    kind = ProviderKind(kind)
    cls = provider_class(kind)
    spec = cls.account
    if spec.need is AccountNeed.NONE:
        return cls(account=None, secret=None)
    if account_id:
        from backend import accounts, credentials  # only with an account: local training needs neither

        account: Account = accounts.get_account(account_id)
        secret = credentials.get_secret(account_id)
        if secret is None and spec.need is AccountNeed.REQUIRED:
            raise CredentialsError(
                f"The account “{account.name}” has no saved key.", hint="Open Accounts and enter it again."
            )
        return cls(account=account, secret=secret)
    if spec.need is AccountNeed.OPTIONAL:
        return cls(account=None, secret=None)
    provider = environment_provider(kind)
    if provider is not None:
        return provider
    if spec.missing:
        raise CredentialsError(spec.missing, hint=spec.missing_hint or None)
    variable = paths.AZURE_OPENAI_API_KEY if kind is ProviderKind.AZURE else paths.OPENAI_API_KEY
    raise CredentialsError(f"{cls.label} needs an account.",
                           hint=f"Add one on the Accounts page (or set {variable} for the command line).")


def environment_provider(kind: ProviderKind) -> ProviderBase | None:
    """``kind``'s provider with the SDK's own environment variables (``FromEnvironment``), or None when it reads
    none or they are unset: what "no saved account" means for scripts and CI."""
    cls = provider_class(kind)
    return cls.from_environment() if issubclass(cls, FromEnvironment) else None
