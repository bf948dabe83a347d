"""Controlling a run: stop and save then resume, stop now, a crashed trainer, and an app killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil
import pytest

from backend.models import Job, JobStatus
from backend.providers.hf_local import LocalProvider
from backend.training import process
from tests.local.conftest import assert_succeeded, finish, launch, quick_config

pytestmark = pytest.mark.slow

# Enough steps that the run is still going when the test acts on it (a few seconds in all).
LONG = {"max_steps": 300, "save_steps": 1000, "max_length": 32, "batch_size": 2, "logging_steps": 1}


def steps_done(provider: LocalProvider, job: Job) -> int:
    return provider.get_job(job).step or 0


def test_stop_and_save_then_resume_continues_from_the_checkpoint(qtbot, tiny_model_dir, chats_file):
    provider = LocalProvider()
    job = launch(provider, quick_config(tiny_model_dir, chats_file, **LONG))
    qtbot.waitUntil(lambda: steps_done(provider, job) >= 3, timeout=120_000)
    provider.stop_and_save(job)
    job = finish(provider, job)
    assert job.status is JobStatus.PAUSED
    saved = provider.list_checkpoints(job)
    assert len(saved) == 1 and 3 <= saved[0].step < 300
    assert job.step == saved[0].step

    job = provider.resume(job)
    assert job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    job = finish(provider, job)
    assert_succeeded(job)
    steps = [p.step for p in provider.metrics(job)]
    assert steps == list(range(1, 301))  # one history across both sessions, no gap, no repeat
    resumed = [e for e in provider.list_events(job) if e.type == "phase" and e.data.get("phase") == "training"]
    assert [e.data["step"] for e in resumed] == [0, saved[0].step]


def test_stop_now_ends_the_process_and_a_crash_is_reported_as_failed(qtbot, tiny_model_dir, chats_file):
    provider = LocalProvider()
    stopped = launch(provider, quick_config(tiny_model_dir, chats_file, **LONG))
    crashed = launch(provider, quick_config(tiny_model_dir, chats_file, **LONG))
    qtbot.waitUntil(lambda: steps_done(provider, stopped) >= 1 and steps_done(provider, crashed) >= 1,
                    timeout=180_000)
    stopped = provider.cancel(stopped)
    assert stopped.status is JobStatus.CANCELLED and not process.is_running(stopped.run_dir)
    process.find(crashed.run_dir).send_signal(signal.SIGKILL)  # as the kernel's OOM killer would
    crashed = finish(provider, crashed)
    assert crashed.status is JobStatus.FAILED
    assert "ended unexpectedly" in crashed.error


_APP = """
import json, sys, time
from backend.models import Job, ProviderKind, TrainingConfig
from backend.providers.hf_local import LocalProvider
provider = LocalProvider()
config = TrainingConfig.model_validate_json(sys.argv[1])
job = provider.create_job(config, provider.prepare_data(config), Job(provider=ProviderKind.HF_LOCAL))
open(sys.argv[2], "w").write(job.model_dump_json())
time.sleep(3600)  # the app keeps running until the test kills it
"""


def test_trainer_survives_the_app_being_killed_and_a_new_app_reattaches(qtbot, tiny_model_dir, chats_file, tmp_path):
    config = quick_config(tiny_model_dir, chats_file, **LONG)
    job_file = tmp_path / "job.json"
    app = subprocess.Popen([sys.executable, "-c", _APP, config.model_dump_json(), str(job_file)],
                           cwd=os.getcwd(), env=dict(os.environ, PYTHONPATH=os.getcwd()))
    try:
        qtbot.waitUntil(lambda: job_file.exists() and job_file.stat().st_size > 0, timeout=120_000)
        job = Job.model_validate_json(job_file.read_text())
        provider = LocalProvider()  # the new app: knows nothing but the job record
        qtbot.waitUntil(lambda: steps_done(provider, job) >= 2, timeout=120_000)
        os.kill(app.pid, signal.SIGKILL)
        app.wait()
        trainer = process.find(job.run_dir)
        assert trainer is not None and trainer.pid != app.pid and psutil.pid_exists(trainer.pid)
        assert LocalProvider().get_job(job).status is JobStatus.RUNNING
    finally:
        app.kill()
        app.wait()
    reattached = LocalProvider()
    job = finish(reattached, job)
    assert_succeeded(job)
    assert [p.step for p in reattached.metrics(job)] == list(range(1, 301))
    assert json.loads((tmp_path / "job.json").read_text())["run_dir"] == job.run_dir
