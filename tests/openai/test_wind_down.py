"""The wind-down refusal in every shape OpenAI sends, through the fake service and the real SDK to the user.

OpenAI does not publish one error code for "fine-tuning is closed to you"; the product recognises the shapes
its notices and refusals take (see ``backend/providers/openai_sdk.py``). Each shape goes through ``jobs
create`` as a user would run it; an ordinary refusal of the request must still read as itself. After a
refusal, existing jobs are still followed and fine-tuned models still answer.
"""

from __future__ import annotations

import pytest

from backend.cli import run
from backend.launch import launch
from backend.models import ChatMessage, ChatParams, JobStatus
from backend.monitor_sync import sync_job
from backend.providers.openai_sdk import FineTuningClosed
from tests.fakes.openai_server import WIND_DOWN_MESSAGE
from tests.openai.test_provider import config

#: The user's sentence, whatever OpenAI's own words were.
PLAIN = ("OpenAI is winding down self-serve fine-tuning (no new jobs for anyone from 2027-01-06, earlier for "
         "inactive organisations). Monitoring your existing jobs and chatting with your fine-tuned models still work.")

WIND_DOWN = [  # status, code, message
    pytest.param(403, "fine_tuning_unavailable", WIND_DOWN_MESSAGE, id="403-own-code"),
    pytest.param(403, None, "Creating fine-tuning jobs is unavailable to organizations without prior fine-tuning "
                            "history.", id="403-new-organisations-2026-05"),
    pytest.param(403, None, "Creating fine-tuning jobs is no longer available to organizations without inference on "
                            "a fine-tuned model in the past 60 days.", id="403-inactive-organisations-2026-07"),
    pytest.param(400, "feature_not_available", "This feature is no longer available for your organization.",
                 id="400-feature-not-available"),
    pytest.param(400, "model_not_available", "Fine-tuning is not available to new customers.",
                 id="400-not-for-new-customers"),
    pytest.param(403, "unsupported", "Fine-tuning is not enabled for this organization.", id="403-unsupported"),
    pytest.param(400, "deprecated", "Self-serve fine-tuning has been deprecated.", id="400-deprecated"),
    pytest.param(404, "model_not_found", "The model `gpt-4o-mini-2024-07-18` has been deprecated, learn more here: "
                                         "https://platform.openai.com/docs/deprecations", id="404-legacy-shutdown"),
    pytest.param(410, None, "Gone", id="410-gone"),
]

ORDINARY = [  # status, code, param, message: the request's own fault, shown as itself
    pytest.param(400, "integer_above_max_value", "method.supervised.hyperparameters.n_epochs",
                 "Invalid 'method.supervised.hyperparameters.n_epochs': integer above maximum value. Expected a value "
                 "<= 50, but got 99 instead.", id="400-hyperparameter"),
    pytest.param(400, "invalid_file", "training_file", "File file-abc could not be processed: Invalid file format. "
                                                       "Line 3 is not valid JSON.", id="400-invalid-file"),
    pytest.param(400, None, "hyperparameters", "The 'hyperparameters' argument is deprecated; pass them in 'method'.",
                 id="400-deprecated-argument"),
    pytest.param(404, "model_not_found", "model", "The model `gpt-9` does not exist or you do not have access to it.",
                 id="404-unknown-model"),
    pytest.param(403, "insufficient_permissions", None, "You have insufficient permissions for this operation. "
                                                        "Missing scopes: api.fine_tuning.jobs.write.",
                 id="403-missing-scope"),
]


@pytest.fixture
def env_account(fake_openai, monkeypatch, provider):  # provider: quick polling on the class
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)


def _create(chat_file, model="gpt-4o-mini-2024-07-18") -> int:
    return run(["jobs", "create", "--provider", "openai", "--data", chat_file, "--model", model])


