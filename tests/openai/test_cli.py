"""``jobs create`` from the command line against the fake service, credentials from the environment."""

from __future__ import annotations

import pytest

from backend.cli import run
from backend.launch import reconcile_pending
from backend.models import JobStatus
from backend.providers.openai import OpenAIProvider
from backend.store import JobStore

CREATE = ["jobs", "create", "--provider", "openai", "--model", "gpt-4o-mini-2024-07-18"]


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
    assert job.status is JobStatus.SUCCEEDED and f"Model: {job.fine_tuned_model}" in out
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


def short_window(monkeypatch) -> None:
    monkeypatch.setattr(OpenAIProvider, "create_timeout", 0.3)
    monkeypatch.setattr(OpenAIProvider, "in_flight_margin", 0.2)


def test_wait_keeps_following_through_failed_polls(env_account, fake_openai, chat_file, capsys):
    fake_openai.advance_on_poll = True
    fake_openai.inject("GET /fine_tuning/jobs/*", "500", times=3)  # the SDK's two retries, then the poll fails
    code = run(CREATE + ["--data", chat_file, "--wait", "--poll", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Could not check the job: OpenAI had a problem on its side (HTTP 500)" in err
    assert "The job itself is not affected: it goes on at OpenAI. Still watching" in err
    assert "try again" not in err.lower() and "OpenAI answers again." in err
    assert "The job has successfully completed" in out and len(fake_openai.jobs()) == 1


def test_running_the_command_again_after_a_lost_answer_gives_the_same_job(env_account, fake_openai, chat_file,
                                                                          capsys, monkeypatch):
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "500_after")
    fake_openai.inject("GET /fine_tuning/jobs", "500", times=1000)
    assert run(CREATE + ["--data", chat_file]) == 1
    err = capsys.readouterr().err
    assert "The job may exist" in err and "Launching it again is safe" in err and "Try again in" not in err
    fake_openai.clear_faults()
    assert run(CREATE + ["--data", chat_file]) == 0  # the user obeys: the job that exists is handed back
    out, err = capsys.readouterr()
    [job] = JobStore().list_jobs()
    assert "An earlier launch is settled" in err and f"Created job {job.id} ({job.remote_id})" in out
    assert len(fake_openai.jobs()) == 1 and fake_openai.count("POST", "/fine_tuning/jobs") == 1


def test_a_new_launch_first_settles_the_accounts_pending_one(env_account, fake_openai, chat_file, capsys,
                                                             monkeypatch):
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")
    assert run(CREATE + ["--data", chat_file, "--suffix", "first"]) == 1
    fake_openai.release()
    assert fake_openai.wait_until(lambda: len(fake_openai.jobs()) == 1)
    assert run(CREATE + ["--data", chat_file, "--suffix", "second"]) == 0
    err = capsys.readouterr().err
    first = fake_openai.jobs()[0]["id"]
    assert "An earlier launch is settled: job" in err and f"({first}) is validating_files" in err
    assert sorted(j.remote_id for j in JobStore().list_jobs()) == sorted(j["id"] for j in fake_openai.jobs())
    assert len(fake_openai.jobs()) == 2


def test_a_launch_with_the_environments_key_is_settled_with_that_key_only(env_account, fake_openai, chat_file,
                                                                          capsys, monkeypatch):
    """No saved account: the job is reached again through the same variables (the key is never stored), and
    never with another key found there later."""
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")
    assert run(CREATE + ["--data", chat_file]) == 1
    fake_openai.release()
    assert fake_openai.wait_until(lambda: len(fake_openai.jobs()) == 1)
    [pending] = JobStore().list_jobs()
    assert pending.account_id is None and pending.status is JobStatus.CREATING
    monkeypatch.setenv("OPENAI_API_KEY", "sk-another-key-000000")
    asked = fake_openai.count("GET", "/fine_tuning/jobs")
    assert reconcile_pending(JobStore(), grace_seconds=0) == [] and fake_openai.count("GET", "/fine_tuning/jobs") == asked
    assert JobStore().get_job(pending.id).status is JobStatus.CREATING, "another key never settles it"
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai.api_key)
    capsys.readouterr()
    assert run(["jobs", "list"]) == 0
    assert "creating" not in capsys.readouterr().out
    adopted = JobStore().get_job(pending.id)
    assert adopted.remote_id == fake_openai.jobs()[0]["id"] and adopted.status is JobStatus.VALIDATING_FILES
    assert fake_api_key_nowhere(fake_openai.api_key)


def fake_api_key_nowhere(secret: str) -> bool:
    from backend import paths

    for path in paths.data_dir().rglob("*"):
        if path.is_file() and secret.encode() in path.read_bytes():
            return False
    return True


def test_ctrl_c_after_the_job_was_sent_says_it_may_exist(env_account, fake_openai, chat_file, capsys, monkeypatch):
    from backend.cli import jobs_create

    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")

    def interrupt_while_checking(self, progress):
        if "checking whether it was created" in progress.message:
            raise KeyboardInterrupt

    monkeypatch.setattr(jobs_create._ProgressPrinter, "__call__", interrupt_while_checking)
    assert run(CREATE + ["--data", chat_file]) == 130
    assert "Interrupted after the job was sent: it may exist" in capsys.readouterr().err
    fake_openai.release()
    assert fake_openai.wait_until(lambda: len(fake_openai.jobs()) == 1)
    assert run(CREATE + ["--data", chat_file]) == 0
    assert len(fake_openai.jobs()) == 1 and len(JobStore().list_jobs()) == 1
