"""Launching against a faulty service: one click gives at most one remote job and one stored file, whatever
the network does; an unknown outcome is said as such, checked, and adopted by the retry."""

from __future__ import annotations

import json

import pytest

from backend import paths
from backend.errors import NetworkError, Refused, Unconfirmed
from backend.launch import duplicates_note, launch, reconcile_pending
from backend.providers.base import LAUNCH_KEY
from backend.models import Job, JobStatus, ProviderKind
from backend.providers.openai import OpenAIProvider
from backend.providers.openai_sdk import FineTuningClosed
from tests.openai.conftest import chats, write_jsonl
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


def interrupted_launch(provider, fake_openai, chat_file, store) -> str:
    """A launch whose upload breaks at its third part; returns the id of the upload left pending."""
    provider.simple_upload_limit, provider.part_size = 100, 256

    def break_at_third_part(progress):
        if progress.message.endswith("part 3"):
            fake_openai.inject("POST /uploads/*/parts", "drop", times=3)  # the SDK tries 3 times, then gives up

    with pytest.raises(NetworkError):
        launch(config(chat_file), store=store, provider=provider, progress=break_at_third_part)
    [upload_id] = fake_openai.state.uploads
    assert len(fake_openai.state.upload_parts[upload_id]) == 2 and fake_openai.state.files == {}
    return upload_id


def test_an_interrupted_upload_resumes_where_it_stopped(provider, fake_openai, chat_file, store):
    interrupted_launch(provider, fake_openai, chat_file, store)
    assert fake_openai.jobs() == [] and store.list_jobs() == [] and prepared_left() == []
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


def prepared_left() -> list:
    folder = paths.cache_dir() / "prepared"
    return list(folder.iterdir()) if folder.exists() else []


def short_window(monkeypatch, timeout: float = 0.3, margin: float = 0.2) -> None:
    """A create times out after ``timeout`` s and may land until ``margin`` s later (60 s and 60 s for real)."""
    monkeypatch.setattr(OpenAIProvider, "create_timeout", timeout)
    monkeypatch.setattr(OpenAIProvider, "in_flight_margin", margin)


def remote_ids(fake_openai) -> list[str]:
    return [j["id"] for j in fake_openai.jobs()]


@pytest.mark.parametrize("pattern, kind", [
    ("POST /files", "429"), ("POST /files", "drop"), ("POST /files", "500"), ("GET /files/*", "500"),
    ("POST /files", "drop_after"), ("POST /files", "500_after"),
    ("POST /fine_tuning/jobs", "429"), ("POST /fine_tuning/jobs", "500_after"),
    ("POST /fine_tuning/jobs", "drop_after"),
])
def test_transient_faults_give_one_file_and_one_job(provider, fake_openai, chat_file, store, pattern, kind):
    fake_openai.inject(pattern, kind, times=1)
    job = launch(config(chat_file), store=store, provider=provider)
    assert [j.remote_id for j in store.list_jobs()] == remote_ids(fake_openai) == [job.remote_id]
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1 + (kind == "429" and "jobs" in pattern)
    stored = [f for f in fake_openai.state.files.values() if f["purpose"] == "fine-tune"]
    assert [f["id"] for f in stored] == [fake_openai.jobs()[0]["training_file"]], "one upload, one stored file"
    assert job.status is JobStatus.VALIDATING_FILES and prepared_left() == []


def test_a_create_slower_than_its_timeout_is_waited_for_not_sent_again(provider, fake_openai, chat_file, store,
                                                                      monkeypatch):
    """The client gives up after its timeout while the service is still creating the job: the launch looks
    for its key (the request is released once it does) and adopts the job instead of creating a second."""
    short_window(monkeypatch, timeout=0.3, margin=30)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")
    messages = []

    def release_when_checking(progress):
        messages.append(progress.message)
        if "checking whether it was created" in progress.message:
            fake_openai.release()

    job = launch(config(chat_file), store=store, provider=provider, progress=release_when_checking)
    assert any("OpenAI did not confirm the job" in m for m in messages)
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1
    assert [j.remote_id for j in store.list_jobs()] == remote_ids(fake_openai) == [job.remote_id]
    assert job.status is JobStatus.VALIDATING_FILES and job.metadata[LAUNCH_KEY]


