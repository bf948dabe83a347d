"""``jobs`` commands against the fake OpenAI service."""

from __future__ import annotations

from backend.cli import run
from backend.launch import LAUNCH_KEY
from backend.models import Job, JobStatus, ProviderKind
from tests.monitor.conftest import launch_remote


def test_list_and_show(launched, capsys):
    job = launched("CLI job")
    assert run(["jobs", "list"]) == 0
    out = capsys.readouterr().out
    assert job.id[:10] in out and "validating_files" in out
    assert run(["jobs", "show", job.id[:8]]) == 0
    out = capsys.readouterr().out
    assert "CLI job" in out and job.remote_id in out
    assert run(["jobs", "show", "nope"]) == 1
    assert "No job “nope”" in capsys.readouterr().err


def test_list_settles_a_launch_a_crash_left_half_done(store, account, openai_client, capsys):
    """A CLI launch killed between the create call and its answer: the job exists remotely, the store
    still says 'creating'. ``jobs list`` adopts the remote job by its launch key instead of showing a ghost."""
    remote_id = launch_remote(openai_client, metadata={LAUNCH_KEY: "launch-1"})
    pending = store.save_job(Job(provider=ProviderKind.OPENAI, account_id=account.id, name="Half done",
                                 base_model="gpt-4o-mini-2024-07-18", status=JobStatus.CREATING,
                                 metadata={LAUNCH_KEY: "launch-1"}))
    assert run(["jobs", "list"]) == 0
    out = capsys.readouterr().out
    assert "creating" not in out and "validating_files" in out
    adopted = store.get_job(pending.id)
    assert adopted.remote_id == remote_id and adopted.status is JobStatus.VALIDATING_FILES


def test_watch_streams_events_until_the_job_ends(launched, fake_openai, capsys):
    job = launched()
    fake_openai.finish(job.remote_id)
    assert run(["jobs", "watch", job.id, "--interval", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "Step 6/6: training loss" in out and "The job has successfully completed" in out
    assert "succeeded" in out.splitlines()[-2] and out.splitlines()[-1].startswith("Model: ft:gpt-4o-mini")


def test_watch_reports_the_reason_of_a_failure(launched, fake_openai, capsys):
    fake_openai.fail_next_job("Training file has 3 lines with too many tokens.")
    job = launched()
    fake_openai.advance(job.remote_id)
    assert run(["jobs", "watch", job.id, "--interval", "0.01"]) == 1
    assert "Reason: Training file has 3 lines with too many tokens." in capsys.readouterr().out


def test_cancel_reaches_the_server(launched, fake_openai, store, capsys):
    job = launched()
    assert run(["jobs", "cancel", job.id]) == 0
    assert fake_openai.count("POST", f"/fine_tuning/jobs/{job.remote_id}/cancel") == 1
    assert store.get_job(job.id).status is JobStatus.CANCELLED


def test_import_adds_jobs_created_elsewhere_once(account, openai_client, store, capsys):
    from tests.monitor.conftest import launch_remote

    remote_id = launch_remote(openai_client)
    assert run(["jobs", "import", "--account", account.id]) == 0
    assert run(["jobs", "import", "--account", account.id]) == 0
    assert "No new jobs" in capsys.readouterr().out
    assert [j.remote_id for j in store.list_jobs()] == [remote_id]


def test_stop_and_save_is_refused_by_name_where_the_provider_cannot(launched, fake_openai, store, capsys):
    job = launched()
    assert run(["jobs", "stop-and-save", job.id]) == 1
    assert capsys.readouterr().err == "error: OpenAI jobs cannot be stopped and saved.\n"
    assert fake_openai.count("POST", f"/fine_tuning/jobs/{job.remote_id}/pause") == 0


def test_resume_reaches_the_server_for_a_paused_job(launched, fake_openai, store, openai_client, capsys):
    job = launched()
    fake_openai.advance(job.remote_id, times=2)  # validating_files, queued, running
    openai_client.fine_tuning.jobs.pause(job.remote_id)
    store.save_job(job.model_copy(update={"status": JobStatus.PAUSED}))
    assert run(["jobs", "resume", job.id]) == 0
    assert capsys.readouterr().out.startswith("Resumed: running")
    assert fake_openai.count("POST", f"/fine_tuning/jobs/{job.remote_id}/resume") == 1
    assert store.get_job(job.id).status is JobStatus.RUNNING
