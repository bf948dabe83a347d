"""Whose rules a validation applies: the provider named, else the one a model id leaves no doubt about,
and a sentence that says which (and how to choose) in every report."""

from __future__ import annotations

import json

import pytest

from backend.cli import run
from backend.data import validate_file
from backend.models import ProviderKind
from backend.providers import infer_kind
from tests.data.conftest import chat, chats, profile


@pytest.mark.parametrize("model,provider", [
    ("gpt-4o-mini-2024-07-18", ProviderKind.OPENAI),
    ("gpt-4.1-nano", ProviderKind.OPENAI),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", ProviderKind.OPENAI),
    ("o4-mini", ProviderKind.OPENAI),
    ("o1", ProviderKind.OPENAI),
    ("davinci-002", ProviderKind.OPENAI),
    ("gpt-35-turbo-0125", ProviderKind.AZURE),  # Azure's spelling of 3.5
    ("gpt-4o-mini-2024-07-18.ft-0123456789abcdef", ProviderKind.AZURE),  # an Azure fine-tune
    ("Qwen/Qwen2.5-0.5B-Instruct", ProviderKind.HF_LOCAL),
    ("llama3", None),
    ("mistral-large", None),
    ("omni", None),
    ("", None),
    (None, None),
])
def test_provider_inferred_only_where_the_model_id_leaves_no_doubt(model, provider):
    assert infer_kind(model) is provider


def test_a_local_model_folder_means_local_training(tmp_path, capsys):
    folder = tmp_path / "gpt-lookalike"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 2048}))
    assert infer_kind(str(folder)) is ProviderKind.HF_LOCAL
    path = _write(tmp_path, chats(2) + [chat("word " * 3000, "ok")])
    assert run(["data", "validate", str(path), "--model", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["provider"] == "hf-local" and report["context_length"] == 2048
    assert [(f["line"], f["check"]) for f in report["findings"]] == [(3, "too_long")]


def _write(tmp_path, rows, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_readme_example_applies_openais_minimum(write_jsonl, capsys):
    """`data validate FILE --model gpt-4o-mini-2024-07-18`, no --provider: 5 examples are refused, as OpenAI would."""
    path = write_jsonl(chats(5))
    assert run(["data", "validate", str(path), "--model", "gpt-4o-mini-2024-07-18"]) == 1
    out = capsys.readouterr().out
    assert "Rules applied: OpenAI, inferred from the model 'gpt-4o-mini-2024-07-18': at least 10 examples, " \
           "at most 65,536 tokens per example" in out
    assert "For another provider's rules, pass --provider (openai, azure, hf-local, hf-jobs)." in out
    assert "file: [too_few_examples] 5 valid examples; OpenAI needs at least 10." in out
    assert "Estimated price: $" in out and "Result: NOT USABLE" in out and "READY" not in out


def test_a_long_example_is_checked_against_the_inferred_models_context(write_jsonl, capsys):
    long = chat(" ".join(f"w{i}" for i in range(40_000)), "ok")  # about 80,000 tokens
    path = write_jsonl(chats(11) + [long])
    assert run(["data", "validate", str(path), "--model", "gpt-4o-mini-2024-07-18", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [finding] = [f for f in data["findings"] if f["check"] == "too_long"]
    assert finding["line"] == 12 and "the model's context holds 65,536" in finding["message"]
    assert data["provider"] == "openai" and data["provider_inferred"] is True and data["context_length"] == 65536
    assert data["stats"]["billed_tokens_per_epoch"] < data["stats"]["total_tokens"]  # billed up to the context
    assert data["price"]["model"] == "gpt-4o-mini-2024-07-18" and data["price"]["amount_usd"] > 0
    assert run(["data", "validate", str(path), "--model", "gpt-4o-mini-2024-07-18"]) == 0
    out = capsys.readouterr().out
    assert "line 12: [too_long]" in out
    assert "Result: READY, with 1 warning above: the data trains, but read them" in out


def test_an_ambiguous_model_says_whose_rules_and_how_to_choose(write_jsonl, capsys):
    path = write_jsonl(chats(5))
    assert run(["data", "validate", str(path), "--model", "llama3"]) == 0
    out = capsys.readouterr().out
    assert "Rules applied: no provider's (the provider cannot be told from the model 'llama3'), only generic " \
           "ones: at least 1 example, no context-length check, no price." in out
    assert "To check against a provider's rules, pass --provider (openai, azure, hf-local, hf-jobs)." in out


def test_a_named_provider_wins_and_is_said(write_jsonl, capsys):
    path = write_jsonl(chats(5))
    assert run(["data", "validate", str(path), "--provider", "hf-local", "--model", "gpt-4o-mini"]) == 0
    out = capsys.readouterr().out
    assert "Rules applied: Hugging Face (this computer), as chosen: at least 1 example" in out
    assert "--provider (" not in out  # nothing to choose: the user chose
    report = validate_file(path, profile=profile("azure"), provider="azure", model="gpt-4o-mini")
    assert report.provider == "azure" and not report.provider_inferred and report.price.usd_per_million_tokens == 3.3


def test_a_validation_file_has_no_minimum(tmp_path):
    from backend.data import prepare_dataset

    train, val = _write(tmp_path, chats(12)), _write(tmp_path, chats(3, "Other"), "val.jsonl")
    prepared = prepare_dataset(train, profile("openai"), tmp_path / "out", validation_path=val, model="gpt-4o-mini")
    assert prepared.validation_examples == 3 and prepared.validation_report.ok
