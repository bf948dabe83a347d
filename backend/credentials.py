"""Secrets (API keys, tokens) in the OS keyring, under the service name ``FineTuneStudio`` and the account id.

A keyring backend can be missing, locked, or hang on D-Bus, so it is probed once, in a thread, with a
timeout, and every later call has a deadline too. When the probe fails the user may opt into a
session-only mode that keeps secrets in this process's memory. There is no plaintext fallback: a
secret is never written to a file. Every secret read or written is registered with the log's
redaction filter.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

from backend import paths
from backend.cancel import call_with_deadline
from backend.errors import KeyringUnavailable
from backend.log import register_secret

SERVICE = paths.APP_NAME
PROBE_SECONDS = 5.0  # a healthy keyring answers in milliseconds; a hung D-Bus call never does
CALL_SECONDS = 30.0  # reads and writes may wait for the user to unlock the keyring
_PROBE_USER = "__probe__"
_SESSION_HINT = "You can keep secrets in memory for this session only; they are forgotten when the app closes."


class KeyringState(str, Enum):
    OK = "ok"
    NO_BACKEND = "no backend"
    LOCKED = "locked"
    TIMED_OUT = "timed out"
    FAILED = "failed"


@dataclass(frozen=True)
class KeyringStatus:
    """What the probe found, with a sentence for the user."""

    state: KeyringState
    message: str
    backend: str = ""

    @property
    def ok(self) -> bool:
        return self.state is KeyringState.OK


def _backend_name(backend: Any) -> str:
    return getattr(backend, "name", None) or type(backend).__name__


def _is_placeholder(backend: Any) -> bool:
    """keyring's stand-ins for "nothing usable here" (chosen when no real backend is viable)."""
    from keyring.backends import fail, null

    return isinstance(backend, (fail.Keyring, null.Keyring))


