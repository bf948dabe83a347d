"""AzureProvider: the same flow through the SDK's AzureOpenAI client, on Azure's routes of the fake."""

from __future__ import annotations

import pytest

from backend.errors import CredentialsError
from backend.launch import launch
from backend.models import Account, AccountKind, ChatMessage, ChatParams, JobStatus, ProviderKind, TrainingConfig
from backend.providers.azure import AzureProvider
from backend.providers.base import Deploys


@pytest.fixture
def azure(fake_openai, monkeypatch):
    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)
    account = Account(name="Azure", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                      api_version="2025-04-01-preview")
    return AzureProvider(account=account, secret=fake_openai.api_key)


def test_azure_launch_follow_and_chat_with_a_deployment(azure, fake_openai, chat_file, store):
    assert isinstance(azure, Deploys) and "reinforcement" not in azure.methods  # deploys (tests/azure); no RFT
    assert "gpt-4o-mini-2024-07-18" in [m.id for m in azure.list_base_models()]
    config = TrainingConfig(provider=ProviderKind.AZURE, base_model="gpt-4o-mini-2024-07-18",
                            training_file=chat_file)
    job = launch(config, store=store, provider=azure)
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1 and job.provider is ProviderKind.AZURE
    fake_openai.finish(job.remote_id)
    assert azure.get_job(job).status is JobStatus.SUCCEEDED
    reply = "".join(azure.chat_stream("my-deployment", [ChatMessage(role="user", content="hi")], ChatParams()))
    assert reply == "Hello from the fake model."


def test_azure_needs_an_endpoint():
    with pytest.raises(CredentialsError, match="no endpoint"):
        AzureProvider(account=Account(name="a", kind=AccountKind.AZURE), secret="k").list_base_models()
