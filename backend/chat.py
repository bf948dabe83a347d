"""Playground conversations: which models, what was said, how fast each reply came; saved as JSON files.

A conversation holds one system prompt and one set of parameters shared by its panes (so a
comparison is fair) and, per pane, a model and its turns. Replies are streamed through the
provider's ``chat_stream``; ``timed`` wraps that stream to measure time to first token and tokens
per second. "Add to dataset" appends an exchange to a chat JSONL file, closing the loop to training.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend import paths
from backend.cancel import CancelToken
from backend.errors import InvalidInput
from backend.models import ChatMessage, ChatParams, ModelRef, RefKind, new_id, utcnow  # noqa: F401  (ModelRef, RefKind: re-exported)


@runtime_checkable
class CountedStream(Protocol):
    """A reply stream that counts the tokens it generated (a local model's ``LocalReply``): ``timed`` reports that
    count rather than the number of chunks."""

    token_count: int


class ReplyStats(BaseModel):
    """How a reply arrived: seconds to the first text, generated tokens and their rate after it."""

    first_token_s: float | None = None
    total_s: float = 0.0
    tokens: int = 0
    tokens_per_s: float | None = None
    stopped: bool = False

    def summary(self) -> str:
        parts = []
        if self.first_token_s is not None:
            parts.append(f"first token {self.first_token_s * 1000:.0f} ms")
        if self.tokens_per_s is not None:
            parts.append(f"{self.tokens_per_s:.1f} tokens/s")
        parts.append(f"{self.tokens} tokens")
        if self.stopped:
            parts.append("stopped")
        return " · ".join(parts)


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    stats: ReplyStats | None = None
    error: str | None = None  # a reply that failed keeps what arrived and says why


class Pane(BaseModel):
    model: ModelRef
    turns: list[Turn] = Field(default_factory=list)


class Conversation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=new_id)
    title: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    system_prompt: str = ""
    params: ChatParams = Field(default_factory=ChatParams)
    panes: list[Pane] = Field(default_factory=list)


def messages_for(conversation: Conversation, pane: int, upto: int | None = None) -> list[ChatMessage]:
    """The messages sent for pane ``pane``: the system prompt, then its turns before index ``upto``."""
    messages = [ChatMessage(role="system", content=conversation.system_prompt)] if conversation.system_prompt else []
    turns = conversation.panes[pane].turns[:upto]
    return messages + [ChatMessage(role=t.role, content=t.content) for t in turns if t.content or t.role == "user"]


def timed(deltas: Iterator[str], cancel: CancelToken | None = None, clock: Callable[[], float] = time.perf_counter,
          start: float | None = None) -> Iterator[str | ReplyStats]:
    """Yields the deltas, then one ReplyStats. Tokens are the stream's own count when it keeps one
    (local models), else its chunks (OpenAI sends about one token per chunk)."""
    start = clock() if start is None else start
    first = last = None
    chunks = 0
    for delta in deltas:
        last = clock()
        if first is None:
            first = last
        chunks += 1
        yield delta
    end = clock()
    tokens = (deltas.token_count if isinstance(deltas, CountedStream) else 0) or chunks
    rate = None
    if first is not None and tokens > 1 and (last or end) > first:
        rate = (tokens - 1) / ((last or end) - first)
    yield ReplyStats(first_token_s=None if first is None else first - start, total_s=end - start, tokens=tokens,
                     tokens_per_s=rate, stopped=bool(cancel and cancel.cancelled))


def provider_for(ref: ModelRef):
    """The provider that serves ``ref``, opened as its class's account needs say (``providers.open_provider``)."""
    if ref.provider is None:
        raise InvalidInput("No model is chosen yet.", hint="Pick a model first.")
    from backend.providers import open_provider

    return open_provider(ref.provider, ref.account_id)


def stream_reply(ref: ModelRef, messages: list[ChatMessage], params: ChatParams, cancel: CancelToken | None = None,
                 provider=None) -> Iterator[str | ReplyStats]:
    """The reply of ``ref`` as text deltas, then its ReplyStats. Time to first token counts from the
    request; callers load the model first where the provider loads one (``LoadsModel``), so that loading is not counted."""
    start = time.perf_counter()
    provider = provider or provider_for(ref)
    yield from timed(provider.chat_stream(ref.model, messages, params, cancel), cancel, start=start)


def warm_up(provider) -> None:
    """Builds a remote provider's client ahead of the first reply (SDK imports, TLS setup), where the provider
    can (``WarmsUp``), so that work happens while the user types rather than while replies stream."""
    from backend.providers.base import WarmsUp

    if isinstance(provider, WarmsUp):
        provider.warm_up()


# -- files ------------------------------------------------------------------------------------------------
def conversations_dir() -> Path:
    folder = paths.data_dir() / "conversations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_conversation(conversation: Conversation, path: Path | str | None = None) -> Path:
    """Write the conversation as JSON (atomically); by default in the app's conversations folder."""
    path = Path(path) if path else conversations_dir() / f"{conversation.id}.json"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(conversation.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def open_conversation(path: Path | str) -> Conversation:
    path = Path(path)
    try:
        return Conversation.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"The conversation file “{path}” cannot be read: {exc.strerror or exc}.") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the top level"
        raise InvalidInput(f"“{path}” is not a saved conversation: {first['msg']} at {where}.",
                           hint="Choose a file saved from the playground.") from None


def list_conversations() -> list[tuple[Path, Conversation]]:
    """Saved conversations, newest first; unreadable files are skipped."""
    found = []
    for path in conversations_dir().glob("*.json"):
        try:
            found.append((path, open_conversation(path)))
        except InvalidInput:
            continue
    return sorted(found, key=lambda item: item[1].created_at, reverse=True)


def add_to_dataset(path: Path | str, messages: list[ChatMessage]) -> dict:
    """Append one training example ``{"messages": [...]}`` to a chat JSONL file; returns it."""
    path = Path(path)
    turns = [{"role": m.role, "content": m.content} for m in messages if m.content or m.role != "system"]
    if not any(t["role"] == "user" for t in turns) or not turns or turns[-1]["role"] != "assistant":
        raise InvalidInput("A training example needs a user message and ends with the assistant's reply.",
                           hint="Choose a turn that has a reply.")
    if any(not t["content"].strip() for t in turns if t["role"] == "assistant"):
        raise InvalidInput("The assistant's reply is empty.", hint="Write the reply you want before adding it.")
    example = {"messages": turns}
    line = json.dumps(example, ensure_ascii=False) + "\n"
    try:
        with path.open("a+b") as handle:
            handle.seek(0, 2)
            if handle.tell() > 0:  # a file that does not end with a newline would glue two examples together
                handle.seek(-1, 2)
                if handle.read(1) != b"\n":
                    line = "\n" + line
            handle.write(line.encode("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"Cannot add the example to “{path}”: {exc.strerror or exc}.",
                           hint="Choose a file you can write to.") from None
    return example
