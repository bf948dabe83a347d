"""What Hugging Face (cloud) says when the Hub refuses: each a sentence, and no job record left running."""

from __future__ import annotations

import pytest

from backend import accounts
from backend.errors import CredentialsError, InvalidInput, Refused
from backend.launch import launch
from backend.models import JobStatus
from backend.store import JobStore
from tests.hfjobs.conftest import cloud_config


def _refused(cloud, chats, **options):
    store = JobStore()
    try:
        with pytest.raises((Refused, CredentialsError)) as refused:
            launch(cloud_config(cloud.account.id, chats, **options), store=store)
        return str(refused.value), store.list_jobs()
    finally:
        store.close()


def test_a_flavor_the_account_may_not_use_is_named(cloud, chats):
    cloud.jobs.allowed = {"cpu-basic"}
    said, jobs = _refused(cloud, chats, flavor="h200")
    assert said.startswith("Your Hugging Face account may not use the hardware “h200”: The flavor h200 is not available")
    assert [j.status for j in jobs] == [JobStatus.FAILED] and not cloud.jobs.jobs


def test_a_quota_error_says_so(cloud, chats):
    cloud.jobs.quota_error = "You have reached your monthly Jobs quota."
    said, _jobs = _refused(cloud, chats)
    assert "You have reached your monthly Jobs quota." in said and not cloud.jobs.jobs


def test_a_refused_token_names_the_account(cloud, chats):
    accounts.save_account(cloud.account, "hf_" + "x" * 34)
    said, jobs = _refused(cloud, chats)
    assert said.startswith("Hugging Face refused the token of the account “Hub”"), said
    assert jobs == [] and not cloud.jobs.jobs  # refused before any upload or record


def test_the_command_line_refuses_cloud_flags_for_local_training(tiny_model_dir, chats):
    from argparse import Namespace

    from backend.cli.jobs_create import _rented

    args = Namespace(provider="hf-local", flavor="a10g-small", timeout=None, budget=None)
    with pytest.raises(InvalidInput, match="--flavor apply only to training on rented hardware"):
        _rented(args)
    args = Namespace(provider="hf-jobs", flavor="a10g-small", timeout="90m", budget=2.5)
    assert _rented(args) == {"flavor": "a10g-small", "timeout_seconds": 5400, "budget_usd": 2.5}
