"""``python main.py autotrain import/config`` and the wizard's AutoTrain pieces (trainer choice, Save config)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from backend.providers import local_runner, open_provider
from tests.tiny_model import sample_chats

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = Path(__file__).parent / "configs"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", "autotrain", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_import_prints_the_settings_and_what_was_not_mapped():
    done = _cli("import", str(CONFIGS / "llama3-8b-dpo-qlora.yml"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Task:          llm-dpo (method dpo" in out and "Base model:    meta-llama/Meta-Llama-3-8B-Instruct" in out
    assert "text_column=chosen, rejected_text_column=rejected, prompt_text_column=prompt" in out
    assert "adapter = qlora" in out and "learning_rate = 3e-05" in out
    assert "Not mapped:" in out and "mixed_precision: fp16" in out


def test_import_fails_only_on_a_file_that_is_no_autotrain_llm_config(tmp_path):
    bad = tmp_path / "vision.yml"
    bad.write_text("task: image-classification\nbase_model: google/vit\ndata: {path: x}\n", encoding="utf-8")
    done = _cli("import", str(bad))
    assert done.returncode == 1 and "not an AutoTrain LLM config" in done.stderr and "Traceback" not in done.stderr


def test_the_wizards_choice_round_trips_through_the_draft_options(qtbot):
    from ui.wizard.autotrain_choice import AutoTrainChoice

    box = AutoTrainChoice()
    qtbot.addWidget(box)
    assert box.store({"lora_r": 8, "trainer": "autotrain"}, "dpo") == {"lora_r": 8}  # the app's trainer chosen
    box.load({"trainer": "autotrain", "autotrain": {"trainer": "orpo", "chat_template": "chatml"}})
    assert box.chosen() and box.orpo.isChecked()
    assert box.store({"lora_r": 8}, "dpo") == {"lora_r": 8, "trainer": "autotrain",
                                               "autotrain": {"trainer": "orpo", "chat_template": "chatml"}}
    assert box.store({}, "supervised") == {"trainer": "autotrain", "autotrain": {"chat_template": "chatml"}}


def test_save_writes_a_config_with_its_staged_data_and_a_readable_model(tiny_model_dir, tmp_path):
    from backend.models import TrainingConfig
    from ui.wizard.autotrain_save import save

    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in sample_chats(8)), encoding="utf-8")
    config = TrainingConfig(provider=local_runner(), base_model=str(tiny_model_dir), training_file=str(data),
                            options={"trainer": "autotrain", "max_length": 64})
    path = Path(save(lambda kind, account: open_provider(kind, account), config, str(tmp_path / "out" / "a.yml")))
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert mapping["task"] == "llm-sft" and mapping["params"]["block_size"] == 64
    assert Path(mapping["data"]["path"], "train.jsonl").is_file()
    staged = Path(mapping["base_model"])
    assert staged == tmp_path / "out" / "a-model"
    assert json.loads((staged / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert "chat_template" in json.loads((staged / "tokenizer_config.json").read_text())


def test_an_imported_config_becomes_a_wizard_draft_with_its_settings():
    from ui.wizard.autotrain_import import read_as_config, summary
    from ui.wizard.draft import WizardDraft
    from ui.wizard.page import _lenient_config

    fields, not_mapped = read_as_config(str(CONFIGS / "llama3-8b-orpo.yml"))
    draft = WizardDraft.from_config(_lenient_config(fields))
    config = draft.to_config()
    assert config.base_model == "meta-llama/Meta-Llama-3-8B-Instruct" and config.method == "dpo"
    assert config.options["trainer"] == "autotrain" and config.options["autotrain"]["trainer"] == "orpo"
    assert config.options["adapter"] == "qlora" and config.hyperparameters.n_epochs == 3
    assert "could not be mapped" in summary(not_mapped) and "mixed_precision: fp16" in summary(not_mapped)
