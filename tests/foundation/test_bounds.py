"""Hyperparameters have bounds: the configuration objects refuse out-of-range values with one sentence,
and OpenAI's ranges are the ones its published API description gives."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend import bounds, providers
from backend.bounds import Range, refusal
from backend.errors import InvalidInput
from backend.models import Hyperparameters, ProviderKind, TrainingConfig
from backend.training.defaults import check_options
from backend.training.hardware import ModelFacts
from backend.training.spec import TrainSettings
from tests.fakes.openapi_check import load_spec


def config(provider: str = "openai", **fields) -> TrainingConfig:
    """Built as the app builds one: through the registry, so that the provider's ranges apply."""
    return providers.training_config(provider=provider, base_model="m", training_file="t.jsonl", **fields)


def refused(provider: str = "openai", **fields) -> str:
    with pytest.raises(ValidationError) as caught:
        config(provider, **fields)
    sentence = refusal(caught.value)
    assert isinstance(sentence, InvalidInput)
    return str(sentence)


@pytest.mark.parametrize("provider, hyperparameters, sentence", [
    ("openai", {"n_epochs": -1}, "Epochs -1 is out of range: OpenAI allows 1 to 50."),
    ("openai", {"n_epochs": 0}, "Epochs 0 is out of range: OpenAI allows 1 to 50."),
    ("openai", {"n_epochs": 1_000_000_000}, "Epochs 1000000000 is out of range: OpenAI allows 1 to 50."),
    ("openai", {"n_epochs": 51}, "Epochs 51 is out of range: OpenAI allows 1 to 50."),
    ("azure", {"batch_size": 257}, "Batch size 257 is out of range: Azure OpenAI allows 1 to 256."),
    ("openai", {"batch_size": 0}, "Batch size 0 is out of range: OpenAI allows 1 to 256."),
    ("openai", {"learning_rate_multiplier": 0.0}, "Learning-rate multiplier 0 is out of range: OpenAI allows more "
                                                  "than 0."),
    ("openai", {"beta": 2.5}, "Beta 2.5 is out of range: OpenAI allows more than 0 and at most 2."),
    ("openai", {"beta": 0.0}, "Beta 0 is out of range: OpenAI allows more than 0 and at most 2."),
    ("hf-local", {"n_epochs": -1}, "Epochs -1 is out of range: Training on this computer allows 1 to 100."),
    ("hf-local", {"n_epochs": 1_000_000_000}, "Epochs 1000000000 is out of range: Training on this computer "
                                              "allows 1 to 100."),
    ("hf-local", {"batch_size": 0}, "Batch size 0 is out of range: Training on this computer allows 1 to 1024."),
])
def test_a_configuration_refuses_a_hyperparameter_out_of_its_providers_range(provider, hyperparameters, sentence):
    assert refused(provider, hyperparameters=hyperparameters) == sentence


def test_the_edges_of_each_range_are_accepted():
    accepted = config("openai", hyperparameters={"n_epochs": 50, "batch_size": 1, "learning_rate_multiplier": 1e-6,
                                                  "beta": 2.0}, seed=0, suffix="x" * 64, validation_split=0.0)
    assert accepted.hyperparameters.n_epochs == 50 and accepted.hyperparameters.beta == 2.0
    assert config("hf-local", hyperparameters={"n_epochs": 100, "batch_size": 1024}).hyperparameters.n_epochs == 100
    assert config("openai").hyperparameters.n_epochs == "auto"  # Auto is always allowed


def test_a_hyperparameters_object_alone_refuses_what_no_provider_allows():
    for fields in ({"n_epochs": -1}, {"n_epochs": 101}, {"batch_size": 0}, {"learning_rate_multiplier": -0.5},
                   {"beta": 0.0}):
        with pytest.raises(ValidationError):
            Hyperparameters(**fields)
    assert Hyperparameters(n_epochs=80).n_epochs == 80  # local training allows it; OpenAI's config refuses it
    assert "OpenAI allows 1 to 50" in refused("openai", hyperparameters=Hyperparameters(n_epochs=80))


def test_the_configurations_own_fields_are_bounded():
    assert refused(seed=-1) == "Seed -1 is out of range: allowed: 0 to 2,147,483,647."
    assert refused(validation_split=1.0) == "Validation share 1 is out of range: allowed: at least 0 and less than 1."
    assert refused(suffix="x" * 65).startswith("Suffix 'xxx") and "at most 64 characters" in refused(suffix="x" * 65)
    assert refused(hyperparameters={"n_epochs": "many"}) == ("Epochs 'many' is not valid: input should be a valid "
                                                            "integer, unable to parse string as an integer.")


