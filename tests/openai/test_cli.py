"""``jobs create`` from the command line against the fake service, credentials from the environment."""

from __future__ import annotations

import pytest

from backend.cli import run
from backend.models import JobStatus
from backend.store import JobStore


@pytest.fixture
def env_account(fake_openai, monkeypatch, provider):  # provider: quick polling on the class
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)


def test_create_and_wait_until_the_model_exists(env_account, fake_openai, chat_file, capsys):
    fake_openai.advance_on_poll = True
    code = run(["jobs", "create", "--provider", "openai", "--data", chat_file, "--split", "0.2",
                "--model", "gpt-4o-mini-2024-07-18", "--epochs", "2", "--lr-multiplier", "0.5",
                "--suffix", "cli", "--seed", "3", "--wait", "--poll", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Uploaded" in err and "Created job" in out and "Step 6/6" in out
    sent = fake_openai.jobs()[0]
    assert sent["method"]["supervised"]["hyperparameters"] == {"n_epochs": 2, "batch_size": "auto",
                                                               "learning_rate_multiplier": 0.5}
    assert sent["seed"] == 3 and sent["validation_file"]
    [job] = JobStore().list_jobs()
    assert job.status is JobStatus.SUCCEEDED and f"Fine-tuned model: {job.fine_tuned_model}" in out
    assert job.fine_tuned_model.split(":")[3] == "cli"


def test_dpo_from_the_command_line(env_account, fake_openai, dpo_file, capsys):
    code = run(["jobs", "create", "--provider", "openai", "--data", dpo_file, "--model", "gpt-4.1-mini-2025-04-14",
                "--method", "dpo", "--beta", "0.1"])
    assert code == 0, capsys.readouterr().err
    assert fake_openai.jobs()[0]["method"]["dpo"]["hyperparameters"]["beta"] == 0.1


def test_mistakes_get_one_sentence(env_account, fake_openai, chat_file, capsys):
    assert run(["jobs", "create", "--provider", "openai", "--data", chat_file, "--model", "gpt-4o-mini-2024-07-18",
                "--epochs", "lots"]) == 1
    assert "--epochs must be a number or auto" in capsys.readouterr().err
    assert run(["jobs", "create", "--provider", "openai", "--data", chat_file, "--model", "gpt-4o-mini-2024-07-18",
                "--beta", "0.1"]) == 1
    assert "only to --method dpo" in capsys.readouterr().err
    fake_openai.refuse_job_creation()
    assert run(["jobs", "create", "--provider", "openai", "--data", chat_file,
                "--model", "gpt-4o-mini-2024-07-18"]) == 1
    err = capsys.readouterr().err
    assert "\nerror: OpenAI did not create the job" in err and "Hugging Face" in err
    assert "Traceback" not in err
    fake_openai.allow_job_creation()
    assert run(["jobs", "create", "--provider", "openai", "--data", chat_file, "--model", "gpt-9"]) == 1
    assert "not available for fine-tuning" in capsys.readouterr().err
