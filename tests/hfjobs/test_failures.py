"""A job that fails before training (the base model gone, the data repo gone): the job fails with a sentence."""

from __future__ import annotations

from backend.launch import launch
from backend.models import JobStatus
from backend.providers import open_provider
from backend.providers.hf_jobs import HFJobsProvider
from backend.store import JobStore
from tests.hfjobs.conftest import cloud_config, settle


def _launch_then(cloud, chats, monkeypatch, change):
    """Launch a cloud run, calling ``change(data)`` between the upload and the job's start; the settled job."""
    prepare = HFJobsProvider.prepare_data

    def prepared(self, config, **kwargs):
        data = prepare(self, config, **kwargs)
        change(data)
        return data

    monkeypatch.setattr(HFJobsProvider, "prepare_data", prepared)
    store = JobStore()
    try:
        job = launch(cloud_config(cloud.account.id, chats), store=store)
        provider = open_provider(job.provider, job.account_id)
        return provider, settle(provider, job, cloud)
    finally:
        store.close()


def test_a_base_model_the_job_cannot_download_fails_the_job_with_a_sentence(cloud, chats, monkeypatch):
    provider, job = _launch_then(cloud, chats, monkeypatch, lambda data: setattr(cloud, "repo_id", "org/other"))
    assert job.status is JobStatus.FAILED
    assert "“org/tiny”" in job.error and "Traceback" not in job.error, job.error
    events = provider.list_events(job)
    assert [e.type for e in events][-2:] == ["error", "finished"]
    assert events[-1].message == job.error
    assert not any(line["data"].startswith("Traceback") for line in cloud.jobs.jobs[job.remote_id].lines)


def test_a_job_that_dies_with_an_error_in_its_log_says_the_error(cloud, chats, monkeypatch):
    provider, job = _launch_then(cloud, chats, monkeypatch, lambda data: cloud.datasets.pop(data.training))
    assert job.status is JobStatus.FAILED
    assert job.error.startswith("The job on Hugging Face failed (Job failed with exit code: 1): "), job.error
    assert "RepositoryNotFoundError" in job.error and "\n" not in job.error
    assert provider.list_events(job) == []  # the trainer never ran: the sentence comes from the log's last error
