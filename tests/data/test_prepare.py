"""Preparing upload files: provider formats, split, shuffle, dedupe, drop invalid (counted), refusals."""

from __future__ import annotations

import json

import pytest

from backend.data import iter_canonical, prepare_dataset, render_training_example
from backend.errors import InvalidInput
from tests.data.conftest import chat, chats, profile

PAIR = {"input": {"messages": [{"role": "user", "content": "Hi"}]},
        "preferred_output": [{"role": "assistant", "content": "Hello!"}],
        "non_preferred_output": [{"role": "assistant", "content": "Go away."}]}


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_openai_chat_split_is_exact_and_seeded(write_jsonl, tmp_path):
    path = write_jsonl(chats(40))
    a = prepare_dataset(path, profile("openai"), tmp_path / "a", validation_split=0.25, seed=7)
    b = prepare_dataset(path, profile("openai"), tmp_path / "b", validation_split=0.25, seed=7)
    assert (a.train_examples, a.validation_examples) == (30, 10)
    train, val = read(a.train_path), read(a.validation_path)
    assert train == read(b.train_path) and val == read(b.validation_path)
    assert sorted(json.dumps(r) for r in train + val) == sorted(json.dumps(r) for r in chats(40))
    assert train != chats(40)[:30]  # shuffled


def test_preference_for_openai_and_trl(write_jsonl, tmp_path):
    path = write_jsonl([PAIR] * 1 + [{**PAIR, "preferred_output": [{"role": "assistant", "content": f"Hi {i}"}]}
                                     for i in range(11)])
    openai = read(prepare_dataset(path, profile("openai"), tmp_path / "o", shuffle=False).train_path)
    assert openai[0] == PAIR
    trl = read(prepare_dataset(path, profile("hf-local"), tmp_path / "t", shuffle=False).train_path)
    assert trl[0] == {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello!"}],
                      "rejected": [{"role": "assistant", "content": "Go away."}]}


def test_trl_chat_drops_weights_and_keeps_tool_turns(write_jsonl, tmp_path):
    record = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                           {"role": "assistant", "content": "Hello", "weight": 1}]}
    out = read(prepare_dataset(write_jsonl([record]), profile("hf-local"), tmp_path / "h").train_path)
    assert out == [{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}]


def test_drop_invalid_and_dedupe_are_counted(write_jsonl, tmp_path):
    path = write_jsonl(chats(12) + ["{bad", {"messages": [{"role": "user", "content": "x"}]}, chat("Question 1?", "Answer 1.")])
    with pytest.raises(InvalidInput, match="2 error"):
        prepare_dataset(path, profile("openai"), tmp_path / "x")
    done = prepare_dataset(path, profile("openai"), tmp_path / "y", drop_invalid=True, dedupe=True)
    assert done.dropped == {"invalid": 2, "duplicates": 1} and done.train_examples == 12
    assert len(read(done.train_path)) == 12


def test_second_file_for_validation(write_jsonl, tmp_path):
    train = write_jsonl(chats(12), "train.jsonl")
    val = write_jsonl(chats(3, prefix="Other"), "val.jsonl")
    done = prepare_dataset(train, profile("azure"), tmp_path / "z", validation_path=val, validation_split=0.5)
    assert (done.train_examples, done.validation_examples) == (12, 3)
    assert len(read(done.validation_path)) == 3 and done.validation_report.ok


def test_too_few_after_splitting_is_refused(write_jsonl, tmp_path):
    with pytest.raises(InvalidInput, match="needs at least 10"):
        prepare_dataset(write_jsonl(chats(11)), profile("openai"), tmp_path / "s", validation_split=0.3)


def test_large_files_shuffle_through_buckets(write_jsonl, tmp_path, monkeypatch):
    from backend.data import prepare

    monkeypatch.setattr(prepare, "BUCKET_LINES", 7)
    done = prepare_dataset(write_jsonl(chats(50)), profile("hf-local"), tmp_path / "b", validation_split=0.1, seed=3)
    lines = read(done.train_path) + read(done.validation_path)
    assert len(lines) == 50 and sorted(map(json.dumps, lines)) == sorted(map(json.dumps, chats(50)))


def test_render_marks_the_assistant_tokens(tiny_model_dir, write_jsonl):
    [example] = list(iter_canonical(write_jsonl([chat("What is the capital of France?", "Paris.", system="Be brief.")])))
    rendered = render_training_example(example, tiny_model_dir)
    assert "<|im_start|>user\nWhat is the capital of France?" in rendered.text
    trained = "".join(rendered.text[a:b] for a, b in rendered.trained_spans)
    assert "Paris." in trained and "France" not in trained and "Be brief" not in trained
    assert 0 < rendered.trained_tokens < rendered.tokens and rendered.exact
