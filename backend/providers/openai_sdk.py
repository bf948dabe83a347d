"""OpenAI SDK clients for an account, and SDK errors translated into the app's sentences.

This is the one client factory for every OpenAI-speaking module (providers, chat, the connection
test). The SDK is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.accounts import DEFAULT_AZURE_API_VERSION  # an account default, re-exported
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


# How OpenAI refuses to create a fine-tuning job once it no longer offers it, from what it has published and sent:
# - The self-serve wind-down ("Update to OpenAI's self-serve fine-tuning", developers.openai.com/api/docs/deprecations,
#   notice of 2026-05-07): creating fine-tuning jobs became "unavailable to organizations without prior fine-tuning
#   history" on 2026-05-07, "no longer available to organizations without inference on a fine-tuned model in the
#   past 60 days" on 2026-07-02, and ends for every organisation on 2027-01-06; inference on fine-tuned models
#   stays available until their base models are retired. Such refusals reach `fine_tuning.jobs.create` as
#   permission errors (403; github.com/ed-donner/llm_engineering/issues/3258, 2026-05-26).
# - Retired models and endpoints: "The model `text-davinci-003` has been deprecated, learn more here:
#   https://platform.openai.com/docs/deprecations" (404, code model_not_found; github.com/orhanerday/open-ai/issues/135),
#   and the endpoints the SDKs dropped because "the fine tunes and edits APIs are no longer provided by OpenAI"
#   (openai-node #621). A route that is gone for good answers 410.
# The exact code of the wind-down's refusal is not published, so it is recognised by its shape: a 4xx the service
# uses for refusals (400, 403, 404, 410) that is not about one of the request's own fields, with a code naming a
# closed feature or a text saying the service is closed, retired or not offered to this organisation. A refusal of
# an argument ("Invalid 'n_epochs'...", a file not processed, "Model x is not available for fine-tuning or does not
# exist") is an ordinary invalid request and is shown as itself.
_CLOSED_STATUSES = frozenset({400, 403, 404, 410})
_CLOSED_CODES = frozenset({
    "fine_tuning_unavailable", "fine_tuning_not_available", "fine_tuning_disabled", "fine_tuning_deprecated",
    "feature_not_available", "feature_unavailable", "feature_disabled", "feature_deprecated", "deprecated",
    "endpoint_deprecated", "model_deprecated", "unsupported", "unsupported_feature", "not_available"})
_CLOSED_PHRASES = (
    "no longer available", "no longer accessible", "no longer supported", "no longer offered", "no longer provided",
    "no longer possible", "no longer be created", "no longer able", "no longer create", "winding down", "wind-down",
    "wind down", "wound down", "deprecated", "deprecation", "shut down", "sunset", "retired", "discontinued")
#: "not available" alone is also how a wrong model id is refused; it counts when it is said of fine-tuning itself,
#: of the organisation, or of new customers.
_CLOSED_WORDS = ("not available", "unavailable", "disabled", "not enabled", "not allowed", "closed")
_CLOSED_SUBJECTS = ("fine-tun", "fine tun", "finetun", "organization", "organisation", "new customer", "new user")


def is_fine_tuning_closed(exc: Any) -> bool:
    """Whether a refused job creation reads as fine-tuning being closed to this organisation (the wind-down),
    rather than as a fault in the request (a bad hyperparameter, a file) or a key without the needed scope."""
    status = getattr(exc, "status_code", None)
    if status not in _CLOSED_STATUSES:
        return False
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else {}
    inner = inner if isinstance(inner, dict) else {}
    if inner.get("param") not in (None, "", "model"):
        return False  # the service names one of the request's own fields: an ordinary invalid request
    if status == 410:
        return True
    code = str(inner.get("code") or "").lower()
    text = api_message(exc).lower()
    if code in _CLOSED_CODES or any(phrase in text for phrase in _CLOSED_PHRASES):
        return True
    # "Fine-tuning is not available ..." (the feature), not "Model x is not available for fine-tuning" (a model).
    return (any(w in text for w in _CLOSED_WORDS) and any(w in text for w in _CLOSED_SUBJECTS)
            and "for fine-tun" not in text and "does not exist" not in text)


#: httpx errors raised before any byte of the request left this computer (the SDK keeps them as the cause).
_NOT_SENT = ("ConnectError", "ConnectTimeout", "PoolTimeout")


def never_sent(exc: BaseException) -> bool:
    """No connection was made, so the service never saw the request: sending it again cannot do anything twice."""
    import openai

    return isinstance(exc, openai.APIConnectionError) and type(exc.__cause__).__name__ in _NOT_SENT


def outcome_unknown(exc: BaseException) -> bool:
    """The request was sent and no answer says what became of it (a timeout, a dropped connection, a 5xx):
    the service may have carried it out, so look before sending it again."""
    import openai

    if isinstance(exc, openai.APIConnectionError):
        return not never_sent(exc)
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def lost_answer(exc: BaseException, service: str) -> str:
    """What happened to a request whose outcome is unknown, as the start of a sentence."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"{service} did not answer in time"
    if isinstance(exc, openai.APIStatusError):
        return f"{service} answered with an error on its side (HTTP {exc.status_code})"
    return f"the connection to {service} broke after the request was sent"


def key_fingerprint(secret: str, where: str | None) -> str:
    """A short one-way digest of a key and its endpoint: tells two keys apart without storing either key."""
    import hashlib

    return hashlib.sha256(f"{where or ''}\0{secret}".encode()).hexdigest()[:16]


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


def retry_after(exc) -> float | None:
    """The seconds a 429 asks to wait (``retry-after-ms``, else ``retry-after`` in seconds), as the SDK reads them."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, TypeError, ValueError):
            continue
    return None
