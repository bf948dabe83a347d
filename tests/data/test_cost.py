"""One cost computation: billed tokens of the training share times the epochs, priced from the provider's table;
and the split sizes that preparation itself uses."""

from __future__ import annotations

import pytest

from backend.data import prepare_dataset, validate_file
from backend.data.cost import split_sizes, training_cost
from backend.data.pricing import estimate_price
from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.data.report import Stats
from backend.models import CostEstimate, TrainingConfig
from backend.providers import provider_class
from tests.data.conftest import chats, profile

MODEL = "gpt-4o-mini-2024-07-18"


@pytest.mark.parametrize("count, split, has_file, sizes", [
    (10, 0.2, False, (8, 2)), (10, 0.0, False, (10, 0)), (10, 0.2, True, (10, 0)), (1, 0.5, False, (1, 0)),
    (3, 0.01, False, (2, 1)), (2, 0.99, False, (1, 1)), (0, 0.3, False, (0, 0)),
])
def test_split_sizes(count, split, has_file, sizes):
    assert split_sizes(count, split, has_file) == sizes


@pytest.mark.parametrize("count, split", [(20, 0.2), (17, 0.3), (11, 0.05)])
def test_preparation_splits_as_split_sizes_says(write_jsonl, tmp_path, count, split):
    prepared = prepare_dataset(write_jsonl(chats(count)), profile("openai"), tmp_path / "out", validation_split=split)
    assert (prepared.train_examples, prepared.validation_examples) == split_sizes(count, split, False)


def test_the_price_is_that_of_the_training_share(write_jsonl):
    openai = provider_class("openai").data
    report = validate_file(write_jsonl(chats(20)), profile=openai, model=MODEL)
    stats = report.stats
    whole = training_cost(stats, training_examples=20, epochs=3, profile=openai, model=MODEL)
    assert whole.tokens_per_epoch == stats.billed_tokens_per_epoch and whole.billed_tokens == 3 * whole.tokens_per_epoch
    assert whole.price == estimate_price(whole.billed_tokens, "openai", MODEL) and whole.price is not None
    assert not whole.free
    training, _ = split_sizes(20, 0.2, False)
    share = training_cost(stats, training_examples=training, epochs=3, profile=openai, model=MODEL)
    assert share.training_examples == 16
    assert share.tokens_per_epoch == round(stats.billed_tokens_per_epoch * 16 / 20)
    assert share.price.amount_usd == pytest.approx(whole.price.amount_usd * 16 / 20, rel=0.01)
    assert share.price.amount_usd < whole.price.amount_usd


def test_auto_epochs_are_the_providers_default():
    stats = Stats(examples=50, valid_examples=50, billed_tokens_per_epoch=1000, default_epochs=2)
    cost = training_cost(stats, training_examples=50, epochs="auto", profile=provider_class("azure").data,
                         model=MODEL)
    assert (cost.epochs, cost.billed_tokens) == (2, 2000)
    assert cost.price == estimate_price(2000, "azure", MODEL)


def test_training_on_this_computer_is_free_and_an_unknown_model_has_no_price():
    stats = Stats(examples=10, valid_examples=10, billed_tokens_per_epoch=500, default_epochs=3)
    local = training_cost(stats, training_examples=10, epochs=1, profile=provider_class("hf-local").data,
                          model="Qwen/Qwen2.5-0.5B-Instruct")
    assert local.free and local.price is None and local.billed_tokens == 500
    unknown = training_cost(stats, training_examples=10, epochs=1, profile=provider_class("openai").data,
                            model="not-a-priced-model")
    assert not unknown.free and unknown.price is None
    no_table = DataProfile("Nobody", Dialect.OPENAI, 1, False, ContextSource.NONE, TokenizerSource.TIKTOKEN, None)
    assert training_cost(stats, training_examples=10, epochs=1, profile=no_table, model=MODEL).free
    assert CostEstimate.model_validate_json(local.model_dump_json()) == local  # a job record holds it


def test_a_config_carries_its_data_settings_from_the_options():
    config = TrainingConfig(provider="hf-local", base_model="m", training_file="t.csv",
                            options={"data_format": "csv", "column_mapping": {"q": "user"}, "dedupe": True,
                                     "lora_r": 8})
    settings = config.data_settings
    assert (settings.format, settings.column_mapping, settings.dedupe, settings.drop_invalid) == \
        ("csv", {"q": "user"}, True, False)
