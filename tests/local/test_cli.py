"""``jobs create --provider hf-local``: the command line launches, follows and finishes a local run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import run
from backend.models import JobStatus
from backend.providers.hf_local import LocalProvider
from backend.store import JobStore
from backend.training import process

pytestmark = pytest.mark.slow


def test_jobs_create_trains_locally_and_waits_for_the_model(tiny_model_dir, chats_file, isolated_home):
    command = [sys.executable, "main.py", "jobs", "create", "--provider", "hf-local", "--data", str(chats_file),
               "--model", str(tiny_model_dir), "--split", "0.2", "--option", "max_steps=4",
               "--option", "max_length=48", "--option", "adapter=\"lora\"", "--option", "lora_r=4",
               "--wait", "--poll", "0.5"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, env=dict(os.environ),
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "on Hugging Face (this computer): queued" in out.stdout
    assert "Training finished" in out.stdout and "validation loss" in out.stdout
    final = out.stdout.split("\nModel: ")[1].strip()  # follow()'s last line (it read "Fine-tuned model:" until 9529319)
    assert (Path(final) / "adapter_config.json").exists()
    store = JobStore()
    try:
        [job] = store.list_jobs()
        assert job.status.value == "succeeded" and job.run_dir and final.startswith(job.run_dir)
        assert job.config["local_settings"]["lora_r"] == 4 and job.data_summary["validation_examples"] == 8
    finally:
        store.close()


def listed(capsys, job_id: str) -> tuple[str, str]:
    """The status and progress ``jobs list`` shows for one job."""
    assert run(["jobs", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(job_id[:10]))
    _id, _provider, status, progress, *_rest = line.split()
    return status, progress


def test_list_stop_and_save_and_resume_a_local_run_from_the_command_line(qtbot, tiny_model_dir, chats_file, capsys):
    """Nothing else polls here (no window, no watch): what ``jobs list`` shows comes from the run's folder."""
    assert run(["jobs", "create", "--provider", "hf-local", "--data", str(chats_file), "--model", str(tiny_model_dir),
                "--option", "max_steps=120", "--option", "save_steps=1000", "--option", "max_length=32",
                "--option", "batch_size=2"]) == 0
    capsys.readouterr()
    store = JobStore()
    [job] = store.list_jobs()
    assert job.status is JobStatus.QUEUED and not job.step  # as recorded at launch
    provider = LocalProvider()
    qtbot.waitUntil(lambda: (provider.get_job(job).step or 0) >= 3, timeout=120_000)
    status, progress = listed(capsys, job.id)
    assert status == "running" and progress.endswith("%") and progress != "0%"
    assert store.get_job(job.id).step >= 3

    assert run(["jobs", "stop-and-save", job.id[:8]]) == 0
    assert capsys.readouterr().out.startswith("Stop requested: the trainer saves a checkpoint at its next step")
    assert process.wait(job.run_dir, 120)
    status, progress = listed(capsys, job.id)
    stopped = store.get_job(job.id)
    assert status == "paused" and stopped.status is JobStatus.PAUSED
    [checkpoint] = store.checkpoints(job.id)
    assert stopped.step == checkpoint.step and progress == f"{100 * checkpoint.step / 120:.0f}%"

    assert run(["jobs", "resume", job.id[:8]]) == 0
    assert capsys.readouterr().out.split(":")[0] == "Resumed"
    assert store.get_job(job.id).status in (JobStatus.QUEUED, JobStatus.RUNNING)
    assert process.wait(job.run_dir, 240)
    assert listed(capsys, job.id) == ("succeeded", "100%")
    assert run(["jobs", "show", job.id[:8]]) == 0
    assert "succeeded" in capsys.readouterr().out
    assert [p.step for p in store.metrics(job.id)] == list(range(1, 121))  # one history across both sessions


def test_resume_and_stop_and_save_refuse_what_the_run_cannot_do(qtbot, tiny_model_dir, chats_file, capsys):
    assert run(["jobs", "create", "--provider", "hf-local", "--data", str(chats_file), "--model", str(tiny_model_dir),
                "--option", "max_steps=2", "--option", "max_length=32"]) == 0
    [job] = JobStore().list_jobs()
    assert process.wait(job.run_dir, 240)
    capsys.readouterr()
    assert run(["jobs", "stop-and-save", job.id]) == 1
    assert capsys.readouterr().err == "error: This run is not training, so there is nothing to stop.\n"
    assert run(["jobs", "resume", job.id]) == 1
    assert capsys.readouterr().err.startswith("error: This run has finished; there is nothing to resume.")
