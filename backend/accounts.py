"""Saved accounts: their non-secret settings in ``settings.json`` in the user's config folder, their secrets
in the keyring (``backend.credentials``). Several accounts per provider, each with its own unique name.

The settings file is written atomically (a temporary file, then a rename), so a crash never leaves
half a file; a damaged file is reported with its line and column, never as a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend import credentials, paths
from backend.errors import CredentialsError, InvalidInput, StudioError
from backend.kinds import AccountKind

if TYPE_CHECKING:
    from backend.models import Account

# pydantic (backend.models) and filelock are imported where an account is parsed, built or saved: the
# window's first page lists no account on a first start and must not wait for them.

SETTINGS_VERSION = 1
#: The Azure OpenAI data-plane version an Azure account uses when its own is empty (the one this app is tested with).
DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"

#: The settings each kind of account uses besides its name; the others are cleared on save.
FIELDS: dict[AccountKind, tuple[str, ...]] = {
    AccountKind.OPENAI: ("organization", "project", "base_url"),
    AccountKind.AZURE: ("endpoint", "api_version", "subscription_id", "resource_group", "resource_name",
                        "azure_sign_in", "azure_identity"),
    AccountKind.HUGGINGFACE: ("endpoint", "base_url"),  # the Hub's URL; the Inference Providers router's URL
}
KIND_LABELS = {AccountKind.OPENAI: "OpenAI", AccountKind.AZURE: "Azure OpenAI", AccountKind.HUGGINGFACE: "Hugging Face"}
#: How an Azure account signs in to Azure's management API (deployments): ``Account.azure_sign_in`` -> what the
#: user reads. The first is the default.
AZURE_SIGN_IN = {"cli": "Azure CLI login (az login)", "browser": "Interactive browser", "device_code": "Device code"}
SECRET_LABELS = {AccountKind.OPENAI: "API key", AccountKind.AZURE: "API key", AccountKind.HUGGINGFACE: "token"}
_URL_FIELDS = {"base_url", "endpoint"}
_KIND_ORDER = list(AccountKind)
_lock = threading.Lock()  # one read-modify-write of the settings file at a time in this process ...
LOCK_TIMEOUT_S = 10.0      # ... and, through a lock file beside it, across processes (the app and a script)


class AccountProblem(InvalidInput):
    """A field of an account is wrong; ``field`` names it (``name``, ``secret``, ``endpoint`` ...)."""

    def __init__(self, field: str, message: str, *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.field = field


# -- the settings file ---------------------------------------------------------------------------------
def _read_settings() -> dict[str, Any]:
    path = paths.settings_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidInput(f"The settings file “{path}” cannot be read: {exc.strerror or exc}.") from None
    fix = "Correct it in a text editor, or rename it to start again without accounts (saved keys stay in the keyring)."
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise InvalidInput(f"The settings file “{path}” is damaged{where}: {getattr(exc, 'msg', exc)}.",
                           hint=fix) from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts", []), list):
        raise InvalidInput(f"The settings file “{path}” does not hold Fine-Tune Studio settings.", hint=fix)
    return data


def _write_settings(data: dict[str, Any]) -> None:
    path = paths.settings_file()
    data["version"] = SETTINGS_VERSION
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked() -> Iterator[None]:
    """One read-modify-write of the settings file at a time, among this process's threads and among
    processes: the window and ``main.py accounts ...`` may save at the same moment."""
    path = paths.settings_file()
    from filelock import FileLock, Timeout

    with _lock:
        lock = FileLock(str(path) + ".lock")
        try:
            lock.acquire(timeout=LOCK_TIMEOUT_S)
        except Timeout:
            raise InvalidInput(f"The settings file “{path}” is being changed by another Fine-Tune Studio "
                               f"for more than {LOCK_TIMEOUT_S:.0f} s.",
                               hint="Try again; if it persists, close the other window or command.") from None
        try:
            yield
        finally:
            lock.release()


def _parse(entries: list[Any]) -> list[Account]:
    if not entries:
        return []
    from pydantic import ValidationError

    from backend.models import Account

    accounts = []
    for number, entry in enumerate(entries, 1):
        try:
            accounts.append(Account.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "the entry"
            raise InvalidInput(f"Account {number} in the settings file “{paths.settings_file()}” is damaged: "
                               f"{field}: {first['msg']}.",
                               hint="Correct or delete that entry in a text editor.") from None
    return accounts


def _sort_key(account: Account) -> tuple[int, str]:
    return _KIND_ORDER.index(account.kind), account.name.casefold()


# -- reading ---------------------------------------------------------------------------------------------
def list_accounts(kind: AccountKind | None = None) -> list[Account]:
    """Saved accounts by provider, then name. Raises InvalidInput when the settings file is damaged."""
    accounts = _parse(_read_settings().get("accounts", []))
    return sorted((a for a in accounts if kind is None or a.kind is kind), key=_sort_key)


def get_account(account_id: str) -> Account:
    for account in list_accounts():
        if account.id == account_id:
            return account
    raise CredentialsError(f"There is no saved account with the id “{account_id}”.",
                           hint="It may have been removed; choose or add one on the Accounts page.")


def find_account(ref: str) -> Account:
    """An account by its name (any case) or id."""
    for account in list_accounts():
        if ref == account.id or ref.casefold() == account.name.casefold():
            return account
    raise InvalidInput(f"There is no saved account “{ref}”.", hint="`accounts list` shows them.")


# -- changing --------------------------------------------------------------------------------------------
def clean(account: Account) -> Account:
    """The account with whitespace trimmed, empty fields as None, and only its kind's fields kept."""
    from backend.models import Account

    values: dict[str, Any] = {"id": account.id, "name": account.name.strip(), "kind": account.kind}
    for field in FIELDS[account.kind]:
        value = getattr(account, field)
        value = value.strip() if isinstance(value, str) else value
        if value and field in _URL_FIELDS:
            value = value.rstrip("/")
        values[field] = value or None
    return Account(**values)


