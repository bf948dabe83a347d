"""Provider registry: build a provider for a kind and an account, importing its SDK lazily."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from backend.errors import CredentialsError, InvalidInput
from backend.kinds import ProviderKind
from backend.providers.base import Capability, Provider

if TYPE_CHECKING:
    from backend.models import Account

__all__ = ["Capability", "Provider", "open_provider", "provider_class"]

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
        raise CredentialsError(f"{kind.label} needs an account.", hint="Add one on the Accounts page.")
    return provider_class(kind)(account=account, secret=secret)
