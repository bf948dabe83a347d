"""What a provider's training data must look like: the facts the data layer needs about a provider.

A provider class declares one ``DataProfile`` (``ProviderBase.data``); validation, preparation and the cost
estimate read it, so ``backend.data`` never branches on which provider it is preparing for.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Dialect(str, Enum):
    """The shape of one training record in the file a provider receives."""

    OPENAI = "openai"  # OpenAI's chat JSONL ({"messages": [...]}, weights allowed)
    TRL = "trl"  # TRL's conversational JSONL (no weights; text content)


class ContextSource(str, Enum):
    """Where the longest example a model takes is learned."""

    PRICE_TABLE = "price-table"  # resources/prices.json (max tokens per example)
    MODEL_CONFIG = "model-config"  # the downloaded model's config
    NONE = "none"  # not checked


class TokenizerSource(str, Enum):
    """What counts tokens for the statistics and the price."""

    TIKTOKEN = "tiktoken"  # OpenAI's encodings
    MODEL_FOLDER = "model-folder"  # the model's own tokenizer (local training)


@dataclass(frozen=True)
class DataProfile:
    """``who`` is how a message names the provider ("OpenAI needs at least 10 examples"); ``price_table`` the
    provider's key in resources/prices.json, or None where training is not billed by token."""

    who: str
    dialect: Dialect
    min_examples: int
    plain_text: bool  # trains on plain text as well as on chats
    context: ContextSource
    tokenizer: TokenizerSource
    price_table: str | None = None