def check(account: Account, others: list[Account]) -> None:
    """Raise AccountProblem for the first wrong field of a cleaned account."""
    if not account.name:
        raise AccountProblem("name", "Give the account a name.", hint="For example “Work” or “Personal”.")
    if len(account.name) > 80:
        raise AccountProblem("name", "The account's name is longer than 80 characters.")
    if any(o.id != account.id and o.name.casefold() == account.name.casefold() for o in others):
        raise AccountProblem("name", f"There is already an account named “{account.name}”.",
                             hint="Choose another name.")
    if account.kind is AccountKind.AZURE and not account.endpoint:
        raise AccountProblem("endpoint", "An Azure OpenAI account needs its endpoint.",
                             hint="For example https://my-resource.openai.azure.com (see the resource's "
                                  "Keys and Endpoint page in the Azure portal).")
    for field in _URL_FIELDS & set(FIELDS[account.kind]):
        value = getattr(account, field)
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise AccountProblem(field, f"“{value}” is not a web address.",
                                 hint="It starts with https:// (or http:// for a server on this computer).")
    if account.api_version and not re.fullmatch(r"[\w.\-]+", account.api_version):
        raise AccountProblem("api_version", f"“{account.api_version}” is not an API version.",
                             hint="For example 2025-04-01-preview.")


def check_secret(kind: AccountKind, secret: str) -> str:
    """The secret without surrounding whitespace; AccountProblem when it cannot be a key."""
    secret = secret.strip()
    label = SECRET_LABELS[kind]
    if not secret:
        raise AccountProblem("secret", f"Enter the {label}.")
    if any(c.isspace() for c in secret):
        raise AccountProblem("secret", f"The {label} has spaces or line breaks in it.",
                             hint="Copy it again from the provider's page.")
    return secret


def save_account(account: Account, secret: str | None = None) -> Account:
    """Add or update an account; ``secret`` None keeps the saved one. Returns the account as saved.

    The secret goes to the keyring first, so a keyring failure leaves the settings file unchanged.
    """
    account = clean(account)
    with _locked():
        data = _read_settings()
        others = _parse(data.get("accounts", []))
        check(account, others)
        is_new = all(o.id != account.id for o in others)
        if secret is not None:
            credentials.set_secret(account.id, check_secret(account.kind, secret))
        elif is_new:
            raise AccountProblem("secret", f"Enter the {SECRET_LABELS[account.kind]}.")
        entries = [o.model_dump(mode="json", exclude_none=True) for o in others if o.id != account.id]
        entries.append(account.model_dump(mode="json", exclude_none=True))
        data["accounts"] = entries
        try:
            _write_settings(data)
        except OSError as exc:
            if is_new:
                credentials.delete_secret(account.id)
            raise InvalidInput(f"The settings file “{paths.settings_file()}” cannot be written: "
                               f"{exc.strerror or exc}.") from None
    return account


def remove_account(account_id: str) -> None:
    """Forget the account and its secret. Jobs launched with it stay in the job store."""
    with _locked():
        data = _read_settings()
        entries = data.get("accounts", [])
        kept = [e for e in entries if not (isinstance(e, dict) and e.get("id") == account_id)]
        if len(kept) == len(entries):
            raise InvalidInput(f"There is no saved account with the id “{account_id}”.")
        credentials.delete_secret(account_id)
        data["accounts"] = kept
        _write_settings(data)


def has_key(account: Account | str) -> bool:
    """Whether the account's key or token can be read now. False when it is gone (it was kept in memory for
    a past session only, or deleted from the keyring) and when no keyring works and none was given in this
    session: such an account cannot be used until its key is added again, so the Accounts page marks it and
    the wizard should not preselect it. Asks the keyring (up to its deadline): call it off the GUI thread."""
    account_id = account if isinstance(account, str) else account.id
    try:
        return bool(credentials.get_secret(account_id))
    except StudioError:  # KeyringUnavailable: nothing can be read
        return False


def missing_keys(saved: list[Account] | None = None) -> set[str]:
    """The ids of the saved accounts (or of ``saved``) whose key cannot be read now (see ``has_key``)."""
    return {a.id for a in (list_accounts() if saved is None else saved) if not has_key(a)}


