"""Fixtures for the accounts tests: the real keyring of the test session, and fake servers for all three providers."""

from __future__ import annotations

import socket

import pytest

from backend.models import Account, AccountKind
from tests.fakes.hub import FakeHub


@pytest.fixture(autouse=True)
def fresh_secret_store():
    """Each test starts with a fresh default store, and leaves no key of its accounts in the keyring."""
    from backend import accounts, credentials

    credentials.install(None)
    yield
    try:
        saved = accounts.list_accounts()
    except Exception:  # noqa: BLE001 - a test that damaged the settings file on purpose
        saved = []
    store = credentials.default_store()
    if not store.session_only and store.probe().ok:
        for account in saved:
            store.delete_secret(account.id)
    credentials.install(None)


@pytest.fixture
def fake_hub(tmp_path_factory, monkeypatch):
    """A fake Hugging Face Hub that knows one token (``hub.token``); the Hub client may go online for it."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # tests/conftest.py set it for the rest
    with FakeHub(tmp_path_factory.mktemp("empty-model")) as hub:
        yield hub


@pytest.fixture
def nowhere() -> str:
    """An address on this computer where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def three_accounts(fake_openai, fake_hub):
    """(account, secret) for OpenAI, Azure OpenAI and Hugging Face on the local fakes, not yet saved."""
    return [
        (Account(name="OpenAI fake", kind=AccountKind.OPENAI, base_url=fake_openai.base_url), fake_openai.api_key),
        (Account(name="Azure fake", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                 api_version="2025-04-01-preview", subscription_id="sub-1", resource_group="rg",
                 resource_name="res"), fake_openai.api_key),
        (Account(name="Hub fake", kind=AccountKind.HUGGINGFACE, endpoint=fake_hub.url), fake_hub.token),
    ]
