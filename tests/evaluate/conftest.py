"""Fixtures for evaluation: a capitals test set, the fake OpenAI service answering like a base model (wrong
unless shown examples), a fine-tune (right, short prompts) and a judge that knows the reference."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backend.models import Account, AccountKind, ModelRef, ProviderKind

BASE = "gpt-4o-mini-2024-07-18"
TUNED = "ft:gpt-4o-mini-2024-07-18:acme::abc123"
JUDGE = "gpt-4.1-mini-2025-04-14"
CAPITALS = {"France": "Paris", "Italy": "Rome", "Germany": "Berlin", "Spain": "Madrid", "Portugal": "Lisbon",
            "Austria": "Vienna", "Poland": "Warsaw", "Greece": "Athens", "Norway": "Oslo", "Sweden": "Stockholm",
            "Finland": "Helsinki", "Ireland": "Dublin"}


def chat(country: str) -> dict:
    return {"messages": [{"role": "system", "content": "Answer with the city only."},
                         {"role": "user", "content": f"What is the capital of {country}?"},
                         {"role": "assistant", "content": f"{CAPITALS[country]}."}]}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    """(test set: 4 questions, training set: 8 others)."""
    names = list(CAPITALS)
    return (write_jsonl(tmp_path / "test.jsonl", [chat(c) for c in names[:4]]),
            write_jsonl(tmp_path / "train.jsonl", [chat(c) for c in names[4:]]))


def words(text: str | None) -> int:
    return len((text or "").split())


def reported_usage(body: dict) -> tuple[int, int]:
    """What the fake bills: one token per word of the prompt, one per word of the reply (set in ``reply``)."""
    return sum(words(m.get("content")) for m in body["messages"]), words(body.get("_reply"))


def reply(body: dict):
    """The fake's models: the fine-tune knows every capital; the base only when the prompt shows examples
    (a few-shot or retrieval prompt); the judge prefers the answer that holds the reference."""
    messages = body["messages"]
    last = messages[-1]["content"]
    if body["model"] == JUDGE:
        reference = re.search(r"Reference answer:\n(.*?)\n", last).group(1)
        a = re.search(r"Answer A:\n(.*?)\n\nAnswer B:", last, re.S).group(1)
        b = re.search(r"Answer B:\n(.*?)\n\nWhich", last, re.S).group(1)
        text = "TIE" if (reference in a) == (reference in b) else ("A" if reference in a else "B")
    else:
        country = re.search(r"capital of (\w+)", last).group(1)
        shown = sum(m["role"] == "assistant" for m in messages)
        text = f"{CAPITALS[country]}." if body["model"] == TUNED or shown else f"I believe it is {country}ville."
    body["_reply"] = text
    return text


@pytest.fixture
def fake(fake_openai):
    state = fake_openai.state
    state.extra_models.append({"id": TUNED, "object": "model", "created": 1700000000, "owned_by": "acme"})
    state.reply_fn = reply
    state.usage_fn = reported_usage
    return fake_openai


def opener(fake_openai):
    """Opens providers as the app does for a saved OpenAI account (without the keyring)."""
    from backend.providers.openai import OpenAIProvider

    account = Account(name="test", kind=AccountKind.OPENAI, base_url=fake_openai.base_url)
    return lambda ref: OpenAIProvider(account=account, secret=fake_openai.api_key)


def ref(model: str, kind: str = "base") -> ModelRef:
    return ModelRef(provider=ProviderKind.OPENAI, model=model, label=model, kind=kind)
