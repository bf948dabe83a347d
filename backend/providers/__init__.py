"""Provider registry: build a provider for a kind and an account, importing its SDK lazily."""

from __future__ import annotations

import importlib

from backend import paths
from backend.errors import CredentialsError, InvalidInput
from backend.models import Account, AccountKind, ProviderKind
from backend.providers.base import Capability, Provider

__all__ = ["Capability", "Provider", "environment_provider", "open_provider", "provider_class"]

_MODULES = {
    ProviderKind.OPENAI: ("backend.providers.openai", "OpenAIProvider"),
    ProviderKind.AZURE: ("backend.providers.azure", "AzureProvider"),
    ProviderKind.HF_LOCAL: ("backend.providers.hf_local", "LocalProvider"),
    ProviderKind.HF_JOBS: ("backend.providers.hf_jobs", "HFJobsProvider"),
}


def provider_class(kind: ProviderKind) -> type:
    module_name, class_name = _MODULES[kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise InvalidInput(f"{kind.label} is not available in this version of Fine-Tune Studio.") from None
        raise
    return getattr(module, class_name)


def open_provider(kind: ProviderKind, account_id: str | None = None) -> Provider:
    """The provider for ``kind`` with the saved account ``account_id`` and its keyring secret."""
    account: Account | None = None
    secret: str | None = None
    if account_id:
        from backend import accounts, credentials  # only with an account: local training needs neither

        account = accounts.get_account(account_id)
        secret = credentials.get_secret(account_id)
        if secret is None and kind is not ProviderKind.HF_LOCAL:
            raise CredentialsError(
                f"The account “{account.name}” has no saved key.", hint="Open Accounts and enter it again."
            )
    elif kind.account_kind is not None and kind is not ProviderKind.HF_LOCAL:
        provider = environment_provider(kind)
        if provider is None:
            variable = paths.AZURE_OPENAI_API_KEY if kind is ProviderKind.AZURE else paths.OPENAI_API_KEY
            raise CredentialsError(f"{kind.label} needs an account.",
                                   hint=f"Add one on the Accounts page (or set {variable} for the command line).")
        return provider
    return provider_class(kind)(account=account, secret=secret)


def environment_provider(kind: ProviderKind) -> Provider | None:
    """OpenAI or Azure with the SDKs' own environment variables (for scripts and CI), or None when they are unset.

    This is what "no saved account" means for those providers: ``jobs create`` launches with it, and the
    monitor, ``jobs watch``/``cancel`` and the reconciling of unconfirmed launches reach such jobs through it
    again. The key is never stored; ``credentials_tag`` (a one-way fingerprint of key and endpoint) goes on the
    jobs it launches, so that another key in the environment later is never taken for the one they ran under.
    """
    from backend.providers.openai_sdk import key_fingerprint

    if kind is ProviderKind.OPENAI and paths.env(paths.OPENAI_API_KEY):
        secret = paths.env(paths.OPENAI_API_KEY)
        account = Account(name="environment", kind=AccountKind.OPENAI, base_url=paths.env(paths.OPENAI_BASE_URL),
                          organization=paths.env(paths.OPENAI_ORG_ID), project=paths.env(paths.OPENAI_PROJECT_ID))
        where = account.base_url
    elif kind is ProviderKind.AZURE and paths.env(paths.AZURE_OPENAI_API_KEY):
        secret = paths.env(paths.AZURE_OPENAI_API_KEY)
        account = Account(name="environment", kind=AccountKind.AZURE, endpoint=paths.env(paths.AZURE_OPENAI_ENDPOINT),
                          api_version=paths.env(paths.OPENAI_API_VERSION))
        where = account.endpoint
    else:
        return None
    provider = provider_class(kind)(account=account, secret=secret)
    provider.account_id = None  # no saved account: jobs record None, and are reopened through this function
    provider.credentials_tag = "environment:" + key_fingerprint(secret, where)
    return provider