def test_a_job_still_unconfirmed_after_the_window_stays_creating_and_is_adopted_later(provider, fake_openai,
                                                                                        chat_file, store, monkeypatch):
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")
    with pytest.raises(Unconfirmed) as caught:
        launch(config(chat_file), store=store, provider=provider)
    sentence = str(caught.value)
    assert "OpenAI did not answer in time" in sentence and "The job may exist" in sentence
    assert "keeps checking" in sentence and "Launching it again is safe" in sentence
    assert "Try again in a few minutes" not in sentence
    [pending] = store.list_jobs()
    assert pending.status is JobStatus.CREATING and pending.remote_id is None
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1 and prepared_left() == []
    fake_openai.release()  # the service finishes the request the client gave up on
    assert fake_openai.wait_until(lambda: len(fake_openai.jobs()) == 1)
    [adopted] = reconcile_pending(store, open_provider=lambda kind, account_id: provider)
    assert adopted.id == pending.id and adopted.remote_id == remote_ids(fake_openai)[0]
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1


def test_a_lost_answer_that_cannot_be_checked_says_so_and_the_retry_adopts(provider, fake_openai, chat_file, store,
                                                                         monkeypatch):
    """A 5xx after the job was created, and the search for its key fails too: the message says the job may
    exist (no "try again"); launching the same job again finds it and sends nothing."""
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "500_after")
    fake_openai.inject("GET /fine_tuning/jobs", "500", times=1000)
    with pytest.raises(Unconfirmed) as caught:
        launch(config(chat_file, suffix="x"), store=store, provider=provider)
    sentence = str(caught.value)
    assert "HTTP 500" in sentence and "could not be asked either" in sentence
    assert "The job may exist" in sentence and "Try again in a few minutes" not in sentence
    assert len(fake_openai.jobs()) == 1 and store.list_jobs()[0].status is JobStatus.CREATING
    fake_openai.clear_faults()
    uploads = fake_openai.count("POST", "/files")
    job = launch(config(chat_file, suffix="x"), store=store, provider=provider)
    assert [j.remote_id for j in store.list_jobs()] == remote_ids(fake_openai) == [job.remote_id]
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1 and fake_openai.count("POST", "/files") == uploads
    # Handed back once: launching the same configuration again now is a new job.
    again = launch(config(chat_file, suffix="x"), store=store, provider=provider)
    assert again.id != job.id and len(fake_openai.jobs()) == 2


def test_a_retry_sends_nothing_while_the_first_try_may_be_in_flight(provider, fake_openai, chat_file, store,
                                                                   monkeypatch):
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")
    with pytest.raises(Unconfirmed):
        launch(config(chat_file), store=store, provider=provider)
    short_window(monkeypatch, margin=600)  # as if the first request could still land for ten minutes
    with pytest.raises(Unconfirmed) as caught:
        launch(config(chat_file), store=store, provider=provider)
    assert "may still be under way" in str(caught.value) and "Nothing was sent again" in str(caught.value)
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1
    fake_openai.release()
    assert fake_openai.wait_until(lambda: len(fake_openai.jobs()) == 1)
    job = launch(config(chat_file), store=store, provider=provider)
    assert [j.remote_id for j in store.list_jobs()] == remote_ids(fake_openai) == [job.remote_id]


