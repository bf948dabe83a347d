"""Fixtures for Hugging Face (cloud) training: the fake Hub with Jobs, a saved account, a quick configuration."""

from __future__ import annotations

import pytest

from backend.providers.hf_jobs_stream import _followers

from backend.models import Account, AccountKind, ProviderKind, TrainingConfig
from tests.fakes.hub import GOOD_TOKEN, FakeHub
from tests.local.conftest import QUICK, write_jsonl
from tests.tiny_model import sample_chats


@pytest.fixture
def cloud(tiny_model_dir, monkeypatch):
    """The fake Hub (serving the tiny model as ``org/tiny``, running jobs for real) and a saved account for it."""
    from huggingface_hub import constants

    from backend import accounts

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the Hub client talks only to 127.0.0.1
    with FakeHub(tiny_model_dir) as hub:
        hub.account = accounts.save_account(Account(name="Hub", kind=AccountKind.HUGGINGFACE, endpoint=hub.url),
                                            GOOD_TOKEN)
        yield hub


def cloud_config(account_id: str, data, **options) -> TrainingConfig:
    return TrainingConfig(provider=ProviderKind.HF_JOBS, account_id=account_id, base_model="org/tiny",
                          training_file=str(data), options={**QUICK, "flavor": "cpu-basic", **options})


@pytest.fixture
def chats(tmp_path):
    return write_jsonl(tmp_path / "chats.jsonl", sample_chats(40))


def settle(provider, job, hub):
    """The job once the fake's process has ended and its whole log is mirrored."""
    hub.jobs.wait(job.remote_id)
    job = provider.get_job(job)
    follower = _followers.get((job.id, job.remote_id))
    if follower is not None:
        follower.ended.wait(60)
    provider._asked.clear()
    return provider.get_job(job)
