"""Whose rules a validation applies (minimum examples, context length, price), and how the provider is told
from a model id when the user named none.

A report that says READY must have been checked against the rules of the place the data goes: a file of
5 examples is fine for local training and refused by OpenAI. So when only a model is given, the provider is
inferred where the model id leaves no doubt (``gpt-*``, ``ft:gpt-*``, ``o1``/``o3``/``o4`` and the legacy
``babbage``/``davinci`` models are OpenAI's; ``gpt-35-*`` and ``*.ft-*`` are Azure's spellings; an ``owner/name``
Hub id or a local model folder is for training on this computer), and every report says in a sentence which
rules were applied and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from backend.data.checks import PROVIDER_MINIMUM
from backend.models import ProviderKind

_OPENAI = re.compile(r"^(ft:)?(gpt-|o\d+(-|$)|(babbage|davinci)-)", re.IGNORECASE)
_AZURE = re.compile(r"^gpt-35-|\.ft-[0-9a-f]+$", re.IGNORECASE)
_HUB_MODEL = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


def is_model_folder(model: str) -> bool:
    return Path(model).expanduser().is_dir()


def infer_provider(model: str | None) -> ProviderKind | None:
    """The provider a model id belongs to, or None when the id does not say (or no model is given)."""
    if not model:
        return None
    if is_model_folder(model):
        return ProviderKind.HF_LOCAL
    if _AZURE.search(model):
        return ProviderKind.AZURE
    if _OPENAI.match(model):
        return ProviderKind.OPENAI
    return ProviderKind.HF_LOCAL if _HUB_MODEL.match(model) else None


def _local_context(model: str) -> int | None:
    """A Hugging Face model's context length, from what is known without a download: the app's suggested
    models, or a local folder's config.json."""
    import json

    from backend.hub import SUGGESTED

    for info in SUGGESTED:
        if info.id == model:
            return info.context_length
    config = Path(model).expanduser() / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data = data.get("text_config", data) if isinstance(data, dict) else {}
    value = data.get("max_position_embeddings") if isinstance(data, dict) else None
    return value if isinstance(value, int) and value > 0 else None


@dataclass(frozen=True)
class Rules:
    """What a validation checks against: a provider (or none), its minimum, the model's context length."""

    provider: ProviderKind | None
    inferred: bool
    minimum: int
    context_length: int | None
    sentence: str


def rules_for(provider: ProviderKind | str | None, model: str | None, context_length: int | None = None,
              minimum: int | None = None) -> Rules:
    """The rules for ``provider`` (inferred from ``model`` when None) and ``model``; ``context_length`` and
    ``minimum`` override the provider's own (a validation file has no minimum of its own)."""
    from backend.data.pricing import estimate_price, max_tokens_per_example

    given = ProviderKind(provider) if provider else None
    chosen = given or infer_provider(model)
    hosted = chosen in (ProviderKind.OPENAI, ProviderKind.AZURE)
    if hosted:
        context = context_length or max_tokens_per_example(chosen, model)
    elif chosen is not None and model:
        context = context_length or _local_context(model)
    else:
        context = context_length
    least = minimum if minimum is not None else PROVIDER_MINIMUM.get(chosen.value, 1) if chosen else 1
    limits = [f"at least {least:,} example{'s' * (least != 1)}",
              f"at most {context:,} tokens per example" if context else "no context-length check" + (
                  "" if chosen is None else " (the model's context length is not known)" if model
                  else " (no model given)")]
    if hosted or chosen is None:
        price = estimate_price(0, chosen, model) if hosted else None
        limits.append(f"prices as of {price.as_of}" if price else "no price" + (
            "" if not hosted else " (the model is not in the price table)" if model else " (no model given)"))
    if chosen is None:
        why = (f"the provider cannot be told from the model {model!r}" if model
               else "no provider or model was given")
        sentence = f"Rules applied: no provider's ({why}), only generic ones: {', '.join(limits)}."
    else:
        how = "as chosen" if given else f"inferred from the model {model!r}"
        sentence = f"Rules applied: {chosen.label}, {how}: {', '.join(limits)}."
    return Rules(chosen, given is None and chosen is not None, least, context, sentence)
