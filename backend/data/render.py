"""An example as a Hugging Face model will see it: rendered through the model's chat template, with the
character ranges of the tokens that are trained on (the assistant's), for the data page's preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backend.data.canonical import CanonicalExample
from backend.data.tokens import load_hf_tokenizer, message_text


@dataclass
class RenderedExample:
    text: str
    trained_spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) character ranges
    tokens: int = 0
    trained_tokens: int = 0
    exact: bool = True  # False: the template has no {% generation %} markers; spans found by content search


def _plain(messages: list[dict]) -> list[dict]:
    return [{"role": m.get("role", "user"), "content": message_text(m)} for m in messages]


def _spans(offsets: list[tuple[int, int]], mask: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for (start, end), trained in zip(offsets, mask):
        if not trained or end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def render_training_example(example: CanonicalExample, tokenizer_path: str | Path) -> RenderedExample:
    """Render ``example`` with the chat template of the model in ``tokenizer_path`` (a local folder)."""
    tok = load_hf_tokenizer(str(tokenizer_path))
    if example.text is not None:
        ids = tok(example.text, add_special_tokens=False)["input_ids"]
        return RenderedExample(example.text, [(0, len(example.text))], len(ids), len(ids))
    messages = _plain(example.messages + (example.chosen or []))
    text = tok.apply_chat_template(messages, tokenize=False)
    encoded = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = [tuple(o) for o in encoded["offset_mapping"]]
    mask: list[int] = []
    try:
        out = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        mask = list(out.get("assistant_masks") or [])
    except (ValueError, TypeError):  # a template without generation markers, or a slow tokenizer
        mask = []
    if any(mask) and len(mask) == len(offsets):
        spans = _spans(offsets, mask)
        return RenderedExample(text, spans, len(offsets), sum(mask))
    # No {% generation %} markers: mark each assistant message's content where it appears, in order.
    spans, cursor = [], 0
    for m in messages:
        if m["role"] == "assistant" and m["content"]:
            at = text.find(m["content"], cursor)
            if at >= 0:
                spans.append((at, at + len(m["content"])))
                cursor = at + len(m["content"])
    trained = sum(1 for s, e in offsets if any(a <= s < b for a, b in spans))
    return RenderedExample(text, spans, len(offsets), trained, exact=False)
