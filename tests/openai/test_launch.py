"""Launching against a faulty service: retried, surfaced in plain words, never a duplicate job."""

from __future__ import annotations

import json

import pytest

from backend.errors import NetworkError, Refused
from backend.launch import LAUNCH_KEY, launch, reconcile_pending
from backend.models import JobStatus
from backend.providers.openai import OpenAIProvider
from backend.providers.openai_sdk import FineTuningClosed
from tests.openai.test_provider import config


def test_large_file_goes_through_the_uploads_api(provider, fake_openai, chat_file, store):
    provider.simple_upload_limit, provider.part_size = 100, 256
    job = launch(config(chat_file), store=store, provider=provider)
    parts = fake_openai.count("POST", "/uploads/*/parts")
    assert fake_openai.count("POST", "/uploads") == 1 and parts > 3
    assert fake_openai.count("POST", "/files") == 0
    content = fake_openai.state.file_bytes[fake_openai.jobs()[0]["training_file"]]
    assert len([json.loads(line) for line in content.splitlines()]) == 16
    assert job.remote_id


def test_an_interrupted_upload_resumes_where_it_stopped(provider, fake_openai, chat_file, store):
    provider.simple_upload_limit, provider.part_size = 100, 256

    def break_at_third_part(progress):
        if progress.message.endswith("part 3"):
            fake_openai.inject("POST /uploads/*/parts", "drop", times=3)  # the SDK tries 3 times, then gives up

    with pytest.raises(NetworkError):
        launch(config(chat_file), store=store, provider=provider, progress=break_at_third_part)
    assert fake_openai.jobs() == [] and store.list_jobs() == []
    sent_before = fake_openai.count("POST", "/uploads/*/parts")
    job = launch(config(chat_file), store=store, provider=provider)
    assert fake_openai.count("POST", "/uploads") == 1, "the second launch continued the same upload"
    total_parts = len(fake_openai.state.upload_parts[next(iter(fake_openai.state.uploads))])
    assert fake_openai.count("POST", "/uploads/*/parts") - sent_before == total_parts - 2
    content = fake_openai.state.file_bytes[fake_openai.jobs()[0]["training_file"]]
    assert len(content.splitlines()) == 16 and job.status is JobStatus.VALIDATING_FILES
    # A third launch of the same data reuses the processed file instead of sending it again.
    launch(config(chat_file), store=store, provider=provider)
    assert fake_openai.count("POST", "/uploads") == 1 and len(fake_openai.jobs()) == 2


@pytest.mark.parametrize("pattern, kind", [
    ("POST /files", "429"), ("POST /files", "drop"), ("GET /files/*", "500"),
    ("POST /fine_tuning/jobs", "429"), ("POST /fine_tuning/jobs", "500"), ("POST /fine_tuning/jobs", "drop"),
    ("POST /fine_tuning/jobs", "500_after"), ("POST /fine_tuning/jobs", "drop_after"),
])
def test_transient_faults_are_retried_without_a_duplicate(provider, fake_openai, chat_file, store, pattern, kind):
    fake_openai.inject(pattern, kind, times=1)
    job = launch(config(chat_file), store=store, provider=provider)
    assert len(fake_openai.jobs()) == 1
    assert [j.remote_id for j in store.list_jobs()] == [fake_openai.jobs()[0]["id"]] == [job.remote_id]


def test_a_lasting_outage_is_surfaced_and_reconciled_later(provider, fake_openai, chat_file, store):
    fake_openai.inject("POST /fine_tuning/jobs", "500_after", times=10)
    job = launch(config(chat_file), store=store, provider=provider)  # created on the first try, answer lost
    assert len(fake_openai.jobs()) == 1 and job.remote_id == fake_openai.jobs()[0]["id"]
    fake_openai.clear_faults()
    fake_openai.inject("POST /fine_tuning/jobs", "500", times=10)
    with pytest.raises(NetworkError):
        launch(config(chat_file), store=store, provider=provider)
    pending = store.list_jobs(status=[JobStatus.CREATING])
    assert len(pending) == 1 and len(fake_openai.jobs()) == 1
    assert reconcile_pending(store, open_provider=lambda kind, account_id: provider) == []  # maybe still going
    changed = reconcile_pending(store, open_provider=lambda kind, account_id: provider, grace_seconds=0)
    assert [j.status for j in changed] == [JobStatus.FAILED] and "interrupted" in changed[0].error


class _CrashAfterCreate(OpenAIProvider):
    """Dies (as a killed app would) right after the create request reached the service."""

    def create_job(self, config, data, job):
        super().create_job(config, data, job)
        raise SystemExit("killed")


def test_killed_between_record_and_answer_is_adopted_not_duplicated(provider, account, fake_openai,
                                                                     chat_file, store):
    crashing = _CrashAfterCreate(account=account, secret=fake_openai.api_key)
    with pytest.raises(SystemExit):
        launch(config(chat_file, suffix="x"), store=store, provider=crashing)
    [pending] = store.list_jobs()
    assert pending.status is JobStatus.CREATING and pending.remote_id is None
    [adopted] = reconcile_pending(store, open_provider=lambda kind, account_id: provider)
    remote = fake_openai.jobs()
    assert len(remote) == 1 and adopted.remote_id == remote[0]["id"] and adopted.id == pending.id
    assert adopted.status is JobStatus.VALIDATING_FILES
    assert store.get_job(pending.id).metadata[LAUNCH_KEY] == remote[0]["metadata"][LAUNCH_KEY]
    assert reconcile_pending(store, open_provider=lambda kind, account_id: provider) == []


def test_a_failed_jobs_reason_reaches_the_record(provider, fake_openai, chat_file, store):
    fake_openai.fail_next_job("The training file has 3 examples whose last message is not from the assistant.")
    job = launch(config(chat_file), store=store, provider=provider)
    fake_openai.advance(job.remote_id)
    failed = store.save_job(provider.get_job(job))
    assert failed.status is JobStatus.FAILED
    assert "3 examples whose last message" in store.get_job(job.id).error


def test_the_wind_down_refusal_says_what_still_works(provider, fake_openai, chat_file, store):
    fake_openai.refuse_job_creation()
    with pytest.raises(FineTuningClosed) as caught:
        launch(config(chat_file), store=store, provider=provider)
    sentence = str(caught.value)
    assert isinstance(caught.value, Refused)
    assert "no longer available for your organization" in sentence  # the API's own words
    assert "Monitoring your existing jobs and chatting with your fine-tuned models still work" in sentence
    assert "Hugging Face" in sentence and "Traceback" not in sentence
    [record] = store.list_jobs()
    assert record.status is JobStatus.FAILED and "winding down" in record.error
    assert fake_openai.jobs() == []


def test_a_permission_refusal_that_is_not_the_wind_down_is_not_called_one(provider, fake_openai, chat_file, store):
    fake_openai.refuse_job_creation("You have insufficient permissions for this operation. Missing scopes: "
                                    "api.fine_tuning.jobs.write.", code="insufficient_permissions")
    with pytest.raises(Refused) as caught:
        launch(config(chat_file), store=store, provider=provider)
    assert not isinstance(caught.value, FineTuningClosed) and "Missing scopes" in str(caught.value)