@pytest.mark.parametrize("status, code, message", WIND_DOWN)
def test_each_shape_of_the_wind_down_reads_as_the_wind_down(env_account, fake_openai, chat_file, capsys,
                                                            status, code, message):
    fake_openai.refuse_job_creation(message, code, status=status)
    assert _create(chat_file) == 1
    err = capsys.readouterr().err
    assert PLAIN in " ".join(err.split()) and "Hugging Face" in err
    assert f"OpenAI did not create the job: “{message}”" in err  # OpenAI's own words, quoted
    assert "Traceback" not in err and fake_openai.jobs() == []


@pytest.mark.parametrize("status, code, param, message", ORDINARY)
def test_an_ordinary_refusal_is_shown_as_itself(env_account, fake_openai, chat_file, capsys, status, code, param,
                                                message):
    fake_openai.refuse_job_creation(message, code, status=status, param=param)
    assert _create(chat_file) == 1
    err = capsys.readouterr().err
    assert message in err and "winding down" not in err and "Traceback" not in err


def test_the_services_own_refusals_of_a_request_are_not_the_wind_down(env_account, fake_openai, chat_file, capsys):
    assert _create(chat_file, model="gpt-9") == 1  # "Model gpt-9 is not available for fine-tuning or does not exist."
    err = capsys.readouterr().err
    assert "not available for fine-tuning or does not exist" in err and "winding down" not in err


def test_azure_refusals_are_never_called_openais_wind_down(fake_openai, chat_file, store, monkeypatch):
    from backend.errors import Refused
    from backend.models import Account, AccountKind, ProviderKind, TrainingConfig
    from backend.providers.azure import AzureProvider

    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)
    azure = AzureProvider(account=Account(name="Azure", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                                          api_version="2025-04-01-preview"), secret=fake_openai.api_key)
    fake_openai.refuse_job_creation("Fine-tuning is not available in this region.", None)
    with pytest.raises(Refused) as caught:
        launch(TrainingConfig(provider=ProviderKind.AZURE, base_model="gpt-4o-mini-2024-07-18",
                              training_file=chat_file), store=store, provider=azure)
    assert not isinstance(caught.value, FineTuningClosed) and "Azure OpenAI refused" in str(caught.value)


def test_existing_jobs_are_followed_and_their_models_answer_after_a_refusal(provider, fake_openai, chat_file, store):
    done = launch(config(chat_file, suffix="before"), store=store, provider=provider)
    fake_openai.finish(done.remote_id)
    running = launch(config(chat_file, suffix="running"), store=store, provider=provider)
    fake_openai.advance(running.remote_id, times=2)
    fake_openai.refuse_job_creation("Creating fine-tuning jobs is no longer available to organizations without "
                                    "inference on a fine-tuned model in the past 60 days.", None)
    with pytest.raises(FineTuningClosed):
        launch(config(chat_file, suffix="after"), store=store, provider=provider)
    # Monitoring: the running job is followed to its end, with its events, metrics and checkpoints.
    polled = sync_job(store, provider, running, last_event_id=store.last_event_id(running.id), last_step=None)
    assert polled.job.status is JobStatus.RUNNING and polled.events
    fake_openai.finish(running.remote_id)
    finished = sync_job(store, provider, polled.job, last_event_id=store.last_event_id(running.id), last_step=None)
    assert finished.job.status is JobStatus.SUCCEEDED and finished.job.fine_tuned_model
    assert "The job has successfully completed" in [e.message for e in store.events(running.id)]
    assert store.metrics(running.id) and store.checkpoints(running.id)
    # Chatting: both fine-tuned models still answer, and they are still listed for the playground.
    fake_openai.set_reply("Still here.")
    for model in (provider.get_job(done).fine_tuned_model, finished.job.fine_tuned_model):
        reply = "".join(provider.chat_stream(model, [ChatMessage(role="user", content="hi")], ChatParams()))
        assert reply == "Still here."
    assert {m.id for m in provider.list_base_models() if m.fine_tuned} == {
        provider.get_job(done).fine_tuned_model, finished.job.fine_tuned_model}
    assert len(fake_openai.jobs()) == 2
