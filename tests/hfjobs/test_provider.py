"""Hugging Face (cloud) end to end: the job runs the app's trainer for real on the fake Hub's Jobs."""

from __future__ import annotations

import json

import pytest

from backend.launch import launch
from backend.models import ChatMessage, ChatParams, JobStatus
from backend.providers.base import Chats, LoadsModel
from backend.training.export import ExportRequest
from backend.providers import open_provider
from backend.store import JobStore
from tests.hfjobs.conftest import cloud_config, settle


@pytest.mark.slow
def test_a_cloud_run_trains_through_the_job_log_and_pushes_its_adapter_for_chat_and_export(cloud, chats, tmp_path):
    store = JobStore()
    config = cloud_config(cloud.account.id, chats)
    job = launch(config, store=store)
    provider = open_provider(job.provider, job.account_id)
    assert job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and job.remote_id in cloud.jobs.jobs
    job = settle(provider, job, cloud)
    log = "\n".join(line["data"] for line in cloud.jobs.jobs[job.remote_id].lines)
    assert job.status is JobStatus.SUCCEEDED, (job.error, log[-3000:])
    # the same events, metrics and checkpoints a local run has, read from the log stream
    types = [e.type for e in provider.list_events(job)]
    assert "phase" in types and "log" in types and types[-1] == "finished", types
    points = provider.metrics(job)
    assert points and all(p.train_loss is not None for p in points if p.step)
    output = job.metadata["output_repo"]
    assert job.fine_tuned_model == output and output.startswith("alice/")
    pushed = cloud.uploaded[output]
    assert "adapter_config.json" in pushed and any(p.startswith("checkpoints/checkpoint-3/") for p in pushed)
    assert [c.id for c in provider.list_checkpoints(job)][-1] == "final"
    # data went up once, privately, with the trainer's code; the token travelled only as a secret
    data_repo = job.metadata["data_repo"]
    assert data_repo in cloud.private and "code/backend/training/runner.py" in cloud.datasets[data_repo]
    spec = cloud.jobs.created[0]
    assert spec["secrets"] == {"HF_TOKEN": cloud.token} and cloud.token not in str(spec["environment"])
    assert float(job.metadata["cost_usd"]) > 0
    assert json.loads(pushed["adapter_config.json"])["base_model_name_or_path"] == "org/tiny"
    store.save_job(job)

    # Open in playground: the pushed adapter, downloaded with the account's token, loaded on its base here
    refs = provider.job_models(job)
    assert [r.kind for r in refs][0] == "fine-tuned" and refs[0].model == output
    assert isinstance(provider, LoadsModel) and isinstance(provider, Chats)
    loaded = provider.load(refs[0].model)
    assert loaded.adapter is not None and (loaded.adapter / "adapter_config.json").is_file()
    reply = "".join(provider.chat_stream(refs[0].model, [ChatMessage(role="user", content="Hi")],
                                         ChatParams(max_tokens=4)))
    assert isinstance(reply, str)
    # Export: the local export merges the pushed adapter onto its base
    exported = provider.export(job, ExportRequest(merged_dir=tmp_path / "merged"))
    assert (exported.merged_dir / "config.json").is_file() and not (exported.merged_dir / "adapter_config.json").exists()
    store.close()
