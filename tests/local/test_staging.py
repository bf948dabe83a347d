"""The wizard's data choices reach local training: duplicates and invalid examples left out, counted and reported."""

from __future__ import annotations

import pytest

from backend.errors import InvalidInput
from backend.models import Job, JobStatus, ProviderKind
from backend.providers.hf_local import LocalProvider
from backend.training import events as ev
from backend.training import process
from backend.training.data import stage_data
from backend.training.defaults import resolve
from backend.training.hardware import model_facts
from tests.local.conftest import distinct_chats, quick_config, write_jsonl
from tests.local.test_settings import CPU


@pytest.fixture
def messy_file(tmp_path):
    """40 chats, one of them twice, and one line that is not JSON (line 42)."""
    chats = distinct_chats(40)
    path = write_jsonl(tmp_path / "messy.jsonl", [*chats, chats[3]])
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"messages": [\n')
    return path


def test_the_data_page_options_are_accepted_by_the_planner(tiny_model_dir):
    config = quick_config(tiny_model_dir, "t.jsonl", dedupe=True, drop_invalid=False)
    plan = resolve(config, model_facts(tiny_model_dir), CPU, examples=40, tokens=2000)
    assert plan.settings.max_steps == 6
    with pytest.raises(InvalidInput, match="Unknown local training option.*dedup") as caught:
        resolve(quick_config(tiny_model_dir, "t.jsonl", dedup=True), model_facts(tiny_model_dir), CPU)
    assert "dedupe" in caught.value.hint and "drop_invalid" in caught.value.hint


def test_without_the_options_an_invalid_line_is_refused_and_duplicates_are_kept(tmp_path, tiny_model_dir, messy_file):
    with pytest.raises(InvalidInput, match="messy.jsonl"):
        stage_data(quick_config(tiny_model_dir, messy_file), tmp_path / "a", profile=LocalProvider.data)
    clean = write_jsonl(tmp_path / "dup.jsonl", [*distinct_chats(40), distinct_chats(40)[0]])
    refs = stage_data(quick_config(tiny_model_dir, clean), tmp_path / "b", profile=LocalProvider.data)
    assert refs.summary["examples"] == 41
    assert "dropped_duplicates" not in refs.summary and "dropped_invalid" not in refs.summary


def test_dedupe_and_drop_invalid_are_counted_in_the_summary_and_the_runs_events(tiny_model_dir, messy_file):
    provider = LocalProvider()
    config = quick_config(tiny_model_dir, messy_file, dedupe=True, drop_invalid=True)
    data = provider.prepare_data(config)
    assert data.summary["examples"] == 40
    assert data.summary["dropped_duplicates"] == 1 and data.summary["dropped_invalid"] == 1
    with open(data.training, encoding="utf-8") as file:
        assert len(file.readlines()) == 40
    job = provider.create_job(config, data, Job(provider=ProviderKind.HF_LOCAL))
    try:
        notes = [e for e in provider.list_events(job) if e.type == ev.DATA]
        assert len(notes) == 1
        assert "40 training" in notes[0].message and "1 exact duplicate and 1 invalid example" in notes[0].message
        assert job.data_summary["dropped_duplicates"] == 1
    finally:
        provider.cancel(job)  # the counts are what this test is about, not the training
        assert process.wait(job.run_dir, 30)
    assert provider.get_job(job).status in (JobStatus.CANCELLED, JobStatus.FAILED)
