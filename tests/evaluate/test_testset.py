"""The held-out test set: set aside once, stored, reused, and never in what training reads."""

from __future__ import annotations

import json

import pytest

from backend.data import prepare_dataset
from backend.errors import InvalidInput
from backend.evaluate.testset import load_examples, set_aside, held_out_for
from tests.data.conftest import profile
from tests.evaluate.conftest import CAPITALS, chat, write_jsonl


def _questions(path) -> set[str]:
    return {e.question for e in load_examples(path)}


def test_a_test_split_is_fixed_stored_and_kept_out_of_training(tmp_path):
    rows = [chat(c) for c in CAPITALS] * 2  # 24 examples (each question twice: duplicates are split apart too)
    rows = [{"messages": [*r["messages"][:1], {"role": "user", "content": f"{r['messages'][1]['content']} #{i}"},
                          r["messages"][2]]} for i, r in enumerate(rows)]
    source = write_jsonl(tmp_path / "all.jsonl", rows)
    split = set_aside(source, 0.25, seed=3)
    assert (split.train_examples, split.test_examples) == (18, 6) and not split.reused
    test, train = _questions(split.test_path), _questions(split.train_path)
    assert len(test) == 6 and not test & train and len(test | train) == 24
    again = set_aside(source, 0.25, seed=3)  # the same file, share and seed: the stored split, untouched
    assert again.reused and again.test_path == split.test_path and _questions(again.test_path) == test
    assert set_aside(source, 0.25, seed=4).test_path != split.test_path
    # what a launch uploads is prepared from the training remainder: no test question is in it
    prepared = prepare_dataset(split.train_path, profile("openai"), tmp_path / "prepared", validation_split=0.2)
    uploaded = [json.loads(line) for name in (prepared.train_path, prepared.validation_path)
                for line in open(name, encoding="utf-8")]
    sent = {m["content"] for r in uploaded for m in r["messages"] if m["role"] == "user"}
    assert len(uploaded) == 18 and not sent & test
    assert held_out_for(str(split.train_path)) == split.test_path  # a job trained on it finds its test set
    assert held_out_for(str(source)) is None


def test_bad_test_files_are_sentences(tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [chat("France"), {"messages": [{"role": "user", "content": "hi"}]}])
    with pytest.raises(InvalidInput, match="Line 2 of .*bad.jsonl.* cannot be a test question"):
        load_examples(bad)
    with pytest.raises(InvalidInput, match="at least two"):
        set_aside(write_jsonl(tmp_path / "one.jsonl", [chat("France")]), 0.5)
    with pytest.raises(InvalidInput, match="not possible"):
        set_aside(bad, 1.5)


def test_tool_calling_references_are_read_as_calls(tmp_path):
    row = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                            "name": "weather", "arguments": "{\"city\": \"Paris\"}"}}]}],
           "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]}
    example = load_examples(write_jsonl(tmp_path / "tools.jsonl", [row]))[0]
    assert example.reference_calls == [{"name": "weather", "arguments": {"city": "Paris"}}]
    assert example.tools and example.question == "Weather in Paris?"
