"""“Test connection”: one cheap call with an account's credentials, reported in plain words.

The call itself is the provider's (``check_account`` of the ``ChecksAccount`` Protocol: OpenAI lists models,
Azure OpenAI lists files, Hugging Face asks the Hub who the token belongs to), so each provider says in one
place what a refused key, an unreachable server or a wrong address means. This module is the frame around it
used by the Accounts page, the account dialog and ``accounts test``: the sentence for a missing secret, the
deadline, cancel, and the log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.cancel import CancelToken, call_with_deadline
from backend.errors import Cancelled, StudioError
from backend.log import register_secret

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
    # Imported here: the Accounts page (the first page of a first start) imports this module, and the
    # registry brings pydantic; a test of a connection may take a moment, the first page may not.
    from backend.accounts import KIND_LABELS
    from backend.providers import for_account_kind, provider_class

    register_secret(secret)
    service = KIND_LABELS[account.kind]
    cls = provider_class(for_account_kind(account.kind))
    if not secret:
        return ConnectionResult(False, f"There is no {cls.account.secret_noun} to test for {service}.")
    try:
        message = call_with_deadline(lambda: cls(account, secret).check_account(timeout=TIMEOUT_SECONDS),
                                     TIMEOUT_SECONDS + 5, cancel)
        result = ConnectionResult(True, message)
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
