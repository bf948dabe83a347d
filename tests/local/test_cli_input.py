"""Bad values on the command line: one sentence naming the flag, the value and what is allowed, before any
account, download or job record; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import run
from backend.store import JobStore

ROOT = Path(__file__).resolve().parents[2]


def create(provider: str, data, model: str, *flags: str) -> list[str]:
    return ["jobs", "create", "--provider", provider, "--data", str(data), "--model", model, *flags]


@pytest.mark.parametrize("provider, flags, sentence", [
    ("openai", ["--epochs", "-1"], "--epochs -1 is out of range: OpenAI allows 1 to 50."),
    ("openai", ["--epochs", "1000000000"], "--epochs 1000000000 is out of range: OpenAI allows 1 to 50."),
    ("openai", ["--batch-size", "0"], "--batch-size 0 is out of range: OpenAI allows 1 to 256."),
    ("azure", ["--batch-size", "300"], "--batch-size 300 is out of range: Azure OpenAI allows 1 to 256."),
    ("openai", ["--lr-multiplier", "0"], "--lr-multiplier 0 is out of range: OpenAI allows more than 0."),
    ("openai", ["--method", "dpo", "--beta", "2.5"], "--beta 2.5 is out of range: OpenAI allows more than 0 and at "
                                                     "most 2."),
    ("openai", ["--seed", "-3"], "--seed -3 is out of range: allowed: 0 to 2,147,483,647."),
    ("openai", ["--split", "1.5"], "--split 1.5 is out of range: allowed: at least 0 and less than 1."),
    ("openai", ["--epochs", "2.5"], "--epochs must be a number or auto, not '2.5': OpenAI allows whole numbers 1 "
                                    "to 50."),
    ("hf-local", ["--epochs", "-1"], "--epochs -1 is out of range: Training on this computer allows 1 to 100."),
    ("hf-local", ["--epochs", "1000000000"], "--epochs 1000000000 is out of range: Training on this computer "
                                             "allows 1 to 100."),
    ("hf-local", ["--batch-size", "0"], "--batch-size 0 is out of range: Training on this computer allows 1 to "
                                        "1024."),
    ("hf-local", ["--option", "lora_r=0"], "--option lora_r=0 is out of range: Training on this computer allows 1 "
                                           "to 1024."),
    ("hf-local", ["--option", "learning_rate=2"], "--option learning_rate=2 is out of range: Training on this "
                                                  "computer allows more than 0 and at most 1."),
    ("hf-local", ["--option", "batch_size=0"], "--option batch_size=0 is out of range: Training on this computer "
                                               "allows 1 to 1024."),
    ("hf-local", ["--option", "max_steps=4000000000"], "--option max_steps=4000000000 is out of range: Training on "
                                                       "this computer allows -1 to 1,000,000."),
])
def test_an_out_of_range_flag_is_one_sentence_before_anything_starts(provider, flags, sentence, chats_file,
                                                                      tiny_model_dir, capsys):
    model = str(tiny_model_dir) if provider == "hf-local" else "gpt-4o-mini-2024-07-18"
    assert run(create(provider, chats_file, model, *flags)) == 1  # no account is set up: the flags come first
    assert capsys.readouterr().err == f"error: {sentence}\n"
    assert JobStore().list_jobs() == []


def test_a_maximum_length_past_the_models_context_is_refused_before_a_job_is_recorded(chats_file, tiny_model_dir,
                                                                                     capsys):
    assert run(create("hf-local", chats_file, str(tiny_model_dir), "--option", "max_length=4096")) == 1
    assert capsys.readouterr().err == ("error: Maximum length 4096 is out of range: this model reads at most 512 "
                                       "tokens.\n")
    assert JobStore().list_jobs() == []


def cli(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=dict(os.environ))


@pytest.mark.parametrize("model", ["a b;rm", "foo/../bar", "x/y/z", "evil/$(id)"])
def test_a_model_name_that_is_no_hub_id_is_a_sentence_not_a_traceback(model, chats_file):
    out = cli(*create("hf-local", chats_file, model))
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith(f"error: “{model}” is not a Hugging Face model id: repo id must ")
    assert "An id looks like “owner/name”" in out.stderr
    assert JobStore().list_jobs() == []


def test_a_relative_path_up_the_tree_is_a_folder_that_is_checked(chats_file, tmp_path):
    inside = tmp_path / "a" / "b"
    inside.mkdir(parents=True)
    out = cli(*create("hf-local", chats_file, "../../etc"), cwd=inside)  # no such folder there
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr == "error: The model folder “../../etc” does not exist. Choose an existing folder.\n"
    (tmp_path / "etc").mkdir()  # a folder, but not a model
    out = cli(*create("hf-local", chats_file, "../../etc"), cwd=inside)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith("error: “../../etc” is not a model folder: it has no config.json.")
    assert JobStore().list_jobs() == []  # said before any job was recorded


def test_chat_with_a_model_name_that_is_no_hub_id_is_a_sentence():
    out = cli("chat", "--provider", "hf-local", "--model", "a b;rm", "hello")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith("error: “a b;rm” is not a Hugging Face model id: ")
    out = cli("chat", "--model", "a b;rm", "hello")  # OpenAI's by default: no account here, and it says so
    assert out.returncode == 1 and "Traceback" not in out.stderr and out.stderr.startswith("error: "), out.stderr