# -- the environment -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EnvCandidate:
    """An account that environment variables describe, offered for import."""

    account: Account
    secret: str
    variables: tuple[str, ...]

    @property
    def description(self) -> str:
        return f"{KIND_LABELS[self.account.kind]} from {', '.join(self.variables)}"


def env_candidates(environ: dict[str, str] | None = None, *, include_saved: bool = False) -> list[EnvCandidate]:
    """Credentials in the environment that no saved account holds yet (all of them with ``include_saved``)."""
    env = os.environ if environ is None else environ
    found: list[EnvCandidate] = []

    def add(kind: AccountKind, secret_var: str, fields: dict[str, str]) -> None:
        secret = (env.get(secret_var) or "").strip()
        if not secret:
            return
        from backend.models import Account

        values = {field: env[var].strip() for field, var in fields.items() if env.get(var, "").strip()}
        used = (secret_var, *(fields[f] for f in values))
        found.append(EnvCandidate(Account(name=f"{KIND_LABELS[kind]} (environment)", kind=kind, **values),
                                  secret, used))

    add(AccountKind.OPENAI, paths.OPENAI_API_KEY, {"organization": paths.OPENAI_ORG_ID,
                                                   "project": paths.OPENAI_PROJECT_ID,
                                                   "base_url": paths.OPENAI_BASE_URL})
    if env.get(paths.AZURE_OPENAI_ENDPOINT, "").strip():
        add(AccountKind.AZURE, paths.AZURE_OPENAI_API_KEY, {"endpoint": paths.AZURE_OPENAI_ENDPOINT,
                                                            "api_version": paths.OPENAI_API_VERSION})
    add(AccountKind.HUGGINGFACE, paths.HF_TOKEN, {"endpoint": paths.HF_ENDPOINT})
    return [c for c in found if include_saved or not _already_saved(c)]


def _already_saved(candidate: EnvCandidate) -> bool:
    for account in list_accounts(candidate.account.kind):
        try:
            if credentials.get_secret(account.id) == candidate.secret:
                return True
        except StudioError:  # without a keyring the offer stands; saving will say why it cannot
            return False
    return False


def import_candidate(candidate: EnvCandidate) -> Account:
    """Save an environment candidate under a name no other account has."""
    names = {a.name.casefold() for a in list_accounts()}
    base, name, number = candidate.account.name, candidate.account.name, 2
    while name.casefold() in names:
        name, number = f"{base} {number}", number + 1
    return save_account(candidate.account.model_copy(update={"name": name}), candidate.secret)


# Which saved Hugging Face account a Hub operation uses: the callers in data and training get the token from here
# (through the layer that calls them), never read accounts or the keyring themselves.
def hub_push_account(account: str | None = None, *, preferred: str | None = None) -> tuple[Account, str]:
    """The saved Hugging Face account to push with (``account``: a name or id; else ``preferred``, the
    job's own account, when it is a Hugging Face one; else the only one saved) and its token."""
    from backend.log import register_secret

    saved = list_accounts(AccountKind.HUGGINGFACE)
    if account:
        chosen = find_account(account)
        if chosen.kind is not AccountKind.HUGGINGFACE:
            raise InvalidInput(f"“{chosen.name}” is not a Hugging Face account.",
                               hint="Choose one of your Hugging Face accounts.")
    elif preferred and any(a.id == preferred for a in saved):
        chosen = next(a for a in saved if a.id == preferred)
    elif len(saved) == 1:
        chosen = saved[0]
    elif saved:
        names = ", ".join(f"“{a.name}”" for a in saved)
        raise InvalidInput(f"You have {len(saved)} Hugging Face accounts ({names}): say which one pushes.",
                           hint="Add --account NAME.")
    else:
        raise CredentialsError("Pushing to the Hugging Face Hub needs a saved Hugging Face account with a token "
                               "that can write.",
                               hint="Add one on the Accounts page (or with `python main.py accounts add "
                                    "--provider huggingface`); make the token at "
                                    "https://huggingface.co/settings/tokens.")
    token = credentials.get_secret(chosen.id)
    if not token:
        raise CredentialsError(f"The Hugging Face account “{chosen.name}” has no saved token.",
                               hint="Open Accounts and enter it again.")
    register_secret(token)
    return chosen, token


def hub_dataset_token() -> str | None:
    """The token for private and gated Hub datasets: None when HF_TOKEN is set (huggingface_hub reads it
    itself), else the saved Hugging Face account's when there is exactly one, else None (huggingface_hub uses
    its login). Reads the settings and the keyring: call it off the GUI thread."""
    import logging

    if os.environ.get(paths.HF_TOKEN):
        return None
    try:
        saved = list_accounts(AccountKind.HUGGINGFACE)
        return credentials.get_secret(saved[0].id) if len(saved) == 1 else None
    except Exception as exc:  # noqa: BLE001 - no keyring, a damaged settings file: a public dataset still loads
        logging.getLogger(__name__).info("No saved Hugging Face token for Hub datasets: %s", exc)
        return None
