"""Chat-template rendering with trained spans."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RenderedExample:
    text: str
    trained_spans: list[tuple[int, int]] = field(default_factory=list)  # character ranges of trained tokens
    tokens: int = 0
    trained_tokens: int = 0


def render_training_example(example, tokenizer_path) -> RenderedExample:
    raise NotImplementedError
