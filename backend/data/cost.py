"""What a fine-tune costs: one computation for the review page, the command line and the job record.

Billed tokens are those of the training share (a validation split is not trained on), times the epochs
(the provider's default for "auto"); the price comes from the provider's table in resources/prices.json
(``DataProfile.price_table``). A provider with no price table bills nothing per token: ``free``.
"""

from __future__ import annotations

from typing import Literal

from backend.data.pricing import estimate_price
from backend.data.profile import DataProfile
from backend.data.report import Stats
from backend.models import CostEstimate


def split_sizes(count: int, split: float, has_validation_file: bool) -> tuple[int, int]:
    """(training, validation) examples of ``count`` when a share ``split`` is held out for validation. A
    separate validation file holds none back; at least one example always stays for training."""
    if has_validation_file or split <= 0 or count < 2:
        return count, 0
    held = min(count - 1, max(1, round(count * split)))
    return count - held, held


def training_cost(stats: Stats, *, training_examples: int, epochs: int | Literal["auto"],
                  profile: DataProfile | None, model: str | None) -> CostEstimate:
    """The estimate for training ``training_examples`` of the examples ``stats`` describes (its valid ones):
    their billed tokens are scaled to that share."""
    valid = stats.valid_examples or training_examples
    share = training_examples / valid if valid else 0.0
    tokens = round(stats.billed_tokens_per_epoch * min(1.0, share))
    rounds = epochs if isinstance(epochs, int) else stats.default_epochs
    billed = tokens * rounds
    table = profile.price_table if profile is not None else None
    price = estimate_price(billed, table, model) if table else None
    return CostEstimate(training_examples=training_examples, epochs=rounds, tokens_per_epoch=tokens,
                        billed_tokens=billed, price=price, free=profile is not None and table is None)
