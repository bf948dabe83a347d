"""“Test connection” for all three providers, with the real SDKs against local fakes, and its failures in words."""

from __future__ import annotations

import pytest

from backend import connection
from backend.cancel import CancelToken
from backend.errors import Cancelled
from backend.models import AccountKind


def test_each_provider_connects_with_the_right_key(three_accounts, fake_openai):
    messages = {account.kind: connection.test_connection(account, secret) for account, secret in three_accounts}
    assert all(result.ok for result in messages.values()), messages
    assert messages[AccountKind.OPENAI].message.startswith("Connected to OpenAI:")
    assert "models visible" in messages[AccountKind.OPENAI].message
    assert messages[AccountKind.AZURE].message.startswith(f"Connected to Azure OpenAI at {fake_openai.azure_endpoint}")
    assert messages[AccountKind.HUGGINGFACE].message == "Connected to the Hugging Face Hub as alice."
    assert fake_openai.count("GET", "/models") == 1 and fake_openai.count("GET", "/files") == 1  # Azure lists files


@pytest.mark.parametrize("kind, words", [
    (AccountKind.OPENAI, "OpenAI refused the API key: Incorrect API key provided"),
    (AccountKind.AZURE, "Azure OpenAI refused the API key: Access denied"),
    (AccountKind.HUGGINGFACE, "The Hugging Face Hub refused the token. It is wrong, expired or revoked"),
])
def test_a_wrong_key_is_refused_in_words(three_accounts, kind, words):
    account = next(a for a, _ in three_accounts if a.kind is kind)
    result = connection.test_connection(account, "sk-wrong-" + "w" * 20 if kind is not AccountKind.HUGGINGFACE
                                        else "hf_" + "w" * 34)
    assert not result.ok and result.message.startswith(words), result.message
    assert "wwwwwwww" not in result.message


@pytest.mark.parametrize("kind", list(AccountKind))
def test_nothing_listening_is_could_not_reach(three_accounts, nowhere, kind):
    account, secret = next((a, s) for a, s in three_accounts if a.kind is kind)
    field = "base_url" if kind is AccountKind.OPENAI else "endpoint"
    address = nowhere + ("/v1" if kind is AccountKind.OPENAI else "")
    result = connection.test_connection(account.model_copy(update={field: address}), secret)
    assert not result.ok and "Could not reach" in result.message and address in result.message, result.message


@pytest.mark.parametrize("kind, address, words", [
    (AccountKind.OPENAI, "{fake}/v1", "answered, but not as OpenAI (HTTP 404"),  # a server, but not OpenAI's API
    (AccountKind.AZURE, "{fake}", "answered, but not as Azure OpenAI (HTTP 404"),
    (AccountKind.HUGGINGFACE, "{fake}/sub", "answered, but not as a Hugging Face Hub"),
])
def test_a_wrong_endpoint_is_named(three_accounts, fake_hub, kind, address, words):
    account, secret = next((a, s) for a, s in three_accounts if a.kind is kind)
    field = "base_url" if kind is AccountKind.OPENAI else "endpoint"
    address = address.format(fake=fake_hub.url)
    result = connection.test_connection(account.model_copy(update={field: address}), secret)
    assert not result.ok and words in result.message, result.message


def test_hub_offline_mode_is_explained(three_accounts, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    account, secret = three_accounts[2]
    result = connection.test_connection(account, secret)
    assert not result.ok and "offline mode is on" in result.message


def test_no_key_and_cancel(three_accounts):
    account, _ = three_accounts[0]
    assert connection.test_connection(account, None).message == "There is no API key to test for OpenAI."
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        connection.test_connection(account, "sk-" + "c" * 20, cancel=token)
