"""Jobs keep running without the app: a restarted app catches up on the log it missed (no event twice), and jobs
started elsewhere on the account are imported (read-only where the app cannot read their log)."""

from __future__ import annotations

import os
import subprocess
import sys

from backend.models import Job, JobStatus
from backend.monitor_sync import import_jobs
from backend.providers import open_provider
from backend.providers.hf_jobs_stream import mirror_dir
from backend.store import JobStore
from tests.fakes.hub_jobs import EMITTER
from tests.hfjobs.conftest import cloud_config

FIRST_APP = """\
import sys, time
from backend.models import Job
from backend.providers import open_provider
job = Job.model_validate_json(sys.argv[1])
provider = open_provider(job.provider, job.account_id)
deadline = time.time() + 60
while len(provider.list_events(provider.get_job(job))) < 5 and time.time() < deadline:
    time.sleep(0.05)
print(len(provider.list_events(job)), flush=True)
"""


def _provider(cloud):
    return open_provider(cloud_config(cloud.account.id, "unused").provider, cloud.account.id)


def _emitting(provider, **env):
    """A job on the fake Hub that prints metric events (no training), as the app would have started it."""
    return provider.api().run_job(image="python:3.12", command=["python", "-c", EMITTER], flavor="cpu-basic",
                                  env={k: str(v) for k, v in env.items()}, namespace="alice",
                                  labels={"fts_job": env.pop("_id", "x")} if "_id" in env else None)


def test_a_restarted_app_catches_up_on_the_log_it_missed_without_duplicates(cloud, tmp_path):
    provider = _provider(cloud)
    gate = tmp_path / "gate"
    info = _emitting(provider, FTS_LINES=10, FTS_GATE=gate)
    job = Job(id="run-1", provider=provider.kind, account_id=cloud.account.id, remote_id=info.id,
              run_dir=str(mirror_dir("run-1")), metadata={"namespace": "alice", "price_per_hour": "0.01"})
    # the first app follows the log for half the run, then quits while the job goes on
    first = subprocess.run([sys.executable, "-c", FIRST_APP, job.model_dump_json()], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "0"})
    assert first.stdout.strip() == "5", first.stderr[-2000:]
    gate.touch()
    assert cloud.jobs.wait(info.id) == "COMPLETED"
    # the app starts again: a new provider (a new follower) replays the whole log into the same mirror
    again = open_provider(provider.kind, cloud.account.id)
    job = again.get_job(job)
    from backend.providers.hf_jobs_stream import _followers

    _followers[(job.id, info.id)].ended.wait(30)
    assert [p.step for p in again.metrics(job)] == list(range(1, 11))  # each once, in order
    job = again.get_job(job)
    assert job.status is JobStatus.SUCCEEDED and job.step == 10 and float(job.metadata["cost_usd"]) >= 0


def test_import_lists_each_run_once_and_jobs_started_elsewhere_read_only(cloud):
    provider = _provider(cloud)
    foreign = provider.api().run_job(image="python:3.12", command=["python", "-c", "print('hello')"],
                                     flavor="t4-small", namespace="alice")
    ours = [_emitting(provider, FTS_LINES=2, _id="run-2") for _ in range(2)]  # a run and its resumed job
    for remote in (foreign, *ours):
        cloud.jobs.wait(remote.id)
    store = JobStore()
    try:
        # the app's record of the resumed run: importing must neither add the first remote job nor overwrite it
        store.save_job(Job(id="run-2", provider=provider.kind, account_id=cloud.account.id, remote_id=ours[1].id,
                           name="my run", run_dir=str(mirror_dir("run-2"))))
        listed = {j.remote_id: j for j in provider.list_jobs()}
        assert set(listed) == {foreign.id, ours[1].id}
        assert listed[ours[1].id].metadata["remote_jobs"] == f"{ours[0].id},{ours[1].id}"
        added = import_jobs(store, provider)
        assert [j.remote_id for j in added] == [foreign.id]
        imported = added[0]
        assert imported.metadata["read_only"] == "1" and imported.run_dir is None
        assert imported.status is JobStatus.SUCCEEDED and imported.metadata["flavor"] == "t4-small"
        assert provider.list_events(imported) == [] and provider.metrics(imported) == []
        assert float(imported.metadata["cost_usd"]) >= 0  # priced from the flavor's live price
        assert store.get_job("run-2").name == "my run" and store.get_job("run-2").remote_id == ours[1].id
    finally:
        store.close()
