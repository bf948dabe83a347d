"""Bad input gets a sentence that says what is wrong and how to fix it, before or during training."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.errors import InvalidInput, NotFound
from backend.models import DataRefs, Job, JobStatus, ProviderKind
from backend.providers.hf_local import LocalProvider
from backend.training import process
from tests.local.conftest import finish, quick_config, write_jsonl
from tests.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def templateless_model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("no-template"), with_chat_template=False)


def test_missing_model_folder(tmp_path, chats_file):
    config = quick_config(tmp_path / "no-such-model", chats_file)
    with pytest.raises(NotFound, match="does not exist"):
        LocalProvider().prepare_data(config)


def test_folder_that_is_not_a_model(tmp_path, chats_file):
    provider = LocalProvider()
    (tmp_path / "empty").mkdir()
    config = quick_config(tmp_path / "empty", chats_file)
    with pytest.raises(InvalidInput, match="no config.json"):
        provider.create_job(config, provider.prepare_data(config), Job(provider=ProviderKind.HF_LOCAL))


def test_tokenizer_without_chat_template_is_refused_before_launch(templateless_model_dir, chats_file):
    provider = LocalProvider()
    config = quick_config(templateless_model_dir, chats_file)
    with pytest.raises(InvalidInput, match="no chat template") as caught:
        provider.create_job(config, provider.prepare_data(config), Job(provider=ProviderKind.HF_LOCAL))
    assert "instruct or chat model" in str(caught.value)
    assert not list(provider.list_jobs())  # nothing was started


def test_data_of_the_wrong_shape_names_the_line(tmp_path, tiny_model_dir):
    rows = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
            {"question": "What is two plus two?", "answer": "Four."}]
    config = quick_config(tiny_model_dir, write_jsonl(tmp_path / "qa.jsonl", rows))
    with pytest.raises(InvalidInput, match=r"qa.jsonl.*line 2.*“?\"?messages") as caught:
        LocalProvider().prepare_data(config)
    assert "Fix" in str(caught.value)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": []}\n{not json\n')
    with pytest.raises(InvalidInput, match="broken.jsonl"):
        LocalProvider().prepare_data(quick_config(tiny_model_dir, broken))
    dpo = quick_config(tiny_model_dir, write_jsonl(tmp_path / "chat.jsonl", rows[:1]), method="dpo")
    with pytest.raises(InvalidInput, match="chat.jsonl holds conversations, but DPO needs “prompt”, “chosen”"):
        LocalProvider().prepare_data(dpo)


@pytest.mark.slow
def test_trainer_reports_data_it_cannot_use_as_a_failed_job(tmp_path, tiny_model_dir):
    """Data that reach the child in the wrong shape end the run with the same kind of sentence."""
    provider = LocalProvider()
    data = write_jsonl(tmp_path / "odd.jsonl", [{"question": "q", "answer": "a"}] * 4)
    config = quick_config(tiny_model_dir, data)
    job = provider.create_job(config, DataRefs(training=str(data)), Job(provider=ProviderKind.HF_LOCAL))
    job = finish(provider, job)
    assert job.status is JobStatus.FAILED
    assert "has the columns answer, question" in job.error and "“messages”" in job.error
    assert not process.is_running(job.run_dir)


def test_run_folder_that_cannot_be_written(tmp_path, tiny_model_dir, chats_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    provider = LocalProvider()
    config = quick_config(tiny_model_dir, chats_file, output_dir=str(blocker / "runs"))
    with pytest.raises(InvalidInput, match="cannot be written") as caught:
        provider.create_job(config, provider.prepare_data(config), Job(provider=ProviderKind.HF_LOCAL))
    assert str(blocker / "runs") in str(caught.value) and "Choose an output folder" in str(caught.value)


def test_resume_without_a_checkpoint_and_stop_when_not_running(tmp_path, tiny_model_dir, chats_file):
    provider = LocalProvider()
    run = tmp_path / "run"
    run.mkdir()
    job = Job(provider=ProviderKind.HF_LOCAL, run_dir=str(run))
    with pytest.raises(InvalidInput, match="no checkpoint to resume from"):
        provider.resume(job)
    with pytest.raises(InvalidInput, match="not training"):
        provider.stop_and_save(job)


def test_check_account_without_a_token_needs_no_network():
    assert LocalProvider().check_account().startswith("No account needed")


def test_a_local_launch_leaves_no_staged_copy_of_the_data(templateless_model_dir, tiny_model_dir, chats_file,
                                                          tmp_path):
    """The converted data waits in cache/prepared only until the run folder has its own copy."""
    from backend import paths
    from backend.launch import launch
    from backend.store import JobStore

    store, provider = JobStore(tmp_path / "jobs.sqlite3"), LocalProvider()
    prepared = paths.cache_dir() / "prepared"
    with pytest.raises(InvalidInput, match="no chat template"):
        launch(quick_config(templateless_model_dir, chats_file), store=store, provider=provider)
    assert list(prepared.iterdir()) == []
    job = launch(quick_config(tiny_model_dir, chats_file), store=store, provider=provider)
    try:
        assert list(prepared.iterdir()) == []
        assert any(p.suffix == ".jsonl" for p in Path(job.run_dir).rglob("*"))
    finally:
        provider.cancel(job)
        assert process.wait(job.run_dir, 120), "the trainer did not stop"
        store.close()
