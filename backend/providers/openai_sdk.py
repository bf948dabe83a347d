"""OpenAI SDK clients for an account, and SDK errors translated into the app's sentences.

This is the one client factory for every OpenAI-speaking module (providers, chat, the connection
test). The SDK is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend import log
from backend.errors import (
    CredentialsError,
    InvalidInput,
    NetworkError,
    NotFound,
    RateLimited,
    Refused,
    StudioError,
)

if TYPE_CHECKING:
    from backend.models import Account

DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"


class FineTuningClosed(Refused):
    """OpenAI refused to create a fine-tuning job: the self-serve wind-down (or a policy) closed it."""

    def __init__(self, api_message: str):
        super().__init__(
            f"OpenAI did not create the job: “{api_message}”",
            hint="OpenAI is winding down self-serve fine-tuning (no new jobs for anyone from 2027-01-06, earlier "
                 "for inactive organisations). Monitoring your existing jobs and chatting with your fine-tuned "
                 "models still work. To train a new model, choose a Hugging Face provider (this computer or the "
                 "cloud) instead.")
        self.api_message = api_message


_CLOSED_WORDS = ("no longer", "winding down", "wind-down", "wind down", "not available", "unavailable", "deprecat")


def is_fine_tuning_closed(exc: Any) -> bool:
    """Whether a refused job creation reads as the wind-down (not, say, a key without the needed scope)."""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else {}
    code = inner.get("code") if isinstance(inner, dict) else None
    text = api_message(exc).lower()
    return code == "fine_tuning_unavailable" or ("fine-tun" in text or "fine tun" in text) and any(
        word in text for word in _CLOSED_WORDS)


def openai_client(account: Account | None, secret: str | None, *, max_retries: int = 2, timeout: float = 60.0):
    """An ``openai.OpenAI`` for the account (its organisation, project and base URL)."""
    import openai

    if not secret:
        raise CredentialsError("This OpenAI account has no API key.", hint="Open Accounts and enter it.")
    log.register_secret(secret)
    return openai.OpenAI(api_key=secret, organization=account.organization if account else None,
                         project=account.project if account else None,
                         base_url=(account.base_url if account else None) or None,
                         max_retries=max_retries, timeout=timeout)


def azure_client(account: Account | None, secret: str | None, *, max_retries: int = 2, timeout: float = 60.0):
    """An ``openai.AzureOpenAI`` for the account's endpoint and API version."""
    import openai

    if not secret:
        raise CredentialsError("This Azure OpenAI account has no API key.", hint="Open Accounts and enter it.")
    if account is None or not account.endpoint:
        raise CredentialsError("This Azure OpenAI account has no endpoint.",
                               hint="Open Accounts and enter the resource's endpoint URL.")
    log.register_secret(secret)
    return openai.AzureOpenAI(api_key=secret, azure_endpoint=account.endpoint,
                              api_version=account.api_version or DEFAULT_AZURE_API_VERSION,
                              max_retries=max_retries, timeout=timeout)


def api_message(exc: Any) -> str:
    """The service's own sentence from an SDK error (its JSON body), else the exception text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return getattr(exc, "message", None) or str(exc)


def translate(exc: BaseException, service: str = "OpenAI") -> StudioError:
    """One SDK exception as the app's error with a sentence a user can act on."""
    import openai

    if isinstance(exc, StudioError):
        return exc
    message = log.redact(api_message(exc))
    if isinstance(exc, openai.AuthenticationError):
        return CredentialsError(f"{service} refused the API key: {message}", hint="Check the key on the Accounts page.")
    if isinstance(exc, openai.PermissionDeniedError):
        return Refused(f"{service} refused the request: {message}")
    if isinstance(exc, openai.NotFoundError):
        return NotFound(f"{service} could not find it: {message}")
    if isinstance(exc, openai.RateLimitError):
        body = getattr(exc, "body", None) or {}
        if isinstance(body, dict) and (body.get("error") or body).get("code") == "insufficient_quota":
            return Refused(f"{service} says the account is out of quota: {message}",
                           hint="Add credit or raise the limit in the account's billing settings.")
        return RateLimited(f"{service} is asking us to slow down: {message}", hint="Wait a minute and try again.")
    if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError, openai.ConflictError)):
        return InvalidInput(f"{service} rejected the request: {message}")
    if isinstance(exc, openai.APITimeoutError):
        return NetworkError(f"{service} did not answer in time.", hint="Check the connection and try again.")
    if isinstance(exc, openai.APIConnectionError):
        return NetworkError(f"Could not reach {service}.", hint="Check the connection and the account's endpoint.")
    if isinstance(exc, openai.APIStatusError):
        return NetworkError(f"{service} had a problem on its side (HTTP {exc.status_code}): {message}",
                            hint="Try again in a few minutes.")
    return StudioError(f"{service} failed: {log.redact(str(exc))}")
