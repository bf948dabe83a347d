"""What the data page set up reaches an OpenAI launch whole: a CSV read with its column mapping, and the cost
the review page shows recorded on the job."""

from __future__ import annotations

import csv
import json

from backend.data.cost import split_sizes, training_cost
from backend.data.validate import validate_file
from backend.launch import launch
from backend.models import DataSummary, ProviderKind, TrainingConfig
from backend.providers.openai import OpenAIProvider

MODEL = "gpt-4o-mini-2024-07-18"


def write_pairs(path, n: int = 15):
    """Columns no guess maps to roles, and a suffix that reads as plain text: only the data page's format and
    mapping make these chats."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["frage", "antwort"])
        for i in range(n):
            writer.writerow([f"What is {i} times 3?", f"{3 * i}."])
    return str(path)


def mapped_config(path, **kw) -> TrainingConfig:
    return TrainingConfig(provider=ProviderKind.OPENAI, base_model=MODEL, training_file=path,
                          options={"data_format": "csv", "column_mapping": {"user": "frage", "assistant": "antwort"}},
                          **kw)


def test_a_csv_mapped_on_the_data_page_uploads_the_mapped_chats(provider, fake_openai, store, tmp_path):
    path = write_pairs(tmp_path / "pairs.txt")
    job = launch(mapped_config(path), store=store, provider=provider)
    uploaded = fake_openai.state.file_bytes[fake_openai.jobs()[0]["training_file"]].decode("utf-8")
    records = [json.loads(line) for line in uploaded.splitlines()]
    assert len(records) == 15 and job.data_summary["training_examples"] == 15
    assert {json.dumps(r, sort_keys=True) for r in records} == {
        json.dumps({"messages": [{"role": "user", "content": f"What is {i} times 3?"},
                                 {"role": "assistant", "content": f"{3 * i}."}]}, sort_keys=True)
        for i in range(15)}


def test_the_recorded_cost_is_what_the_review_page_computes_with_a_split(provider, fake_openai, store, tmp_path):
    path = write_pairs(tmp_path / "pairs.csv", n=20)
    config = mapped_config(path, validation_split=0.2)
    job = launch(config, store=store, provider=provider)
    # What the review page computes from the data page's report: the training share, the provider's profile.
    report = validate_file(path, format="csv", column_mapping=config.data_settings.column_mapping,
                           profile=OpenAIProvider.data, model=MODEL)
    training, _ = split_sizes(report.stats.valid_examples, config.validation_split, False)
    shown = training_cost(report.stats, training_examples=training, epochs=config.hyperparameters.n_epochs,
                          profile=OpenAIProvider.data, model=MODEL)
    recorded = DataSummary.model_validate(job.data_summary)
    assert (recorded.training_examples, recorded.validation_examples) == (16, 4) and training == 16
    assert recorded.cost == shown and shown.price is not None and shown.price.amount_usd > 0
    whole_file = training_cost(report.stats, training_examples=20, epochs=config.hyperparameters.n_epochs,
                               profile=OpenAIProvider.data, model=MODEL)
    assert recorded.cost.billed_tokens < whole_file.billed_tokens  # the split is not billed
