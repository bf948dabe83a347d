"""The Entra sign-in that Azure's management API needs (the data plane keeps using the account's API key).

Three ways, chosen on the account (``Account.azure_sign_in``, a non-secret setting): the Azure CLI's login, an
interactive browser, or a device code shown to the user. Each is an ``azure-identity`` credential, built once per
account and method in this process so that a browser sign-in is not asked for again on every call. Who signed in
is read from the token's claims, for display only (``Account.azure_identity``). Tokens stay in memory: they are
registered with the log's redaction and never written anywhere.

``install(factory)`` is the one seam: tests give a factory that returns a static-token credential.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

from backend.accounts import AZURE_SIGN_IN
from backend.errors import CredentialsError, InvalidInput
from backend.models import Account

log = logging.getLogger(__name__)

SCOPE = "https://management.azure.com/.default"
SIGN_IN_METHODS = AZURE_SIGN_IN
DEFAULT_SIGN_IN = next(iter(AZURE_SIGN_IN))
SIGN_IN_TIMEOUT_S = 300  # a browser or device-code sign-in waits this long for the user
#: Shows the device code's instructions to the user ("Open https://microsoft.com/devicelogin and enter ABC").
PromptFn = Callable[[str], None]
CredentialFactory = Callable[[str, "PromptFn | None"], Any]

_factory: CredentialFactory | None = None
_credentials: dict[tuple[str, str], Any] = {}


def install(factory: CredentialFactory | None) -> None:
    """Build credentials with ``factory(method, prompt)`` instead of azure-identity (None: azure-identity again)."""
    global _factory
    _factory = factory
    _credentials.clear()


def method_of(account: Account) -> str:
    method = account.azure_sign_in or DEFAULT_SIGN_IN
    if method not in SIGN_IN_METHODS:
        raise InvalidInput(f"“{method}” is not a way to sign in to Azure.",
                           hint=f"Choose one of: {', '.join(SIGN_IN_METHODS)}.")
    return method


def credential(account: Account, *, prompt: PromptFn | None = None) -> Any:
    """The account's credential (built on first use, then reused in this process)."""
    method = method_of(account)
    key = (account.id, method)
    if key not in _credentials:
        _credentials[key] = _factory(method, prompt) if _factory else _identity_credential(method, prompt)
    return _credentials[key]


def forget(account: Account) -> None:
    """Drop the account's credentials: the next call signs in again (after a refusal, or a changed method)."""
    for key in [k for k in _credentials if k[0] == account.id]:
        _credentials.pop(key)


def _identity_credential(method: str, prompt: PromptFn | None) -> Any:
    import azure.identity as identity

    if method == "cli":
        return identity.AzureCliCredential(process_timeout=30)
    if method == "browser":
        return identity.InteractiveBrowserCredential(timeout=SIGN_IN_TIMEOUT_S)

    def show(url: str, code: str, _expires: Any) -> None:
        text = f"To sign in to Azure, open {url} and enter the code {code}."
        (prompt or log.warning)(text)

    return identity.DeviceCodeCredential(prompt_callback=show, timeout=SIGN_IN_TIMEOUT_S)


def sign_in(account: Account, *, prompt: PromptFn | None = None) -> str:
    """Ask for a management token now; return who signed in. Raises CredentialsError with a sentence when the
    sign-in is refused, cancelled or not available."""
    return identity_of(token(account, prompt=prompt))


def token(account: Account, *, prompt: PromptFn | None = None) -> str:
    from backend.log import register_secret

    try:
        value = credential(account, prompt=prompt).get_token(SCOPE).token
    except Exception as exc:  # noqa: BLE001 - every failed sign-in becomes one sentence
        forget(account)
        raise sign_in_error(exc, account) from None
    register_secret(value)
    return value


def sign_in_error(exc: BaseException, account: Account) -> CredentialsError:
    """A failed sign-in in words: which method, Azure's first line, what to do."""
    method = SIGN_IN_METHODS.get(account.azure_sign_in or DEFAULT_SIGN_IN, "sign-in")
    first = (str(getattr(exc, "message", None) or exc).strip().splitlines() or [""])[0][:300]
    if type(exc).__name__ == "CredentialUnavailableError":
        return CredentialsError(f"Azure sign-in through {method} is not available: {first}",
                                hint="Run `az login` first, or choose another way to sign in on the account.")
    return CredentialsError(f"Azure refused or cancelled the sign-in ({method}): {first}",
                            hint="Sign in again with an identity that can manage this Azure OpenAI resource.")


def identity_of(jwt: str) -> str:
    """Who a token names (its ``upn``, ``preferred_username``, ``unique_name``, ``email`` or ``oid`` claim). Read
    without verifying the signature: it is only shown to the user, never trusted."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return "an Entra identity"
    for claim in ("upn", "preferred_username", "unique_name", "email", "appid", "oid"):
        if isinstance(claims.get(claim), str) and claims[claim]:
            return claims[claim]
    return "an Entra identity"