def test_the_monitor_adopts_an_unconfirmed_launch_and_the_retry_hands_it_back(provider, fake_openai, chat_file,
                                                                            store, monkeypatch):
    from backend.monitor import Monitor

    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "drop_after")
    fake_openai.inject("GET /fine_tuning/jobs", "500", times=1000)
    with pytest.raises(Unconfirmed):
        launch(config(chat_file), store=store, provider=provider)
    fake_openai.clear_faults()
    monitor = Monitor(store, open_provider=lambda kind, account_id: provider)
    monitor.load()
    [result] = monitor.tick()
    assert result.job.remote_id == remote_ids(fake_openai)[0] and result.job.status is JobStatus.VALIDATING_FILES
    job = launch(config(chat_file), store=store, provider=provider)  # the user's retry: no second job
    assert job.id == result.job.id and len(fake_openai.jobs()) == 1


def test_a_create_that_never_landed_is_sent_again_by_the_retry_with_the_same_key(provider, fake_openai, chat_file,
                                                                                store, monkeypatch):
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "drop")  # dropped before the service did anything
    with pytest.raises(Unconfirmed):
        launch(config(chat_file), store=store, provider=provider)
    [pending] = store.list_jobs()
    job = launch(config(chat_file), store=store, provider=provider)
    assert job.id == pending.id and fake_openai.count("POST", "/fine_tuning/jobs") == 2
    assert remote_ids(fake_openai) == [job.remote_id]
    assert fake_openai.jobs()[0]["metadata"][LAUNCH_KEY] == pending.metadata[LAUNCH_KEY]


def test_every_remote_job_with_the_launch_key_is_tracked_and_the_user_told(provider, account, fake_openai,
                                                                          openai_client, store):
    from tests.monitor.conftest import launch_remote

    first = launch_remote(openai_client, metadata={LAUNCH_KEY: "k-1"})
    second = launch_remote(openai_client, metadata={LAUNCH_KEY: "k-1"})
    pending = store.save_job(Job(provider=ProviderKind.OPENAI, name="Twice", status=JobStatus.CREATING,
                                 metadata={LAUNCH_KEY: "k-1"}))
    changed = reconcile_pending(store, open_provider=lambda kind, account_id: provider)
    assert [j.remote_id for j in changed] == [first, second] and changed[0].id == pending.id
    assert sorted(j.remote_id for j in store.list_jobs()) == sorted([first, second])
    for job in changed:
        note = duplicates_note(store, job)
        assert f"One launch created 2 jobs on OpenAI ({first}, {second}); each is billed" in note
    assert reconcile_pending(store, open_provider=lambda kind, account_id: provider) == []
    assert len(store.list_jobs()) == 2


def test_a_lasting_outage_is_surfaced_and_settled_later(provider, fake_openai, chat_file, store, monkeypatch):
    short_window(monkeypatch)
    fake_openai.inject("POST /fine_tuning/jobs", "500", times=10)  # refused before anything was created
    with pytest.raises(Unconfirmed):
        launch(config(chat_file), store=store, provider=provider)
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1, "an unknown outcome is never sent again"
    pending = store.list_jobs(status=[JobStatus.CREATING])
    assert len(pending) == 1 and fake_openai.jobs() == []
    assert reconcile_pending(store, open_provider=lambda kind, account_id: provider) == []  # maybe still going
    changed = reconcile_pending(store, open_provider=lambda kind, account_id: provider, grace_seconds=0)
    assert [j.status for j in changed] == [JobStatus.FAILED] and "interrupted" in changed[0].error


def test_a_refused_or_broken_launch_leaves_no_copy_of_the_data(provider, fake_openai, chat_file, store, tmp_path):
    fake_openai.refuse_job_creation()
    with pytest.raises(Refused):
        launch(config(chat_file), store=store, provider=provider)
    assert prepared_left() == []
    fake_openai.inject("POST /files", "500", times=10)
    with pytest.raises(NetworkError):
        launch(config(write_jsonl(tmp_path / "other.jsonl", chats(12))), store=store, provider=provider)
    assert prepared_left() == []


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