@pytest.mark.parametrize("field, value, sentence", [
    ("learning_rate", 5.0, "Learning rate 5 is out of range: Training on this computer allows more than 0 and at "
                           "most 1."),
    ("learning_rate", 0.0, "Learning rate 0 is out of range: Training on this computer allows more than 0 and at "
                           "most 1."),
    ("lora_r", 0, "LoRA rank 0 is out of range: Training on this computer allows 1 to 1024."),
    ("batch_size", 0, "Batch size 0 is out of range: Training on this computer allows 1 to 1024."),
    ("gradient_accumulation_steps", 0, "Gradient accumulation 0 is out of range: Training on this computer allows "
                                       "1 to 1024."),
    ("max_length", 4, "Maximum length 4 is out of range: Training on this computer allows 16 to 1,048,576."),
    ("lora_dropout", 1.0, "LoRA dropout 1 is out of range: Training on this computer allows at least 0 and less "
                          "than 1."),
    ("max_steps", 4_000_000_000, "Maximum steps 4000000000 is out of range: Training on this computer allows -1 "
                                 "to 1,000,000."),
    ("epochs", 0.0, "Epochs 0 is out of range: Training on this computer allows more than 0 and at most 100."),
])
def test_local_settings_refuse_out_of_range_values(field, value, sentence):
    with pytest.raises(ValidationError) as caught:
        TrainSettings(**{field: value})
    assert str(refusal(caught.value)) == sentence
    with pytest.raises(InvalidInput) as caught:  # the same, given as a local training option
        check_options(config("hf-local", options={field: value}))
    assert str(caught.value) == sentence
    with pytest.raises(InvalidInput) as caught:  # and as the command line names it
        check_options(config("hf-local", options={field: value}), names={field: f"--option {field}={{value}}"})
    assert str(caught.value).startswith(f"--option {field}=")


def test_the_maximum_length_is_held_to_the_models_context():
    facts = ModelFacts(parameters=1000, hidden_size=8, layers=1, vocab_size=100, max_positions=512)
    assert check_options(config("hf-local", options={"max_length": 512}), facts) == {"max_length": 512}
    with pytest.raises(InvalidInput, match=r"^Maximum length 513 is out of range: this model reads at most 512 "
                                           r"tokens\.$"):
        check_options(config("hf-local", options={"max_length": 513}), facts)


def _numeric(schema: dict) -> Range:
    branch = next(b for b in schema.get("oneOf", [schema]) if b.get("type") in ("integer", "number"))
    low_open = "exclusiveMinimum" in branch
    return Range(branch.get("exclusiveMinimum", branch.get("minimum")), branch.get("maximum"), low_open=low_open)


@pytest.mark.parametrize("schema, field", [
    ("FineTuneSupervisedHyperparameters", "n_epochs"), ("FineTuneSupervisedHyperparameters", "batch_size"),
    ("FineTuneSupervisedHyperparameters", "learning_rate_multiplier"),
    ("FineTuneDPOHyperparameters", "n_epochs"), ("FineTuneDPOHyperparameters", "batch_size"),
    ("FineTuneDPOHyperparameters", "learning_rate_multiplier"), ("FineTuneDPOHyperparameters", "beta"),
])
def test_openais_ranges_are_those_of_its_api_description(schema, field):
    published = _numeric(load_spec()["components"]["schemas"][schema]["properties"][field])
    for provider in (ProviderKind.OPENAI, ProviderKind.AZURE):
        assert providers.hyperparameter_ranges(provider)[1][field] == published


def test_openais_seed_and_suffix_limits_are_those_of_its_api_description():
    request = load_spec()["components"]["schemas"]["CreateFineTuningJobRequest"]["properties"]
    seed = request["seed"]["anyOf"][0] if "anyOf" in request["seed"] else request["seed"]
    assert bounds.CONFIG["seed"] == Range(seed["minimum"], seed["maximum"])
    suffix = request["suffix"]["anyOf"][0] if "anyOf" in request["suffix"] else request["suffix"]
    field = TrainingConfig.model_fields["suffix"]
    assert {type(m).__name__: m for m in field.metadata}["MinLen"].min_length == suffix["minLength"]
    assert {type(m).__name__: m for m in field.metadata}["MaxLen"].max_length == suffix["maxLength"]


def test_ranges_read_as_sentences():
    assert Range(1, 50).describe() == "1 to 50"
    assert Range(0, low_open=True).describe() == "more than 0"
    assert Range(0, 2, low_open=True).describe() == "more than 0 and at most 2"
    assert Range(1).describe() == "at least 1"
    assert 2 in Range(0, 2, low_open=True) and 0 not in Range(0, 2, low_open=True)
    assert bounds.widest("n_epochs") == Range(1, 100) and bounds.widest("learning_rate_multiplier").high is None
