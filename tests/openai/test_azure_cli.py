"""``jobs create --provider azure --training-type ...`` and ``jobs show`` against the fake's Azure routes,
credentials from the SDK's environment variables."""

from __future__ import annotations

import pytest

from backend.cli import run
from backend.providers.azure import AzureProvider
from backend.store import JobStore


@pytest.fixture
def env_azure(fake_openai, monkeypatch):
    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", fake_openai.api_key)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fake_openai.azure_endpoint)
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")


def _create(chat_file, *extra):
    return run(["jobs", "create", "--provider", "azure", "--data", chat_file, "--model", "gpt-4.1-2025-04-14",
                *extra])


def test_training_type_from_the_command_line(env_azure, fake_openai, chat_file, capsys):
    assert _create(chat_file, "--training-type", "globalstandard") == 0, capsys.readouterr().err
    assert fake_openai.jobs()[0]["trainingType"] == "GlobalStandard"
    assert run(["jobs", "create", "--provider", "azure", "--data", chat_file, "--model", "gpt-35-turbo-0125",
                "--training-type", "developer"]) == 1
    err = capsys.readouterr().err
    assert "DeveloperTier TrainingType is not supported for model 'gpt-35-turbo-0125'" in err
    assert "Traceback" not in err


def test_training_type_is_azures_alone(env_azure, chat_file, capsys):
    assert run(["jobs", "create", "--provider", "openai", "--data", chat_file, "--model", "gpt-4o-mini-2024-07-18",
                "--training-type", "standard"]) == 1
    assert "--training-type applies only to --provider azure" in capsys.readouterr().err


def test_a_safety_failure_is_said_by_jobs_show(env_azure, fake_openai, chat_file, capsys):
    fake_openai.fail_safety_next()
    assert _create(chat_file) == 0, capsys.readouterr().err
    [job] = JobStore().list_jobs()
    fake_openai.finish(job.remote_id)
    capsys.readouterr()
    run(["jobs", "watch", job.id, "--interval", "0"])  # follows it to its end, as the monitor does
    watched = capsys.readouterr().out
    assert "Reason: Azure's safety checks refused the training data" in watched
    assert run(["jobs", "show", job.id]) == 0
    out = capsys.readouterr().out
    assert "Azure's safety checks refused the training data" in out
    assert "Remove or rewrite the flagged examples" in out
