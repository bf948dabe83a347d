"""The one canonical form every format is converted to: OpenAI-style chat messages (with tool calls and
weights) plus tools; a preference example is prompt messages plus a chosen and a rejected reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(slots=True)
class CanonicalExample:
    line: int  # 1-based line (or record number) in the source
    messages: list[dict[str, Any]] = field(default_factory=list)  # the prompt, for preference examples
    tools: list[dict[str, Any]] | None = None
    chosen: list[dict[str, Any]] | None = None  # preference only: assistant message(s)
    rejected: list[dict[str, Any]] | None = None
    text: str | None = None  # plain-text language-model training

    @property
    def kind(self) -> Literal["chat", "preference", "text"]:
        if self.chosen is not None:
            return "preference"
        return "text" if self.text is not None else "chat"
