"""The secret store against the real Secret Service of the test session, and against keyrings that do not work."""

from __future__ import annotations

import threading
import uuid

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from backend import accounts, credentials
from backend.credentials import KeyringState, SecretStore
from backend.errors import KeyringUnavailable
from backend.models import Account, AccountKind


def test_the_real_keyring_keeps_reads_and_forgets_a_secret():
    store = SecretStore()
    status = store.probe()
    assert status.state is KeyringState.OK and "SecretService" in status.backend
    account_id, secret = uuid.uuid4().hex, "sk-real-" + uuid.uuid4().hex
    store.set_secret(account_id, secret)
    assert keyring.get_password(credentials.SERVICE, account_id) == secret  # where any other tool finds it
    assert SecretStore().get_secret(account_id) == secret  # a new store (a new app session) reads it back
    store.delete_secret(account_id)
    store.delete_secret(account_id)  # forgetting twice is not an error
    assert store.get_secret(account_id) is None
    assert keyring.get_password(credentials.SERVICE, account_id) is None


def test_a_secret_read_is_redacted_from_log_lines():
    from backend.log import redact

    store = SecretStore()
    account_id, secret = uuid.uuid4().hex, "plain" + uuid.uuid4().hex  # no known key pattern: only registration hides it
    keyring.set_password(credentials.SERVICE, account_id, secret)
    try:
        assert store.get_secret(account_id) == secret
        assert secret not in redact(f"request failed with key {secret}")
    finally:
        keyring.delete_password(credentials.SERVICE, account_id)


class _Blocking(KeyringBackend):
    """A keyring whose every call waits, as a D-Bus keyring can when its daemon hangs."""

    priority = 0  # never chosen (or chained) by keyring itself

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username):
        self.release.wait()

    def set_password(self, service, username, password):
        self.release.wait()

    def delete_password(self, service, username):
        self.release.wait()


def test_a_keyring_that_hangs_is_reported_as_timed_out_not_waited_for():
    backend = _Blocking()
    try:
        store = SecretStore(backend, timeout=0.3)
        status = store.probe()
        assert status.state is KeyringState.TIMED_OUT and not status.ok
        assert "did not answer within 0.3 seconds" in status.message
        with pytest.raises(KeyringUnavailable, match="did not answer") as caught:
            store.set_secret("a", "secret-value")
        assert "session only" in str(caught.value)
    finally:
        backend.release.set()


class _Locked(KeyringBackend):
    priority = 0  # never chosen (or chained) by keyring itself

    def get_password(self, service, username):
        from keyring.errors import KeyringLocked

        raise KeyringLocked("Failed to unlock the collection!")

    set_password = delete_password = get_password


def test_a_locked_keyring_says_so():
    status = SecretStore(_Locked()).probe()
    assert status.state is KeyringState.LOCKED and "locked" in status.message


class _Hiccup(KeyringBackend):
    """Fails once with an unexpected error (as a D-Bus race did), then works."""
    priority = 0

    def __init__(self):
        super().__init__()
        self.calls = 0

    def get_password(self, service, username):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("Set changed size during iteration")
        return None

    set_password = delete_password = get_password


def test_an_unexpected_keyring_failure_is_asked_again_not_kept_for_the_session():
    store = SecretStore(_Hiccup())
    first = store.probe()
    assert first.state is KeyringState.FAILED and "Set changed size" in first.message
    assert store.probe().state is KeyringState.OK  # asked again: the hiccup is not the keyring's state
    assert store.get_secret("nobody") is None


@pytest.fixture
def no_keyring():
    """The app's default store on keyring's "fail" backend: no keyring at all."""
    previous = credentials.install(SecretStore(fail.Keyring()))
    yield credentials.default_store()
    credentials.install(previous)


def test_without_a_keyring_nothing_is_saved_until_the_user_chooses_session_only(no_keyring, isolated_home):
    status = credentials.probe()
    assert status.state is KeyringState.NO_BACKEND and "No system keyring is available" in status.message
    secret = "sk-session-" + uuid.uuid4().hex
    account = Account(name="Session", kind=AccountKind.OPENAI)
    with pytest.raises(KeyringUnavailable, match="No system keyring"):
        accounts.save_account(account, secret)
    assert accounts.list_accounts() == []  # no account without its key, and no key in a file

    credentials.use_session_only()
    saved = accounts.save_account(account, secret)
    assert credentials.get_secret(saved.id) == secret
    assert credentials.default_store().where() == "in memory for this session only"
    assert [a.name for a in accounts.list_accounts()] == ["Session"]
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert keyring.get_password(credentials.SERVICE, saved.id) is None  # nor in the real keyring
    assert SecretStore(fail.Keyring(), session_only=True).get_secret(saved.id) is None  # gone with the session


def test_session_only_from_the_environment(monkeypatch):
    monkeypatch.setenv("FTS_SESSION_SECRETS", "1")
    credentials.install(None)
    assert credentials.session_only()
    credentials.set_secret("x", "sk-memory-0123456789")
    assert credentials.get_secret("x") == "sk-memory-0123456789"
    assert keyring.get_password(credentials.SERVICE, "x") is None
