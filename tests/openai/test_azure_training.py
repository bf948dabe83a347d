"""Azure's own side of training, through the SDK's AzureOpenAI client against the fake's Azure routes (held to
Azure's published description): the training type, the models list with its dates, continuing a fine-tune,
Azure's job states and its safety checks."""

from __future__ import annotations

import pytest

from backend.errors import StudioError
from backend.launch import launch
from backend.models import Account, AccountKind, JobStatus, ProviderKind, TrainingConfig
from backend.providers.azure import TRAINING_TYPES, AzureProvider


@pytest.fixture
def azure(fake_openai, monkeypatch):
    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)
    account = Account(name="Azure", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                      api_version="2025-04-01-preview")
    return AzureProvider(account=account, secret=fake_openai.api_key)


def _config(chat_file, model="gpt-4.1-2025-04-14", **options):
    return TrainingConfig(provider=ProviderKind.AZURE, base_model=model, training_file=chat_file, options=options)


# The spellings Microsoft's own SDK sends (azure-ai-projects 2.10.0, tests/test_base.py).
@pytest.mark.parametrize(("choice", "wire"), [("standard", "Standard"), ("globalstandard", "GlobalStandard"),
                                              ("developer", "developerTier")])
def test_each_training_type_reaches_azure_as_its_trainingType(azure, fake_openai, chat_file, store, choice, wire):
    assert set(TRAINING_TYPES) == {"standard", "globalstandard", "developer"}
    job = launch(_config(chat_file, training_type=choice), store=store, provider=azure)
    sent = fake_openai.jobs()[-1]
    assert sent["trainingType"] == wire
    assert job.status is JobStatus.QUEUED and job.status_raw == "pending"  # Azure's state, not OpenAI's
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1


def test_a_training_type_the_model_cannot_use_is_refused_in_azures_words(azure, fake_openai, chat_file, store):
    with pytest.raises(StudioError) as refused:
        launch(_config(chat_file, model="gpt-35-turbo-0125", training_type="developer"), store=store,
               provider=azure)
    assert "DeveloperTier TrainingType is not supported for model 'gpt-35-turbo-0125'" in str(refused.value)
    assert fake_openai.jobs() == []


def test_an_unknown_training_type_is_refused_before_anything_is_sent(azure, fake_openai, chat_file, store):
    with pytest.raises(StudioError, match="not one Azure offers"):
        launch(_config(chat_file, training_type="premium"), store=store, provider=azure)
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 0


def test_the_models_list_has_azures_dates_and_the_resources_own_fine_tunes(azure, fake_openai, chat_file, store):
    models = {m.id: m for m in azure.list_base_models()}
    assert "text-embedding-3-small" not in models  # Azure says it cannot be fine-tuned
    gpt41 = models["gpt-4.1-2025-04-14"]
    assert (gpt41.training_until, gpt41.deployable_until) == ("2027-04-14", "2027-10-14")
    job = launch(_config(chat_file), store=store, provider=azure)
    fine_tuned = fake_openai.finish(job.remote_id)["fine_tuned_model"]
    assert fine_tuned.startswith("gpt-4.1-2025-04-14.ft-")
    mine = {m.id: m for m in azure.list_base_models()}[fine_tuned]
    assert mine.fine_tuned and "your model, from gpt-4.1-2025-04-14" in mine.label
    assert mine.deployable_until == "2027-10-14" and mine.training_until is None

    again = launch(_config(chat_file, model=fine_tuned, training_type="standard"), store=store, provider=azure)
    assert again.remote_id != job.remote_id and fake_openai.jobs()[-1]["model"] == fine_tuned


@pytest.mark.parametrize("trained", [False, True])
def test_a_safety_check_failure_becomes_a_sentence(azure, fake_openai, chat_file, store, trained):
    fake_openai.fail_safety_next(trained=trained)
    job = launch(_config(chat_file), store=store, provider=azure)
    fake_openai.finish(job.remote_id)
    failed = azure.get_job(job)
    assert failed.status is JobStatus.FAILED
    if trained:
        assert failed.error.startswith("Azure's safety evaluation of the trained model failed")
        assert "cannot be deployed" in failed.error
    else:
        assert failed.error.startswith("Azure's safety checks refused the training data")
        assert "Remove or rewrite the flagged examples" in failed.error
    assert "failed RAI checks for harm types" in failed.error  # Azure's own words kept
