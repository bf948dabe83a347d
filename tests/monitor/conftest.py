"""Fixtures for the monitor's tests: an OpenAI account on the fake service, and jobs launched there."""

from __future__ import annotations

import io
import json

import pytest

from backend.models import Account, AccountKind, Job, JobStatus, ProviderKind


@pytest.fixture
def account(fake_openai):
    """A saved account for the fake (its key in the test session's keyring)."""
    from backend import accounts, credentials

    account = accounts.save_account(Account(name="Fake OpenAI", kind=AccountKind.OPENAI,
                                            base_url=fake_openai.base_url), fake_openai.api_key)
    yield account
    credentials.delete_secret(account.id)


def launch_remote(client, *, suffix: str = "monitor", validation: bool = True, metadata: dict | None = None) -> str:
    """Create a job on the fake through the SDK (as another app would); returns its id."""
    rows = "".join(json.dumps({"messages": [{"role": "user", "content": f"q{i}"},
                                            {"role": "assistant", "content": f"a{i}"}]}) + "\n" for i in range(12))
    training = client.files.create(file=("train.jsonl", io.BytesIO(rows.encode())), purpose="fine-tune")
    client.files.retrieve(training.id)  # the fake processes a file on its first retrieve
    extra = {}
    if validation:
        valid = client.files.create(file=("valid.jsonl", io.BytesIO(rows.encode())), purpose="fine-tune")
        client.files.retrieve(valid.id)
        extra["validation_file"] = valid.id
    if metadata:
        extra["metadata"] = metadata
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id, suffix=suffix,
                                         **extra)
    return job.id


@pytest.fixture
def store():
    from backend.store import JobStore

    job_store = JobStore()  # in the test's own FTS_HOME, where a new main window finds it too
    yield job_store
    job_store.close()


@pytest.fixture
def launched(store, account, openai_client):
    """Launch a job on the fake and record it in the store as the wizard would; returns a factory."""

    def launch(name: str = "Support bot", **options) -> Job:
        remote_id = launch_remote(openai_client, **options)
        return store.save_job(Job(provider=ProviderKind.OPENAI, account_id=account.id, remote_id=remote_id,
                                  name=name, base_model="gpt-4o-mini-2024-07-18", status=JobStatus.VALIDATING_FILES,
                                  config={"hyperparameters": {"n_epochs": 3}}, data_summary={"training_examples": 12}))

    return launch
