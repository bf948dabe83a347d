"""“Test connection”: one cheap call with an account's credentials, reported in plain words.

OpenAI lists models, Azure OpenAI lists files, Hugging Face asks the Hub who the token belongs to.
A refused key, an unreachable server and a wrong endpoint each get their own sentence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.cancel import CancelToken, call_with_deadline
from backend.errors import Cancelled, NetworkError, StudioError
from backend.log import register_secret
from backend.kinds import AccountKind

if TYPE_CHECKING:
    from backend.models import Account

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str


def test_connection(account: Account, secret: str | None, cancel: CancelToken | None = None) -> ConnectionResult:
    """Call the provider once. Raises only ``Cancelled``; every failure is a result with a sentence."""
    register_secret(secret)
    service = _service(account)
    if not secret:
        return ConnectionResult(False, f"There is no {'token' if account.kind is AccountKind.HUGGINGFACE else 'API key'}"
                                       f" to test for {service}.")
    check = {AccountKind.OPENAI: _check_openai, AccountKind.AZURE: _check_azure,
             AccountKind.HUGGINGFACE: _check_hub}[account.kind]
    try:
        result = ConnectionResult(True, call_with_deadline(lambda: check(account, secret), TIMEOUT_SECONDS + 5,
                                                           cancel))
    except TimeoutError:
        result = ConnectionResult(False, f"{service} did not answer within {TIMEOUT_SECONDS:g} seconds. "
                                         "Check the internet connection and the address.")
    except Cancelled:
        raise
    except StudioError as exc:
        result = ConnectionResult(False, str(exc))
    log.log(logging.INFO if result.ok else logging.WARNING, "connection test of “%s”: %s", account.name,
            result.message)
    return result


test_connection.__test__ = False  # a backend function, not a pytest test


def test_account(account_id: str, cancel: CancelToken | None = None) -> ConnectionResult:
    """Test a saved account with its secret from the keyring."""
    from backend import accounts, credentials

    account = accounts.get_account(account_id)
    return test_connection(account, credentials.get_secret(account_id), cancel)


test_account.__test__ = False


def _service(account: Account) -> str:
    return {AccountKind.OPENAI: "OpenAI", AccountKind.AZURE: "Azure OpenAI",
            AccountKind.HUGGINGFACE: "The Hugging Face Hub"}[account.kind]


def _check_hub(account: Account, secret: str) -> str:
    from backend.hub import whoami

    return whoami(account.endpoint, secret)


def _check_openai(account: Account, secret: str) -> str:
    from backend.providers.openai_sdk import openai_client

    where = account.base_url or "https://api.openai.com/v1"
    client = openai_client(account, secret, max_retries=1, timeout=TIMEOUT_SECONDS)
    try:
        models = list(client.models.list())
    except Exception as exc:  # noqa: BLE001 - translated
        raise _openai_error(exc, "OpenAI", where, "base URL",
                            "The base URL usually ends in /v1; leave it empty for OpenAI itself.") from None
    finally:
        client.close()
    return f"Connected to OpenAI: {len(models)} models visible."


def _check_azure(account: Account, secret: str) -> str:
    from backend.providers.openai_sdk import azure_client

    client = azure_client(account, secret, max_retries=1, timeout=TIMEOUT_SECONDS)
    try:
        files = list(client.files.list())
    except Exception as exc:  # noqa: BLE001 - translated
        raise _openai_error(exc, "Azure OpenAI", account.endpoint or "", "endpoint",
                            "It looks like https://NAME.openai.azure.com; check the api-version too.") from None
    finally:
        client.close()
    return f"Connected to Azure OpenAI at {account.endpoint}: {len(files)} files in the resource."


def _openai_error(exc: Exception, service: str, where: str, field: str, field_hint: str) -> StudioError:
    import openai

    from backend.providers.openai_sdk import api_message, translate

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return NetworkError(f"Could not reach {service} at {where}.",
                            hint=f"Check the internet connection and the account's {field}.")
    if isinstance(exc, openai.NotFoundError):
        return NetworkError(f"{where} answered, but not as {service} (HTTP 404: {api_message(exc)}).",
                            hint=f"Check the account's {field}. {field_hint}")
    return translate(exc, service)
