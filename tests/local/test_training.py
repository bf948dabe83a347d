"""End to end on the tiny model, as a child process: SFT (LoRA, full), DPO, the recipe, generation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.errors import InvalidInput
from backend.models import JobStatus
from backend.providers.hf_local import LocalProvider
from backend.training.spec import RunFolder
from tests.local.conftest import assert_succeeded, finish, launch, quick_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lora_run(tiny_model_dir, tmp_path_factory):
    """One LoRA run shared by the tests that inspect its results (FTS_HOME set for the module)."""
    from tests.local.conftest import write_jsonl
    from tests.tiny_model import sample_chats

    home = tmp_path_factory.mktemp("lora-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FTS_HOME", str(home))
        data = write_jsonl(home / "chats.jsonl", sample_chats(40))
        provider = LocalProvider()
        config = quick_config(tiny_model_dir, data, learning_rate=5e-3, max_steps=8, save_steps=4)
        config = config.model_copy(update={"validation_split": 0.2})
        job = finish(provider, launch(provider, config))
    return provider, job


def test_sft_lora_trains_reports_every_step_and_saves_an_adapter(lora_run, monkeypatch):
    provider, job = lora_run
    assert_succeeded(job)
    assert (job.step, job.total_steps) == (8, 8) and job.trained_tokens > 0
    points = provider.metrics(job)
    assert [p.step for p in points] == list(range(1, 9))
    assert all(p.train_loss is not None and p.learning_rate is not None for p in points)
    assert points[-1].train_loss < points[0].train_loss  # it learned something
    assert [p.step for p in points if p.valid_loss is not None] == [4, 8]  # evaluated at each checkpoint
    assert any(e.type == "log" and "tokens/s" in e.message for e in provider.list_events(job))
    final = Path(job.fine_tuned_model)
    assert (final / "adapter_config.json").exists() and (final / "tokenizer_config.json").exists()
    checkpoints = provider.list_checkpoints(job)  # once each: the final model stands for checkpoint-8
    assert [(c.id, c.step) for c in checkpoints] == [("checkpoint-4", 4), ("final", 8)]
    assert all(set(c.metrics) >= {"train_loss", "valid_loss"} for c in checkpoints)
    with pytest.raises(InvalidInput, match="finished"):
        provider.resume(job)
    monkeypatch.setenv("FTS_HOME", str(Path(job.run_dir).parents[2]))  # the home the run was made in
    found = list(provider.list_jobs())  # what a store that lost its record would import
    assert [(j.id, j.run_dir, j.status) for j in found] == [(job.id, job.run_dir, JobStatus.SUCCEEDED)]


def test_events_are_tailed_after_an_id(lora_run):
    provider, job = lora_run
    every = provider.list_events(job)
    later = provider.list_events(job, after=every[3].id)
    assert [e.id for e in later] == [e.id for e in every[4:]]
    assert every[-1].type == "finished" and every[-1].data["status"] == "succeeded"


def test_recipe_file_reruns_with_trl_cli_parser(lora_run):
    from trl.scripts.sft import make_parser

    _, job = lora_run
    folder = RunFolder(job.run_dir)
    _, training_args, model_args, _ = make_parser().parse_args_and_config(
        ["--config", str(folder.recipe)], fail_with_unknown_args=True)
    settings = folder.read_spec().settings
    assert training_args.learning_rate == settings.learning_rate == 5e-3
    assert training_args.max_steps == 8 and training_args.use_cpu and not training_args.bf16
    assert model_args.use_peft and model_args.lora_r == settings.lora_r


def test_trl_cli_reruns_the_recipe(lora_run, tmp_path):
    import os
    import subprocess
    import sys

    import yaml

    _, job = lora_run
    recipe = yaml.safe_load(RunFolder(job.run_dir).recipe.read_text())
    recipe.update(output_dir=str(tmp_path / "rerun"), max_steps=2)  # elsewhere, and short
    (tmp_path / "rerun.yaml").write_text(yaml.safe_dump(recipe))
    trl = Path(sys.executable).parent / "trl"
    out = subprocess.run([str(trl), "sft", "--config", str(tmp_path / "rerun.yaml")], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "rerun" / "adapter_model.safetensors").exists()
    assert (tmp_path / "rerun" / "checkpoint-2").is_dir()


def test_generation_with_the_trained_adapter_differs_from_the_base(lora_run, tiny_model_dir):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, job = lora_run
    tokenizer = AutoTokenizer.from_pretrained(job.fine_tuned_model)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        base_logits = base(**prompt).logits
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), job.fine_tuned_model)
    with torch.no_grad():
        tuned_logits = tuned(**prompt).logits
        output = tuned.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert not torch.allclose(base_logits, tuned_logits)
    assert output.shape[1] > prompt["input_ids"].shape[1]
    assert isinstance(tokenizer.decode(output[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True), str)


def test_chat_with_the_trained_adapter_through_the_provider(trained_run, tiny_model_dir):
    """A run trained until it knows its data answers with the trained answer; its base does not."""
    from backend import local_chat
    from backend.models import ChatMessage, ChatParams

    provider = LocalProvider()
    # The saved adapter names its base folder, so the playground can load base + adapter from the run alone.
    adapter = trained_run.fine_tuned_model
    assert local_chat.resolve(adapter) == (Path(tiny_model_dir), Path(adapter))

    def reply(model: str, question: str) -> str:
        return "".join(provider.chat_stream(model, [ChatMessage(role="user", content=question)],
                                            ChatParams(max_tokens=8, temperature=0)))

    for question, answer in [("What is the capital of France?", "Paris."), ("What colour is grass?", "Green."),
                             ("What is two plus two?", "Four.")]:
        assert reply(adapter, question) == answer
        assert reply(str(tiny_model_dir), question) != answer


def test_export_merges_the_adapter_into_a_full_model_with_a_card(lora_run, tmp_path):
    from transformers import AutoModelForCausalLM

    from backend.training.export import ExportRequest

    provider, job = lora_run
    out = provider.export(job, ExportRequest(merged_dir=tmp_path / "export")).merged_dir
    assert (out / "config.json").exists() and not (out / "adapter_config.json").exists()
    AutoModelForCausalLM.from_pretrained(out)  # a loadable, merged model
    card = (out / "README.md").read_text()
    assert "library_name: transformers" in card and "| Learning rate | 0.005 |" in card and "examples: 32" in card
    assert (out / "trl_config.yaml").exists()


def test_sft_with_full_weights(tiny_model_dir, chats_file, tmp_path):
    provider = LocalProvider()
    job = finish(provider, launch(provider, quick_config(tiny_model_dir, chats_file, adapter="full")))
    assert_succeeded(job)
    final = Path(job.fine_tuned_model)
    assert (final / "model.safetensors").exists() and not (final / "adapter_config.json").exists()
    assert len(provider.metrics(job)) == 6
    from backend.training.export import ExportRequest

    out = provider.export(job, ExportRequest(merged_dir=tmp_path / "export")).merged_dir  # nothing to merge: a copy
    assert (out / "model.safetensors").read_bytes() == (final / "model.safetensors").read_bytes()
    assert {"README.md", "trl_config.yaml", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    assert "full weights" in (out / "README.md").read_text() and not (out / "trainer_state.json").exists()


def test_dpo_on_preference_data(tiny_model_dir, prefs_file):
    provider = LocalProvider()
    job = finish(provider, launch(provider, quick_config(tiny_model_dir, prefs_file, method="dpo", max_steps=4)))
    assert_succeeded(job)
    logs = [e for e in provider.list_events(job) if e.type == "log"]
    assert len(logs) == 4 and all("rewards_accuracies" in e.data for e in logs)
    assert json.loads((Path(job.run_dir) / "config.json").read_text())["settings"]["method"] == "dpo"
    assert (Path(job.fine_tuned_model) / "adapter_config.json").exists()
    assert job.status is JobStatus.SUCCEEDED


def test_sft_on_plain_text_needs_no_chat_template(tmp_path):
    from tests.local.conftest import write_jsonl
    from tests.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "plain", with_chat_template=False)
    rows = [{"text": f"The capital of France is Paris. Line {i}."} for i in range(16)]
    provider = LocalProvider()
    job = finish(provider, launch(provider, quick_config(model, write_jsonl(tmp_path / "text.jsonl", rows),
                                                          max_steps=3)))
    assert_succeeded(job)
    assert not RunFolder(job.run_dir).read_spec().settings.assistant_only_loss  # resolved from the template
    assert len(provider.metrics(job)) == 3
