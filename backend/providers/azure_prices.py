"""What hosting a fine-tuned model on Azure OpenAI costs per hour, by deployment type: stated before the user
confirms a deployment.

A fine-tuned deployment is billed by the hour while it exists, whether or not it is used, besides the tokens it
serves; Developer deployments have no hosting charge (Azure deletes them after 24 hours). The figures live in the
dated table ``resources/azure_hosting.json`` (its ``as_of`` and ``source`` go into every sentence), beside the
training prices of ``resources/prices.json``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

TABLE = Path(__file__).resolve().parents[2] / "resources" / "azure_hosting.json"


@functools.lru_cache(maxsize=1)
def table() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def base_family(model: str) -> str | None:
    """The table's family of a fine-tuned model ("gpt-4o-mini-2024-07-18.ft-abc" -> "gpt-4o-mini")."""
    base = model.split(".ft-")[0].lower()
    matches = [family for family in table()["hosting_per_hour"] if base.startswith(family)]
    return max(matches, key=len) if matches else None


def hourly(model: str, sku: str) -> float | None:
    """USD per hour of hosting, None when the table does not know the model."""
    if sku.lower() in {s.lower() for s in table()["free_skus"]}:
        return 0.0
    family = base_family(model)
    return table()["hosting_per_hour"][family] if family else None


def quote(model: str, sku: str) -> str:
    """The hosting cost in one sentence, with the table's date and source."""
    source = "https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/"
    where = f"Azure's price list as of {table()['as_of']}, {source}; check it for your region"
    price = hourly(model, sku)
    if price == 0.0:
        return f"Developer hosting is free; Azure deletes the deployment 24 hours after it is created ({where})."
    if price is None:
        return (f"Hosting a fine-tuned model is billed by the hour while the deployment exists; this model's price "
                f"is not in the app's table: see {source}.")
    return (f"Hosting costs about ${price:.2f} an hour (${price * 24:.2f} a day) while the deployment exists, "
            f"used or not, plus the tokens it serves ({where}).")
