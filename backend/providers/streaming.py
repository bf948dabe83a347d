"""The chat-completions shape every streaming provider shares (OpenAI, Azure, Inference Providers, Inference
Endpoints, Ollama): the request's turns and options from the app's models, and the text deltas of a stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from backend.cancel import CancelToken
from backend.models import ChatMessage, ChatParams


def request(messages: list[ChatMessage], params: ChatParams) -> tuple[list[dict], dict]:
    """``(turns, options)``: role and content of each message, and the parameters that are set."""
    turns = [{"role": m.role, "content": m.content} for m in messages]
    return turns, options(params)


def options(params: ChatParams) -> dict:
    """The chat parameters that are set (an unset one is the server's default, never sent as null)."""
    return {k: v for k, v in params.model_dump().items() if v not in (None, [])}


def deltas(stream: Iterable, cancel: CancelToken | None = None) -> Iterator[str]:
    """The text of each chunk of a chat-completions stream, until it ends or ``cancel`` is set."""
    for chunk in stream:
        if cancel is not None and cancel.cancelled:
            return
        for choice in chunk.choices or []:
            if choice.delta and choice.delta.content:
                yield choice.delta.content
