"""Saved accounts: the settings file round trip, its damage reported in words, names, fields, environment import."""

from __future__ import annotations

import json
import uuid

import pytest

from backend import accounts, credentials, paths
from backend.accounts import AccountProblem
from backend.errors import CredentialsError, InvalidInput
from backend.models import Account, AccountKind


def test_accounts_round_trip_through_the_settings_file_and_keyring(isolated_home):
    key = "sk-" + uuid.uuid4().hex
    openai = accounts.save_account(Account(name=" Work ", kind=AccountKind.OPENAI, organization="org-1",
                                           base_url="https://example.test/v1/", endpoint="ignored"), key)
    second = accounts.save_account(Account(name="Personal", kind=AccountKind.OPENAI), "sk-" + uuid.uuid4().hex)
    azure = accounts.save_account(Account(name="Azure", kind=AccountKind.AZURE, endpoint="https://r.openai.azure.com",
                                          api_version="2025-04-01-preview", subscription_id="s", resource_group="g",
                                          resource_name="r"), "azure-" + uuid.uuid4().hex)
    assert openai.name == "Work" and openai.base_url == "https://example.test/v1" and openai.endpoint is None
    assert [a.name for a in accounts.list_accounts()] == ["Personal", "Work", "Azure"]  # by provider, then name
    assert accounts.get_account(azure.id) == azure and accounts.find_account("work") == openai
    assert accounts.list_accounts(AccountKind.OPENAI) == [second, openai]
    assert credentials.get_secret(openai.id) == key

    text = paths.settings_file().read_text(encoding="utf-8")
    assert json.loads(text)["version"] == 1 and key not in text
    assert not [p.name for p in paths.config_dir().iterdir() if p.name not in ("settings.json", "settings.json.lock")]  # no temporary left

    edited = accounts.save_account(openai.model_copy(update={"project": "proj_9"}))  # no secret: the key stays
    assert accounts.get_account(openai.id).project == "proj_9" == edited.project
    assert credentials.get_secret(openai.id) == key

    accounts.remove_account(openai.id)
    assert credentials.get_secret(openai.id) is None
    with pytest.raises(CredentialsError, match="no saved account"):
        accounts.get_account(openai.id)
    assert [a.name for a in accounts.list_accounts()] == ["Personal", "Azure"]


def test_other_settings_in_the_file_are_kept():
    paths.settings_file().write_text(json.dumps({"theme": "dark", "accounts": []}), encoding="utf-8")
    accounts.save_account(Account(name="A", kind=AccountKind.HUGGINGFACE), "hf_" + "a" * 30)
    assert json.loads(paths.settings_file().read_text(encoding="utf-8"))["theme"] == "dark"


@pytest.mark.parametrize("content, words", [
    ('{"accounts": [', "is damaged at line 1, column 15: Expecting value"),
    ("[1, 2]", "does not hold Fine-Tune Studio settings"),
    ('{"accounts": [{"name": "x", "kind": "gcp"}]}', "Account 1 in the settings file"),
])
def test_a_damaged_settings_file_is_a_sentence(content, words):
    paths.settings_file().write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        accounts.list_accounts()
    assert words in str(caught.value) and str(paths.settings_file()) in str(caught.value)
    with pytest.raises(InvalidInput):  # and nothing overwrites the user's file
        accounts.save_account(Account(name="B", kind=AccountKind.OPENAI), "sk-" + "b" * 20)
    assert paths.settings_file().read_text(encoding="utf-8") == content


@pytest.mark.parametrize("account, secret, field, words", [
    (Account(name="  ", kind=AccountKind.OPENAI), "sk-x", "name", "Give the account a name"),
    (Account(name="Taken", kind=AccountKind.HUGGINGFACE), "hf_x", "name", "already an account named “Taken”"),
    (Account(name="Az", kind=AccountKind.AZURE), "k", "endpoint", "needs its endpoint"),
    (Account(name="Az", kind=AccountKind.AZURE, endpoint="my-resource"), "k", "endpoint", "not a web address"),
    (Account(name="O", kind=AccountKind.OPENAI, base_url="ftp://x"), "k", "base_url", "not a web address"),
    (Account(name="O", kind=AccountKind.OPENAI), "   ", "secret", "Enter the API key"),
    (Account(name="O", kind=AccountKind.OPENAI), None, "secret", "Enter the API key"),
    (Account(name="H", kind=AccountKind.HUGGINGFACE), "hf_a b", "secret", "token has spaces"),
])
def test_wrong_fields_are_named(account, secret, field, words):
    accounts.save_account(Account(name="taken", kind=AccountKind.OPENAI), "sk-" + "t" * 20)
    with pytest.raises(AccountProblem) as caught:
        accounts.save_account(account, secret)
    assert caught.value.field == field and words in str(caught.value)
    assert [a.name for a in accounts.list_accounts()] == ["taken"]


def test_environment_credentials_are_offered_once(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-" + "e" * 20)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-env-key")  # without an endpoint: not offered
    monkeypatch.setenv("HF_TOKEN", "hf_" + "e" * 30)
    found = {c.account.kind: c for c in accounts.env_candidates()}
    assert set(found) == {AccountKind.OPENAI, AccountKind.HUGGINGFACE}
    assert found[AccountKind.OPENAI].account.organization == "org-env"
    assert found[AccountKind.OPENAI].description == "OpenAI from OPENAI_API_KEY, OPENAI_ORG_ID"

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com")
    azure = next(c for c in accounts.env_candidates() if c.account.kind is AccountKind.AZURE)
    assert azure.account.endpoint == "https://r.openai.azure.com" and azure.secret == "azure-env-key"

    accounts.save_account(Account(name="OpenAI (environment)", kind=AccountKind.HUGGINGFACE), "hf_" + "o" * 30)
    saved = accounts.import_candidate(found[AccountKind.OPENAI])
    assert saved.name == "OpenAI (environment) 2"  # the name was taken
    assert credentials.get_secret(saved.id) == "sk-env-" + "e" * 20
    assert AccountKind.OPENAI not in {c.account.kind for c in accounts.env_candidates()}  # already saved
    assert AccountKind.OPENAI in {c.account.kind for c in accounts.env_candidates(include_saved=True)}
