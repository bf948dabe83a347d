"""What hosting a fine-tuned model on Azure OpenAI costs per hour, by deployment type: stated before the user
confirms a deployment.

A fine-tuned deployment is billed by the hour while it exists, whether or not it is used, besides the tokens it
serves. Developer deployments have no hosting charge (Azure deletes them after 24 hours).
Figures in US dollars from Azure's price page (``SOURCE``) as recorded on ``AS_OF``; they were not checked again
when this table was written (no network), and prices vary by region and change: the sentence says so.
"""

from __future__ import annotations

SOURCE = "https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/"
AS_OF = "2025-09-30"
#: Hosting per hour (USD) of a fine-tuned model by its base model family (Standard and Global Standard).
HOSTING_PER_HOUR = {
    "gpt-4.1-nano": 1.70,
    "gpt-4.1-mini": 1.70,
    "gpt-4.1": 1.70,
    "gpt-4o-mini": 1.70,
    "gpt-4o": 1.70,
    "o4-mini": 1.70,
    "gpt-35-turbo": 1.70,
}
FREE_SKUS = frozenset({"developertier"})


def base_family(model: str) -> str | None:
    """The price table's family of a fine-tuned model ("gpt-4o-mini-2024-07-18.ft-abc" -> "gpt-4o-mini")."""
    base = model.split(".ft-")[0].lower()
    matches = [family for family in HOSTING_PER_HOUR if base.startswith(family)]
    return max(matches, key=len) if matches else None


def hourly(model: str, sku: str) -> float | None:
    """USD per hour of hosting, None when the table does not know the model."""
    if sku.lower() in FREE_SKUS:
        return 0.0
    family = base_family(model)
    return HOSTING_PER_HOUR[family] if family else None


def quote(model: str, sku: str) -> str:
    """The hosting cost in one sentence, with the table's source and date."""
    where = f"Azure's price list as of {AS_OF} ({SOURCE}); check it for your region"
    price = hourly(model, sku)
    if price == 0.0:
        return f"Developer hosting is free; Azure deletes the deployment 24 hours after it is created ({where})."
    if price is None:
        return f"Hosting a fine-tuned model is billed by the hour while the deployment exists; the price of this " \
               f"model is not in the app's table: see {SOURCE}."
    return (f"Hosting costs about ${price:.2f} an hour (${price * 24:.2f} a day) while the deployment exists, "
            f"used or not, plus the tokens it serves ({where}).")
