"""The real AutoTrain Advanced CLI, in its own environment, trains the tiny model end to end from the app: config
written by the app, detached run, adapter produced, loss on the chart, the result chatted with in the playground.

The environment (~1.5 GB, ~2.5 minutes from local wheels) is built once per machine and kept in
``~/.cache/fts-test-autotrain/<lock hash>`` (or ``$FTS_AUTOTRAIN_ENV`` when set), so later runs reuse it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from backend.autotrain import env
from backend.errors import InvalidInput
from backend.models import ChatMessage, ChatParams, Job, JobStatus, TrainingConfig
from backend.providers import local_runner
from backend.providers.hf_local import LocalProvider
from backend.training import events as ev
from backend.training import process
from tests.tiny_model import sample_chats

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="session")
def autotrain_env():
    root = os.environ.get(env.FTS_AUTOTRAIN_ENV) or str(Path.home() / ".cache" / "fts-test-autotrain" / env.lock_hash())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(env.FTS_AUTOTRAIN_ENV, root)
        env.ensure()
        yield Path(root)


@pytest.fixture
def autotrain_config(tiny_model_dir, tmp_path, autotrain_env, monkeypatch):
    monkeypatch.setenv(env.FTS_AUTOTRAIN_ENV, str(autotrain_env))
    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps(chat) + "\n" for chat in sample_chats(16)), encoding="utf-8")
    return TrainingConfig(provider=local_runner(), base_model=str(tiny_model_dir), training_file=str(data),
                          hyperparameters={"n_epochs": 2, "batch_size": 4},
                          options={"trainer": "autotrain", "max_length": 64, "gradient_accumulation_steps": 1,
                                   "learning_rate": 1e-3})


def _launch(config: TrainingConfig) -> tuple[LocalProvider, Job]:
    provider = LocalProvider()
    data = provider.prepare_data(config)
    return provider, provider.create_job(config, data, Job(provider=config.provider))


def test_autotrain_trains_the_tiny_model_and_the_result_chats(autotrain_config, tiny_model_dir):
    provider, job = _launch(autotrain_config)
    run = Path(job.run_dir)
    written = yaml.safe_load((run / "autotrain.yml").read_text(encoding="utf-8"))
    assert written["task"] == "llm-sft" and written["params"]["epochs"] == 2 and written["params"]["lr"] == 1e-3
    assert process.wait(run, 600), "AutoTrain did not finish in time"
    job = provider.get_job(job)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert (run / "final" / "adapter_model.safetensors").is_file()
    assert job.fine_tuned_model == str(run / "final")
    # The user's model folder is untouched; AutoTrain trained a staged copy it can read.
    assert (Path(tiny_model_dir) / "chat_template.jinja").is_file()
    assert "TokenizersBackend" not in (run / "model" / "tokenizer_config.json").read_text(encoding="utf-8")
    points = provider.metrics(job)
    assert len(points) >= 4 and all(p.train_loss is not None and p.learning_rate is not None for p in points)
    assert [p.step for p in points] == sorted({p.step for p in points})
    assert any(e.type == "phase" and "AutoTrain 0.8.36" in e.message for e in provider.list_events(job))
    # Open in playground: the job's model is the adapter on its base, and it answers.
    from backend import local_chat

    refs = provider.job_models(job)
    assert refs[0].model == str(run / "final") and refs[0].kind == "fine-tuned"
    assert local_chat.resolve(refs[0].model) == (run / "model", run / "final")  # the adapter names its base
    reply = "".join(provider.chat_stream(refs[0].model, [ChatMessage(role="user", content="What is the capital of France?")],
                                         ChatParams(max_tokens=6, temperature=0)))
    assert reply  # a few tokens from the adapted model (a tiny model's words are not checked)
    # Export: the adapter merged onto its base, a standalone model.
    from backend.training.export import ExportRequest

    merged = provider.export(job, ExportRequest(merged_dir=run.parent / "merged")).merged_dir
    assert (merged / "config.json").is_file() and not (merged / "adapter_config.json").exists()


def test_stop_ends_autotrain_and_its_workers(autotrain_config):
    provider, job = _launch(autotrain_config)
    run = Path(job.run_dir)
    assert process.is_running(run)
    reattached = LocalProvider().get_job(job)  # as after an app restart: the run is found from its folder
    assert reattached.status.is_active
    with pytest.raises(InvalidInput, match="can only be stopped"):
        provider.stop_and_save(job)
    job = provider.cancel(job)
    assert job.status is JobStatus.CANCELLED
    assert not process.is_running(run)
    finished = [e for e in ev.read_events(run / "events.jsonl") if e.type == ev.FINISHED]
    assert finished[-1].status == "cancelled"
    with pytest.raises(InvalidInput, match="cannot be resumed"):
        provider.resume(job)


def test_an_exported_config_runs_with_autotrains_own_cli_as_it_is(tiny_model_dir, tmp_path, autotrain_env):
    """``python main.py autotrain config -o FILE``, then ``autotrain --config FILE`` by hand, as a user would."""
    import subprocess
    import sys

    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps(chat) + "\n" for chat in sample_chats(8)), encoding="utf-8")
    out = tmp_path / "export" / "my-run.yml"
    made = subprocess.run([sys.executable, "main.py", "autotrain", "config", "--data", str(data), "--model",
                           str(tiny_model_dir), "--epochs", "1", "--option", "max_length=64", "-o", str(out)],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=300)
    assert made.returncode == 0, made.stderr
    assert (out.parent / "my-run-data" / "train.jsonl").is_file() and (out.parent / "my-run-model").is_dir()
    environment = {**os.environ, "PATH": env.child_path(autotrain_env), "HF_HUB_OFFLINE": "1"}
    environment.pop("PYTHONPATH", None)
    ran = subprocess.run([str(env.cli(autotrain_env)), "--config", str(out)], cwd=out.parent, env=environment,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (out.parent / "autotrain-output" / "adapter_model.safetensors").is_file()


def test_an_autotrain_error_reaches_the_user_as_its_last_lines_and_what_to_do(autotrain_config, monkeypatch):
    """A config AutoTrain rejects (a column it cannot find): the run fails with AutoTrain's own words and advice."""
    from backend.autotrain import runner
    from backend.autotrain import start as autotrain_start

    provider = LocalProvider()
    data = provider.prepare_data(autotrain_config)
    monkeypatch.setattr(autotrain_start, "start", lambda *args, **kwargs: 0)  # the driver is run here, in-process
    folder, _ = autotrain_start.create_run(autotrain_config, data, "error-test")
    config = folder.path / runner.CONFIG
    config.write_text(config.read_text(encoding="utf-8").replace("text_column: messages", "text_column: conversation"),
                      encoding="utf-8")
    assert runner.train(folder.path) == 1
    job = provider.get_job(Job(provider=autotrain_config.provider, run_dir=str(folder.path)))
    assert job.status is JobStatus.FAILED
    assert "did not find a column it expects" in job.error and "KeyError: 'conversation'" in job.error


@pytest.mark.parametrize("trainer", ["dpo", "orpo"])
def test_autotrain_trains_on_preference_pairs(trainer, autotrain_config, tmp_path):
    """DPO and ORPO on the app's staged preference rows (AutoTrain wants whole conversations in chosen/rejected)."""
    rows = []
    for chat in sample_chats(16):
        *prompt, answer = chat["messages"]
        rows.append({"prompt": prompt, "chosen": [answer], "rejected": [{"role": "assistant", "content": "I do not know."}]})
    data = tmp_path / "prefs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    options = {**autotrain_config.options, **({"autotrain": {"trainer": "orpo"}} if trainer == "orpo" else {})}
    config = autotrain_config.model_copy(update={"method": "dpo", "training_file": str(data), "options": options})
    provider, job = _launch(config)
    assert yaml.safe_load((Path(job.run_dir) / "autotrain.yml").read_text(encoding="utf-8"))["task"] == f"llm-{trainer}"
    assert process.wait(job.run_dir, 600)
    job = provider.get_job(job)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert (Path(job.run_dir) / "final" / "adapter_model.safetensors").is_file()
    assert provider.metrics(job) and all(p.train_loss is not None for p in provider.metrics(job))
