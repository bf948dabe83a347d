"""Token counting, offline."""
from __future__ import annotations


def ensure_tiktoken_offline() -> None:
    raise NotImplementedError


def encoding_name_for_model(model: str | None) -> str:
    raise NotImplementedError


def count_tokens(value, model=None, tokenizer_path=None) -> int:
    raise NotImplementedError
