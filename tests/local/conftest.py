"""Fixtures for local training: small data files and short runs of the tiny model in a child process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.models import Job, JobStatus, ProviderKind, TrainingConfig
from backend.providers.hf_local import LocalProvider
from backend.training import process
from tests.tiny_model import sample_chats

# Short sequences, few steps: each run takes seconds on two CPU cores.
QUICK = {"max_steps": 6, "save_steps": 3, "max_length": 48, "batch_size": 4, "gradient_accumulation_steps": 1}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def distinct_chats(n: int = 40) -> list[dict]:
    """``n`` chats no two of which are equal (``sample_chats`` repeats its few questions)."""
    chats = sample_chats(n)
    for i, chat in enumerate(chats):
        first = chat["messages"][0]
        chat["messages"][0] = {**first, "content": f"{first['content']} ({i + 1})"}
    return chats


def preference_rows(n: int = 24) -> list[dict]:
    rows = []
    for chat in sample_chats(n):
        *prompt, answer = chat["messages"]
        rows.append({"prompt": prompt, "chosen": [answer],
                     "rejected": [{"role": "assistant", "content": "I do not know."}]})
    return rows


@pytest.fixture
def chats_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "chats.jsonl", sample_chats(40))


@pytest.fixture
def prefs_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "prefs.jsonl", preference_rows())


def quick_config(model: Path | str, data: Path, *, method: str = "supervised", **options) -> TrainingConfig:
    return TrainingConfig(provider=ProviderKind.HF_LOCAL, base_model=str(model), training_file=str(data),
                          method=method, options={**QUICK, **options})


def launch(provider: LocalProvider, config: TrainingConfig) -> Job:
    data = provider.prepare_data(config)
    return provider.create_job(config, data, Job(provider=ProviderKind.HF_LOCAL))


def finish(provider: LocalProvider, job: Job, timeout: float = 240) -> Job:
    """Wait for the trainer process to end (a blocking wait on the process, not a sleep)."""
    assert process.wait(job.run_dir, timeout), "the trainer did not finish in time"
    job = provider.get_job(job)
    assert not job.status.is_active, job.status
    return job


def assert_succeeded(job: Job) -> None:
    assert job.status is JobStatus.SUCCEEDED, job.error
