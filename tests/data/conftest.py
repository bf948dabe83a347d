"""Helpers for the data tests: write data files of any shape in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def chat(user: str = "What is 2+2?", answer: str = "4.", system: str | None = None) -> dict:
    messages = [{"role": "system", "content": system}] if system else []
    return {"messages": messages + [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


def chats(n: int, prefix: str = "Question") -> list[dict]:
    return [chat(f"{prefix} {i}?", f"Answer {i}.") for i in range(n)]


@pytest.fixture
def write_jsonl(tmp_path):
    """write_jsonl(records, name) -> Path; a str record is written as the raw line."""
    def write(records, name: str = "data.jsonl") -> Path:
        path = tmp_path / name
        with open(path, "w", encoding="utf-8", newline="") as f:
            for r in records:
                f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
        return path
    return write


def profile(kind: str):
    """The data rules of the registered provider ``kind`` (what the app passes to validation and preparation)."""
    from backend import providers

    return providers.provider_class(kind).data
