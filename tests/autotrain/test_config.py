"""AutoTrain configs: export (what the app writes), import (AutoTrain's own examples, project folders, invalid
files) and the round trip between them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from backend.autotrain import importer
from backend.autotrain.config import dump, export_config
from backend.errors import InvalidInput
from backend.models import ProviderKind
from backend.training.spec import TrainSettings

CONFIGS = Path(__file__).parent / "configs"


def _export(method="supervised", autotrain=None, **settings):
    base = dict(method=method, adapter="lora", max_length=512, epochs=2.0, batch_size=2, learning_rate=1e-4,
                gradient_accumulation_steps=4, lora_r=8, lora_alpha=16, lora_dropout=0.1, seed=7, logging_steps=5,
                lora_target_modules=["q_proj", "v_proj"], activation_checkpointing=True)
    return export_config(method=method, settings=TrainSettings(**{**base, **settings}), base_model="Qwen/Qwen2.5-0.5B-Instruct",
                         data_path="/data/run", has_validation=True, autotrain=autotrain)


def test_export_writes_autotrains_sft_config_with_staged_columns():
    mapping = yaml.safe_load(dump(_export()))
    assert mapping["task"] == "llm-sft"
    assert mapping["data"] == {"path": "/data/run", "train_split": "train", "valid_split": "test",
                               "chat_template": "tokenizer", "column_mapping": {"text_column": "messages"}}
    params = mapping["params"]
    assert (params["lr"], params["epochs"], params["batch_size"], params["gradient_accumulation"]) == (1e-4, 2, 2, 4)
    assert params["peft"] is True and params["quantization"] is None and params["target_modules"] == "q_proj,v_proj"
    assert params["disable_gradient_checkpointing"] is False
    assert mapping["hub"] == {"username": "", "token": "", "push_to_hub": False}


def test_export_orpo_with_push_names_the_token_variable_never_a_secret():
    mapping = _export(method="dpo", autotrain={"trainer": "orpo", "push_to_hub": True, "chat_template": "chatml"},
                      adapter="qlora", beta=0.2)
    assert mapping["task"] == "llm-orpo"
    assert mapping["data"]["column_mapping"] == {"text_column": "chosen", "rejected_text_column": "rejected",
                                                 "prompt_text_column": "prompt"}
    assert mapping["data"]["chat_template"] == "chatml"
    assert mapping["params"]["quantization"] == "int4" and mapping["params"]["dpo_beta"] == 0.2
    assert mapping["hub"] == {"username": "${HF_USERNAME}", "token": "${HF_TOKEN}", "push_to_hub": True}


def test_export_refuses_a_method_autotrain_cannot_train():
    with pytest.raises(InvalidInput, match="cannot train"):
        _export(autotrain={"trainer": "ppo"})


def test_round_trip_keeps_every_setting(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(dump(_export(method="dpo", autotrain={"trainer": "orpo"}, beta=0.3)), encoding="utf-8")
    got = importer.read(path)
    assert (got.task, got.method, got.trainer) == ("llm-orpo", "dpo", "orpo")
    assert got.not_mapped == []
    config = importer.to_training_config(got, ProviderKind.HF_LOCAL)
    assert config.base_model == "Qwen/Qwen2.5-0.5B-Instruct" and config.method == "dpo" and config.seed == 7
    assert config.hyperparameters.n_epochs == 2 and config.hyperparameters.batch_size == 2
    assert config.hyperparameters.beta == 0.3
    assert config.options == {"learning_rate": 1e-4, "gradient_accumulation_steps": 4, "warmup_ratio": 0.03,
                              "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.1, "save_total_limit": 3,
                              "adapter": "lora", "lora_target_modules": ["q_proj", "v_proj"], "max_length": 512,
                              "logging_steps": 5, "activation_checkpointing": True,
                              "autotrain": {"trainer": "orpo"}, "trainer": "autotrain"}


@pytest.mark.parametrize("name, task, method, model, columns", [
    ("gpt2_sft", "llm-sft", "supervised", "openai-community/gpt2", {"text_column": "text"}),
    ("llama3-8b-orpo", "llm-orpo", "dpo", "meta-llama/Meta-Llama-3-8B-Instruct",
     {"text_column": "chosen", "rejected_text_column": "rejected", "prompt_text_column": "prompt"}),
    ("llama3-8b-dpo-qlora", "llm-dpo", "dpo", "meta-llama/Meta-Llama-3-8B-Instruct",
     {"text_column": "chosen", "rejected_text_column": "rejected", "prompt_text_column": "prompt"}),
    ("smollm2", "llm-sft", "supervised", "HuggingFaceTB/SmolLM2-1.7B-Instruct", {"text_column": "messages"}),
])
def test_autotrains_own_examples_import(name, task, method, model, columns):
    got = importer.read(CONFIGS / f"{name}.yml")
    assert (got.task, got.method, got.base_model, got.column_mapping) == (task, method, model, columns)
    assert got.hyperparameters["n_epochs"] >= 1 and got.options["learning_rate"] > 0
    config = importer.to_training_config(got, ProviderKind.HF_LOCAL)
    assert config.options["trainer"] == "autotrain"


def test_an_import_says_what_it_could_not_map():
    got = importer.read(CONFIGS / "llama3-8b-orpo.yml")
    said = "\n".join(got.not_mapped)
    assert "mixed_precision: fp16" in said and "chat_template: chatml" in said and "push_to_hub" in said
    assert "log: tensorboard" in said
    assert got.options["adapter"] == "qlora" and got.options["autotrain"]["trainer"] == "orpo"
    gpt2 = importer.read(CONFIGS / "gpt2_sft.yml")
    assert any(line.startswith("merge_adapter: True") for line in gpt2.not_mapped)
    assert gpt2.options["adapter"] == "full"  # no peft: AutoTrain trains every weight


def test_a_project_folder_imports_from_its_training_params(tmp_path):
    (tmp_path / "training_params.json").write_text(json.dumps({
        "model": "/models/tiny", "data_path": str(tmp_path), "train_split": "train", "trainer": "sft",
        "text_column": "messages", "epochs": 3, "batch_size": 4, "lr": 3e-4, "peft": True, "lora_r": 4,
        "project_name": "out", "token": None}), encoding="utf-8")
    (tmp_path / "train.jsonl").write_text("{}\n", encoding="utf-8")
    got = importer.read(tmp_path)
    assert (got.task, got.base_model, got.training_file) == ("llm-sft", "/models/tiny", str(tmp_path / "train.jsonl"))
    assert got.options["lora_r"] == 4 and got.not_mapped == []


@pytest.mark.parametrize("text, message", [
    ("task: image-classification\nbase_model: x\ndata: {path: y}\n", "not an AutoTrain LLM config"),
    ("task: llm-sft\ndata: {path: y}\n", "no base_model"),
    ("task: llm-sft\nbase_model: x\n", "no data: path"),
    ("task: llm-sft\n  base_model: [x\n", "not valid YAML at line"),
    ("- just a list\n", "holds no settings"),
])
def test_an_invalid_config_is_refused_with_a_reason(tmp_path, text, message):
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        importer.read(path)


def test_a_folder_without_a_config_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="holds no AutoTrain config"):
        importer.read(tmp_path)


def test_preference_rows_become_whole_conversations_for_autotrain(tmp_path):
    from backend.autotrain.start import copy_data

    row = {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello."}],
           "rejected": [{"role": "assistant", "content": "Go away."}]}
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(row) + "\n\n", encoding="utf-8")
    copy_data(source, tmp_path / "out.jsonl", "dpo")
    got = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert got == [{**row, "chosen": row["prompt"] + row["chosen"], "rejected": row["prompt"] + row["rejected"]}]
    copy_data(source, tmp_path / "sft.jsonl", "supervised")
    assert (tmp_path / "sft.jsonl").read_bytes() == source.read_bytes()
