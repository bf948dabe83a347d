"""Deleting a fine-tuned model: the providers against the fake (held to ``DELETE /models/{model}``), and the record."""

from __future__ import annotations

import pytest

from backend import control
from backend.control import JobAction
from backend.chat_catalog import build_catalog
from backend.errors import CapabilityMissing, InvalidInput, NotFound, Refused
from backend.launch import launch
from backend.models import Account, AccountKind, ChatMessage, ChatParams, JobStatus, ProviderKind, TrainingConfig
from backend.monitor_sync import sync_job
from backend.providers.azure import AzureProvider
from backend.providers.base import DeletesModels
from tests.openai.test_provider import config


def _finished(provider, fake_openai, chat_file, store, **kw):
    job = launch(config(chat_file, **kw), store=store, provider=provider)
    fake_openai.finish(job.remote_id)
    return sync_job(store, provider, job, last_event_id=None, last_step=None).job


def test_a_fine_tuned_model_is_deleted_and_recorded(provider, fake_openai, chat_file, store):
    job = _finished(provider, fake_openai, chat_file, store, suffix="gone")
    model = job.fine_tuned_model
    assert JobAction.DELETE_MODEL in control.available(job, type(provider))
    assert [r.model for r in build_catalog(store, with_accounts=False).models if r.kind == "fine-tuned"] == [model]
    fresh, event = control.delete_model(store, provider, job)
    assert fake_openai.count("DELETE", "/models/*") == 1
    assert fresh.model_deleted_at is not None and store.get_job(job.id).model_deleted_at == fresh.model_deleted_at
    assert fresh.fine_tuned_model == model  # what was trained stays on the record
    assert store.events(job.id)[-1] == event and model in event.message and "OpenAI" in event.message
    # The service no longer has it: not listed, not answering; the playground's catalog leaves it out.
    assert model not in [m.id for m in provider.list_base_models()]
    with pytest.raises(NotFound, match="does not exist"):
        list(provider.chat_stream(model, [ChatMessage(role="user", content="hi")], ChatParams()))
    assert model not in [r.model for r in build_catalog(store, with_accounts=False).models]
    # Once is enough: a second deletion is refused before any request.
    with pytest.raises(InvalidInput, match="already deleted"):
        control.delete_model(store, provider, fresh)
    assert fake_openai.count("DELETE", "/models/*") == 1
    # A later poll of the job keeps the record of the deletion.
    polled = sync_job(store, provider, fresh, last_event_id=store.last_event_id(job.id), last_step=None).job
    assert polled.model_deleted_at == fresh.model_deleted_at


def test_only_the_organisations_fine_tuned_models_can_be_deleted(provider, fake_openai, chat_file, store):
    with pytest.raises(Refused, match="only fine-tuned models owned by your organization"):
        provider.delete_model("gpt-4o-mini-2024-07-18")  # a base model
    with pytest.raises(NotFound, match="does not exist"):
        provider.delete_model("ft:gpt-4o-mini-2024-07-18:someone-else::abc123")
    assert "gpt-4o-mini-2024-07-18" in [m.id for m in provider.list_base_models()]


def test_a_job_without_a_model_or_a_provider_without_deletion_is_refused(provider, fake_openai, chat_file, store):
    running = launch(config(chat_file), store=store, provider=provider)
    fake_openai.advance(running.remote_id, times=2)
    running = sync_job(store, provider, running, last_event_id=None, last_step=None).job
    assert running.status is JobStatus.RUNNING
    with pytest.raises(InvalidInput, match="no fine-tuned model to delete \\(it is running\\)"):
        control.delete_model(store, provider, running)
    finished = _finished(provider, fake_openai, chat_file, store)
    class NoDeletion:  # a provider that chats and has no ``delete_model`` (not ``DeletesModels``)
        def chat_stream(self, model, messages, params, cancel=None):
            yield ""

    assert control.why_not(finished, NoDeletion, JobAction.DELETE_MODEL) == (
        "OpenAI models cannot be deleted from Fine-Tune Studio.")

    with pytest.raises(CapabilityMissing):
        control.delete_model(store, NoDeletion(), finished)
    assert fake_openai.count("DELETE", "/models/*") == 0


def test_azure_deletes_through_its_own_routes(fake_openai, chat_file, store, monkeypatch):
    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)
    azure = AzureProvider(account=Account(name="Azure", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                                          api_version="2025-04-01-preview"), secret=fake_openai.api_key)
    assert isinstance(azure, DeletesModels)
    job = launch(TrainingConfig(provider=ProviderKind.AZURE, base_model="gpt-4o-mini-2024-07-18",
                                training_file=chat_file), store=store, provider=azure)
    fake_openai.finish(job.remote_id)
    job = store.save_job(azure.get_job(job))
    fresh, event = control.delete_model(store, azure, job)
    assert fresh.model_deleted_at and "Azure OpenAI" in event.message
    assert fake_openai.requests[-1] == ("DELETE", f"/models/{job.fine_tuned_model}")
    assert job.fine_tuned_model in fake_openai.state.deleted_models
    with pytest.raises(Refused, match="Azure OpenAI refused"):
        azure.delete_model("gpt-4o-mini-2024-07-18")
