"""AutoTrain on Hugging Face Jobs: the trainer choice runs AutoTrain's published image through the same Jobs
provider. The image cannot run here, so the fake Hub runs its ``/app/env/bin`` programs from the cached isolated
AutoTrain environment: the real ``autotrain --config`` trains the tiny model, offline, against the fake Hub."""

from __future__ import annotations

import json

import pytest
import yaml

from backend import accounts
from backend.autotrain.start import stage_model
from backend.cli import run
from backend.models import Account, AccountKind, JobStatus, ProviderKind
from backend.providers import hf_jobs_autotrain, open_provider
from backend.store import JobStore
from tests.autotrain.test_autotrain_run import autotrain_env  # noqa: F401 - the cached AutoTrain environment
from tests.fakes.hub import GOOD_TOKEN, FakeHub
from tests.hfjobs.conftest import settle
from tests.local.conftest import write_jsonl
from tests.tiny_model import sample_chats


@pytest.fixture
def hub(tiny_model_dir, tmp_path, monkeypatch, autotrain_env):  # noqa: F811
    """The fake Hub serving the tiny model as ``org/tiny`` in a form AutoTrain's transformers 4.48 reads (as a Hub
    model saved by an earlier transformers is), running jobs for real."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("FTS_AUTOTRAIN_ENV", str(autotrain_env))
    staged = stage_model(tiny_model_dir, tmp_path / "tiny-for-autotrain")
    with FakeHub(staged) as fake:
        fake.account = accounts.save_account(Account(name="Hub", kind=AccountKind.HUGGINGFACE, endpoint=fake.url),
                                             GOOD_TOKEN)
        yield fake


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_autotrain_on_jobs_trains_with_its_image_fills_the_chart_and_pushes_the_adapter(hub, tmp_path):
    data = write_jsonl(tmp_path / "chats.jsonl", sample_chats(16))
    # launched as a user would from the command line: the trainer is an option of the Jobs provider
    assert run(["jobs", "create", "--provider", "hf-jobs", "--account", "Hub", "--model", "org/tiny",
                "--data", str(data), "--flavor", "cpu-basic", "--epochs", "2", "--batch-size", "4",
                "--option", "trainer=autotrain", "--option", "max_length=64",
                "--option", "gradient_accumulation_steps=1", "--option", "learning_rate=0.001"]) == 0
    store = JobStore()
    [job] = store.list_jobs()
    assert job.provider is ProviderKind.HF_JOBS and job.config["options"]["trainer"] == "autotrain"
    provider = open_provider(job.provider, job.account_id)
    spec = hub.jobs.created[0]
    # AutoTrain's published image, its own CLI, the token only as a secret; the Jobs provider's flavor and price
    assert spec["dockerImage"] == "huggingface/autotrain-advanced:latest" == hf_jobs_autotrain.IMAGE
    assert spec["command"][0] == "/app/env/bin/python" and "autotrain\"), \"--config\"" in spec["command"][2]
    assert spec["secrets"] == {"HF_TOKEN": hub.token} and hub.token not in json.dumps(spec["environment"])
    assert spec["flavor"] == "cpu-basic"
    data_repo = job.metadata["data_repo"]
    uploaded = yaml.safe_load(hub.datasets[data_repo]["autotrain/config.yml"])
    assert uploaded["task"] == "llm-sft" and uploaded["base_model"] == "org/tiny" and uploaded["data"]["path"] == "data"
    assert uploaded["params"]["block_size"] == 64 and "autotrain/data/train.jsonl" in hub.datasets[data_repo]
    assert data_repo in hub.private

    job = settle(provider, job, hub)
    log = "\n".join(line["data"] for line in hub.jobs.jobs[job.remote_id].lines)
    assert job.status is JobStatus.SUCCEEDED, (job.error, log[-3000:])
    assert "on_log" in log and "FTS-EVENT" not in log  # AutoTrain's own log, read on the app's side
    # the chart: AutoTrain's loss lines became the same events and metrics a local run has
    events = provider.list_events(job)
    types = [e.type for e in events]
    assert "phase" in types and types.count("log") >= 2, types
    points = provider.metrics(job)
    assert len([p for p in points if p.train_loss is not None]) >= 2 and points[-1].step >= 2
    assert job.step and job.total_steps and job.step == job.total_steps, (job.step, job.total_steps, log[-6000:])
    assert float(job.metadata["cost_usd"]) > 0 and job.metadata["price_per_hour"]
    facts = provider.job_facts(job)
    assert facts[0].startswith("Cost so far: $") and facts[-1].startswith("Trainer: AutoTrain Advanced")
    # AutoTrain pushed the adapter to the private model repo; the app records it as the run's model
    output = job.metadata["output_repo"]
    assert job.fine_tuned_model == output and hub.created[output].get("private") is True
    pushed = hub.uploaded[output]
    assert "adapter_model.safetensors" in pushed
    assert json.loads(pushed["adapter_config.json"])["base_model_name_or_path"] == "org/tiny"
    assert [r.model for r in provider.job_models(job)][0] == output
    # a replayed log (a restarted app) doubles nothing
    before = len(provider.list_events(job))
    from backend.providers.hf_jobs_stream import Mirror

    mirror = Mirror.at(job.run_dir)
    reader = mirror.autotrain_reader(job.remote_id, 1)
    for line in log.splitlines():
        mirror.ingest(job.remote_id, line, reader)
    assert len(provider.list_events(job)) == before
    store.close()