class SecretStore:
    """The keyring (or, once the user opts in, this process's memory) for one app session."""

    def __init__(self, backend: Any = None, *, timeout: float = PROBE_SECONDS, session_only: bool = False):
        self._backend = backend
        self.timeout = timeout
        self._status: KeyringStatus | None = None
        self._session: dict[str, str] | None = {} if session_only else None
        self._lock = threading.Lock()

    # -- the keyring's health -------------------------------------------------------------------------
    def probe(self, *, refresh: bool = False) -> KeyringStatus:
        """Whether the keyring works; asked once (or again with ``refresh``), never longer than ``timeout``."""
        if self._status is None or refresh:
            status = self._probe()
            # An unexpected failure (a D-Bus hiccup) is asked again next time rather than kept for the session;
            # a missing, locked or silent keyring is a state, kept until the user asks again.
            self._status = None if status.state is KeyringState.FAILED else status
            return status
        return self._status

    @property
    def known_status(self) -> KeyringStatus | None:
        """The last probe's answer without asking again (None: not probed yet); for a dialog that must not wait."""
        return self._status

    def _probe(self) -> KeyringStatus:
        from keyring.errors import KeyringLocked

        def ask() -> str:
            backend = self._keyring()
            if _is_placeholder(backend):
                raise _NoBackend(_backend_name(backend))
            backend.get_password(SERVICE, _PROBE_USER)
            return _backend_name(backend)

        try:
            name = call_with_deadline(ask, self.timeout)
        except TimeoutError:
            return KeyringStatus(KeyringState.TIMED_OUT, f"The system keyring did not answer within "
                                 f"{self.timeout:g} seconds, so keys cannot be saved there.")
        except KeyringLocked:
            return KeyringStatus(KeyringState.LOCKED, "The system keyring is locked. Unlock it (for example by "
                                 "logging in again or opening your keyring app) and try again.")
        except _NoBackend as exc:
            return KeyringStatus(KeyringState.NO_BACKEND, "No system keyring is available (such as GNOME Keyring, "
                                 "KWallet, the macOS Keychain or the Windows Credential Manager), so keys cannot be "
                                 "saved.", str(exc))
        except Exception as exc:  # noqa: BLE001 - KeyringError, D-Bus and backend errors vary by platform
            return KeyringStatus(KeyringState.FAILED, f"The system keyring failed: {exc or type(exc).__name__}.")
        return KeyringStatus(KeyringState.OK, f"Keys are kept in the system keyring ({name}).", name)

    def _keyring(self) -> Any:
        with _discovery_lock:  # keyring's backend discovery is not thread-safe (two threads: "Set changed size")
            if self._backend is None:
                import keyring

                self._backend = keyring.get_keyring()
            return self._backend

    # -- session-only mode ----------------------------------------------------------------------------
    @property
    def session_only(self) -> bool:
        return self._session is not None

    def use_session_only(self) -> None:
        """Keep secrets in memory from now on (the user's choice when the keyring does not work)."""
        with self._lock:
            if self._session is None:
                self._session = {}

    def where(self) -> str:
        """Where secrets go now, in words."""
        if self.session_only:
            return "in memory for this session only"
        status = self.probe()
        return f"in the system keyring ({status.backend})" if status.ok else "nowhere (no working keyring)"

    # -- secrets --------------------------------------------------------------------------------------
    def get_secret(self, account_id: str) -> str | None:
        if self.session_only:
            with self._lock:
                secret = self._session.get(account_id)  # type: ignore[union-attr]
        else:
            secret = self._call(lambda backend: backend.get_password(SERVICE, account_id))
        register_secret(secret)
        return secret

    def set_secret(self, account_id: str, secret: str) -> None:
        register_secret(secret)
        if self.session_only:
            with self._lock:
                self._session[account_id] = secret  # type: ignore[index]
            return
        self._call(lambda backend: backend.set_password(SERVICE, account_id, secret))

    def delete_secret(self, account_id: str) -> None:
        """Forget the account's secret; nothing happens when there is none."""
        from keyring.errors import PasswordDeleteError

        if self.session_only:
            with self._lock:
                self._session.pop(account_id, None)  # type: ignore[union-attr]
            return

        def delete(backend: Any) -> None:
            try:
                backend.delete_password(SERVICE, account_id)
            except PasswordDeleteError:
                pass

        self._call(delete)

    def _call(self, action) -> Any:
        from keyring.errors import KeyringError, KeyringLocked

        status = self.probe()
        if not status.ok:
            raise KeyringUnavailable(status.message, hint=_SESSION_HINT)
        backend = self._keyring()
        try:
            return call_with_deadline(lambda: action(backend), CALL_SECONDS)
        except TimeoutError:
            self._status = None  # ask again next time
            raise KeyringUnavailable(f"The system keyring did not answer within {CALL_SECONDS:g} seconds.",
                                     hint="Unlock it if it asks, then try again.") from None
        except KeyringLocked:
            self._status = None
            raise KeyringUnavailable("The system keyring is locked.", hint="Unlock it and try again.") from None
        except KeyringError as exc:
            raise KeyringUnavailable(f"The system keyring failed: {exc or type(exc).__name__}.") from None


class _NoBackend(Exception):
    pass


_discovery_lock = threading.Lock()
_default: SecretStore | None = None
_default_lock = threading.Lock()


def default_store() -> SecretStore:
    """The store every module uses; session-only from the start when ``FTS_SESSION_SECRETS=1``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SecretStore(session_only=os.environ.get(paths.FTS_SESSION_SECRETS) == "1")
        return _default


def install(store: SecretStore | None) -> SecretStore | None:
    """Replace the default store (a different keyring backend); returns the previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, store
    return previous


def probe(*, refresh: bool = False) -> KeyringStatus:
    return default_store().probe(refresh=refresh)


def known_status() -> KeyringStatus | None:
    return default_store().known_status


def use_session_only() -> None:
    default_store().use_session_only()


def session_only() -> bool:
    return default_store().session_only


def get_secret(account_id: str) -> str | None:
    """The account's secret, or None when none is saved. Raises KeyringUnavailable."""
    return default_store().get_secret(account_id)


def set_secret(account_id: str, secret: str) -> None:
    default_store().set_secret(account_id, secret)


def delete_secret(account_id: str) -> None:
    default_store().delete_secret(account_id)
