"""Controlling a cloud run: cancel (the trainer saves and pushes a checkpoint), resume from the last pushed
checkpoint as a new remote job linked to the first, and a budget that stops the run and says so."""

from __future__ import annotations

import pytest

from backend.launch import launch
from backend.models import JobStatus
from backend.providers import open_provider
from backend.providers.hf_jobs_stream import Mirror
from backend.store import JobStore
from backend.training.events import read_events
from tests.hfjobs.conftest import cloud_config, settle

# Enough steps that the run is still going when the test acts on it; a checkpoint every few steps.
LONG = {"max_steps": 400, "save_steps": 2, "max_length": 32, "batch_size": 2, "logging_steps": 1}


def _pushed_checkpoint(provider, job) -> bool:
    provider.get_job(job)
    return any(p.get("path", "").startswith("checkpoints/") for p in Mirror(job.run_dir).pushed())


@pytest.mark.slow
def test_cancel_then_resume_from_the_pushed_checkpoint_then_a_budget_stop(qtbot, cloud, chats):
    store = JobStore()
    job = launch(cloud_config(cloud.account.id, chats, **LONG), store=store)
    provider = open_provider(job.provider, job.account_id)
    first = job.remote_id
    qtbot.waitUntil(lambda: _pushed_checkpoint(provider, job), timeout=180_000)

    job = provider.cancel(job)
    assert cloud.requests.count(("POST", f"/api/jobs/alice/{first}/cancel")) == 1
    job = settle(provider, job, cloud)
    assert job.status is JobStatus.CANCELLED, job.error
    steps = [c.step for c in provider.list_checkpoints(job)]
    assert steps and steps == sorted(steps)
    cost = float(job.metadata["cost_usd"])
    assert cost > 0

    job = provider.resume(job)
    second = job.remote_id
    assert second != first and job.metadata["remote_jobs"] == f"{first},{second}"
    assert cloud.jobs.created[-1]["environment"]["FTS_RESUME_STEP"] == str(max(steps))
    assert job.metadata["output_repo"] == cloud.jobs.created[0]["environment"]["FTS_OUTPUT_REPO"]
    qtbot.waitUntil(lambda: (provider.get_job(job).step or 0) > max(steps), timeout=180_000)

    # the budget: the spend so far (both remote jobs) reaches it, so the next check cancels and says so
    provider._asked.clear()
    job = provider.get_job(job)
    budgeted = job.model_copy(update={"metadata": {**job.metadata, "budget_usd": job.metadata["cost_usd"]}})
    provider._asked.clear()
    stopped = provider.get_job(budgeted)
    assert stopped.metadata["budget_stopped"] == "1"
    assert cloud.requests.count(("POST", f"/api/jobs/alice/{second}/cancel")) == 1
    assert float(stopped.metadata["cost_usd"]) > cost  # what the first remote job cost stays in the cost
    provider._asked.clear()
    provider.get_job(stopped)  # a later check cancels nothing again
    assert cloud.requests.count(("POST", f"/api/jobs/alice/{second}/cancel")) == 1
    job = settle(provider, stopped, cloud)
    assert job.status is JobStatus.CANCELLED
    events = provider.list_events(job)
    said = [e.message for e in events if e.type == "warning" and e.message.startswith("Stopped by the budget")]
    assert len(said) == 1 and "resume to go on" in said[0]
    mirrored = [e.seq for e in read_events(Mirror(job.run_dir).folder.events)]
    assert mirrored == list(range(len(mirrored))) and len({e.id for e in events}) == len(events)  # one history
    resumed = [e for e in events if e.type == "phase" and "Resuming from the checkpoint" in e.message]
    assert len(resumed) == 1
    store.close()
