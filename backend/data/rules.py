"""Whose rules a validation applies (minimum examples, context length, price), said in a sentence.

A report that says READY must have been checked against the rules of the place the data goes: a file of
5 examples is fine for local training and refused by OpenAI. Those rules are the provider's ``DataProfile``
(``ProviderBase.data``), which the caller passes; which provider a bare model id means is the registry's
question (``backend.providers.infer_kind``), asked by the command line, so this package never names one. Every
report says in a sentence which rules were applied and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from backend.data.profile import ContextSource, DataProfile


def _model_config_context(model: str) -> int | None:
    """A Hugging Face model's context length, from what is known without a download: the app's suggested
    models, or a local folder's config.json."""
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
    """What a validation checks against: a provider's profile (or none), its minimum, the model's context
    length. ``provider`` is the caller's name for the provider (a registry kind), recorded on the report so
    that a report made for another provider can be told apart; this package does not read it."""

    profile: DataProfile | None
    provider: str | None
    inferred: bool
    minimum: int
    context_length: int | None
    sentence: str


def _context(profile: DataProfile | None, model: str | None) -> int | None:
    if profile is None or not model:
        return None
    if profile.context is ContextSource.PRICE_TABLE and profile.price_table:
        from backend.data.pricing import max_tokens_per_example

        return max_tokens_per_example(profile.price_table, model)
    if profile.context is ContextSource.MODEL_CONFIG:
        return _model_config_context(model)
    return None


def rules_for(profile: DataProfile | None, model: str | None, *, provider: str | None = None,
              inferred: bool = False, context_length: int | None = None, minimum: int | None = None) -> Rules:
    """The rules of ``profile`` (None: only generic ones) for ``model``; ``inferred``: the caller took the
    provider from the model id (the sentence says so). ``context_length`` and ``minimum`` override the
    profile's own (a validation file has no minimum of its own)."""
    from backend.data.pricing import estimate_price

    context = context_length or _context(profile, model)
    least = minimum if minimum is not None else profile.min_examples if profile is not None else 1
    checks_context = profile is not None and profile.context is not ContextSource.NONE
    limits = [f"at least {least:,} example{'s' * (least != 1)}",
              f"at most {context:,} tokens per example" if context else "no context-length check" + (
                  "" if not checks_context else " (the model's context length is not known)" if model
                  else " (no model given)")]
    priced = profile is not None and profile.price_table is not None
    if priced or profile is None:
        price = estimate_price(0, profile.price_table, model) if priced else None
        limits.append(f"prices as of {price.as_of}" if price else "no price" + (
            "" if not priced else " (the model is not in the price table)" if model else " (no model given)"))
    if profile is None:
        why = (f"the provider cannot be told from the model {model!r}" if model
               else "no provider or model was given")
        sentence = f"Rules applied: no provider's ({why}), only generic ones: {', '.join(limits)}."
    else:
        how = f"inferred from the model {model!r}" if inferred else "as chosen"
        sentence = f"Rules applied: {profile.who}, {how}: {', '.join(limits)}."
    return Rules(profile, str(provider) if provider is not None and profile is not None else None,
                 inferred and profile is not None, least, context, sentence)
