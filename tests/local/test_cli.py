"""``jobs create --provider hf-local``: the command line launches, follows and finishes a local run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.store import JobStore

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
    final = out.stdout.split("Fine-tuned model: ")[1].strip()
    assert (Path(final) / "adapter_config.json").exists()
    store = JobStore()
    try:
        [job] = store.list_jobs()
        assert job.status.value == "succeeded" and job.run_dir and final.startswith(job.run_dir)
        assert job.config["local_settings"]["lora_r"] == 4 and job.data_summary["validation_examples"] == 8
    finally:
        store.close()
