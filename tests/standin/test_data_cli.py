"""`data validate` and `data convert` with the stand-in provider (tests/fakes/standin_provider.py, registered by
its one registry line): the command lists it and applies its data profile (at least 1 example, chats only, no
price), with nothing in backend/ naming it."""

from __future__ import annotations

import json

import pytest

from backend.cli import run
from tests.data.conftest import chats


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_chat_is_enough_under_the_stand_ins_rules(stand_in, tmp_path, capsys):
    path = _write(tmp_path, "one.jsonl", json.dumps(chats(1)[0]) + "\n")
    assert run(["data", "validate", str(path), "--provider", "stand-in"]) == 0
    out = capsys.readouterr().out
    assert "Rules applied: Stand-in, as chosen: at least 1 example, no context-length check." in out
    assert "Estimated price" not in out and "Result: READY" in out
    # OpenAI's rules refuse the same file: the minimum is the profile's, not a default.
    assert run(["data", "validate", str(path), "--provider", "openai"]) == 1
    assert "1 valid example; OpenAI needs at least 10." in capsys.readouterr().out


def test_plain_text_is_refused_as_the_profile_says(stand_in, tmp_path, capsys):
    path = _write(tmp_path, "notes.txt", "A first document.\n\nA second one.\n")
    assert run(["data", "validate", str(path), "--provider", "stand-in", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["provider"] == "stand-in" and report["minimum_examples"] == 1 and report["price"] is None
    assert report["counts"] == {"unsupported_by_provider": 1}
    [finding] = report["findings"]
    assert finding["message"] == "Stand-in trains on chat examples, not plain text."


def test_the_command_lists_the_stand_in_among_the_providers(stand_in, tmp_path, capsys):
    path = _write(tmp_path, "one.jsonl", json.dumps(chats(1)[0]) + "\n")
    assert run(["data", "validate", str(path)]) == 0
    assert "pass --provider (openai, azure, hf-local, hf-jobs, stand-in)." in capsys.readouterr().out
    out = tmp_path / "out.jsonl"
    assert run(["data", "convert", str(path), "--to", "stand-in", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == chats(1)[0]  # its dialect: OpenAI's chat records


def test_without_the_registry_line_the_stand_in_is_not_a_choice(tmp_path, capsys):
    path = _write(tmp_path, "one.jsonl", json.dumps(chats(1)[0]) + "\n")
    with pytest.raises(SystemExit) as refused:  # argparse's refusal of a choice
        run(["data", "validate", str(path), "--provider", "stand-in"])
    assert refused.value.code == 2 and "invalid choice: 'stand-in'" in capsys.readouterr().err
