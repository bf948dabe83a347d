"""Epoch defaults (the cookbook's rule) and price estimates from the dated table in resources/prices.json.
(The duration of local training is estimated by backend.training's plan, from this report's token counts.)"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.data.report import PriceEstimate
from backend.data.tokens import base_model_name

PRICES_FILE = Path(__file__).resolve().parents[2] / "resources" / "prices.json"

# The OpenAI cookbook's defaults: aim for 3 passes, but see at least 100 and at most 25,000 examples.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def default_epochs(n_examples: int) -> int:
    """The epoch count OpenAI picks for ``n_examples`` when epochs are left on "auto"."""
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


@lru_cache(maxsize=1)
def load_prices() -> dict[str, Any]:
    """The price table: {"as_of", "source", "providers": {provider: {model: {...}}}}."""
    return json.loads(PRICES_FILE.read_text(encoding="utf-8"))


def _model_entry(table_key: str | None, model: str | None) -> tuple[str, dict] | None:
    if not table_key or not model:
        return None
    table = load_prices()["providers"].get(table_key, {})
    name = base_model_name(model)
    if name in table:
        return name, table[name]
    # A family name ("gpt-4o") means its dated snapshots ("gpt-4o-2024-08-06"), not "gpt-4o-mini-...".
    matches = sorted(m for m in table if m.startswith(name + "-") and m[len(name) + 1:][:1].isdigit())
    matches = matches or sorted(m for m in table if name.startswith(m))
    return (matches[-1], table[matches[-1]]) if matches else None  # newest snapshot of a family name


def max_tokens_per_example(table: str | None, model: str | None) -> int | None:
    """The longest example ``model`` takes, from the price table ``table`` (``DataProfile.price_table``)."""
    entry = _model_entry(table, model)
    return entry[1].get("max_tokens_per_example") if entry else None


def estimate_price(billed_tokens: int, table: str | None, model: str | None) -> PriceEstimate | None:
    """Training cost in USD for ``billed_tokens`` (tokens x epochs) from the price table ``table`` (a
    provider's ``DataProfile.price_table``: "openai", "azure"); None where the table has no price."""
    entry = _model_entry(table, model)
    if entry is None:
        return None
    name, row = entry
    prices = load_prices()
    rate = float(row["training_per_million"])
    return PriceEstimate(amount_usd=billed_tokens * rate / 1e6, usd_per_million_tokens=rate,
                         billed_tokens=billed_tokens, model=name, as_of=prices["as_of"], source=prices["source"])



def request_prices(table: str | None, model: str | None, *, fine_tuned: bool) -> tuple[float, float, str] | None:
    """(USD per million prompt tokens, per million completion tokens, the table's date) for a request to
    ``model`` (a fine-tuned model is priced at its base's fine-tuned rate); None where the table has no price."""
    entry = _model_entry(table, model)
    if entry is None:
        return None
    row = entry[1]
    prefix = "fine_tuned_" if fine_tuned else ""
    if f"{prefix}input_per_million" not in row:
        return None
    return float(row[f"{prefix}input_per_million"]), float(row[f"{prefix}output_per_million"]), load_prices()["as_of"]
