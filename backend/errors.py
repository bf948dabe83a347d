"""The project's few exception types. Each carries a sentence a user can act on.

Provider SDK errors are translated into these at the provider boundary; the UI and the
CLI show ``str(error)`` and never a traceback.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error the app shows to a user. ``str()`` is the user-facing sentence."""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class CredentialsError(StudioError):
    """The key or token was refused, or is missing."""


class NetworkError(StudioError):
    """The provider could not be reached (no network, wrong endpoint, timeout)."""


class Unconfirmed(NetworkError):
    """A request that costs money was sent and its answer was lost: it may have been carried out.

    Never repeated blindly: whoever catches it checks with the provider first (``backend.launch``).
    """


class RateLimited(StudioError):
    """The provider asked us to slow down."""

    retry_after: float | None = None  # seconds, when the provider said (Retry-After)


class NotFound(StudioError):
    """The model, file, job or repository does not exist (or is not visible to this account)."""


class Refused(StudioError):
    """The provider understood the request and refused it (quota, policy, wind-down)."""


class InvalidInput(StudioError):
    """The user's input (a file, a field, a configuration) is wrong; the message says how."""


class KeyringUnavailable(StudioError):
    """No working OS keyring backend."""


class Cancelled(StudioError):
    """The user cancelled the operation."""

    def __init__(self, message: str = "Cancelled."):
        super().__init__(message)


class CapabilityMissing(StudioError):
    """The provider cannot do this (it lacks the verb, a Protocol of ``backend.providers.base``)."""
