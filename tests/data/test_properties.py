"""Property tests: random bytes, truncated files and mutated valid files, fed to every reader and
converter, end in findings or a pass (or one clear InvalidInput), never another exception or a hang."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.data import DataFormat, iter_canonical, prepare_dataset, validate_file
from backend.data.prepare import to_provider_record
from backend.data.readers import iter_records
from backend.errors import InvalidInput
from backend.models import ProviderKind
from tests.data.conftest import chats

FILE_FORMATS = [f for f in DataFormat if f not in (DataFormat.HUB_DATASET, DataFormat.HF_DATASET_DIR)]
SUFFIX = {DataFormat.CSV: ".csv", DataFormat.TSV: ".tsv", DataFormat.PARQUET: ".parquet",
          DataFormat.TEXT: ".txt", DataFormat.JSON_ARRAY: ".json"}
VALID = ("\n".join(json.dumps(c) for c in chats(12)) + "\n").encode()
PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def exercise(data: bytes, fmt: DataFormat | None) -> None:
    """Every entry point on one file; only findings or InvalidInput may come out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("data" + SUFFIX.get(fmt, ".jsonl"))
        path.write_bytes(data)
        try:
            report = validate_file(path, format=fmt, provider="openai")
        except InvalidInput:
            return
        assert report.ok == (report.error_count == 0)
        assert sum(report.counts.values()) >= len(report.findings)
        for f in report.findings:
            assert f.how_to_fix and f.line >= 0
        list(iter_records(path, fmt))
        examples = list(iter_canonical(path, fmt))
        assert len(examples) <= report.stats.valid_examples
        for example in examples:  # the converter to OpenAI's and Azure's upload format
            try:
                json.dumps(to_provider_record(example, ProviderKind.OPENAI))
            except InvalidInput:
                assert example.text is not None  # plain text: refused with a sentence
        try:
            prepared = prepare_dataset(path, "hf-local", Path(tmp) / "out", format=fmt, drop_invalid=True,
                                       validation_split=0.2)
        except InvalidInput:
            assert not report.usable or report.stats.valid_examples < 2 or fmt is None
            return
        assert prepared.train_examples + prepared.validation_examples <= report.stats.valid_examples


@PROFILE
@given(data=st.binary(max_size=400), fmt=st.sampled_from([None, *FILE_FORMATS]))
def test_random_bytes(data, fmt):
    exercise(data, fmt)


@PROFILE
@given(cut=st.integers(min_value=0, max_value=len(VALID)), fmt=st.sampled_from([None, DataFormat.OPENAI_CHAT,
                                                                                DataFormat.JSON_ARRAY]))
def test_truncated_files(cut, fmt):
    data = VALID if fmt is not DataFormat.JSON_ARRAY else json.dumps(chats(12)).encode()
    exercise(data[:cut], fmt)


@PROFILE
@given(edits=st.lists(st.tuples(st.integers(min_value=0, max_value=len(VALID) - 1), st.binary(min_size=0, max_size=3)),
                      min_size=1, max_size=6),
       fmt=st.sampled_from([None, *FILE_FORMATS]))
def test_mutated_valid_files(edits, fmt):
    data = bytearray(VALID)
    for at, replacement in edits:
        data[at:at + 1] = replacement
    exercise(bytes(data), fmt)


@PROFILE
@given(data=st.binary(max_size=400), name=st.sampled_from(["train.jsonl", "train.json", "train.csv", "train.tsv",
                                                         "train.parquet", "state.json", "dataset_dict.json"]))
def test_random_bytes_in_a_dataset_folder(data, name):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dataset"
        folder.mkdir()
        (folder / name).write_bytes(data)
        try:
            report = validate_file(folder, provider="hf-local")
        except InvalidInput:
            return
        assert report.ok == (report.error_count == 0)
        assert all(f.how_to_fix for f in report.findings)


@PROFILE
@given(record=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                               st.sampled_from(["messages", "role", "content", "tool_calls", "weight", "input",
                                                "preferred_output", "non_preferred_output", "prompt", "completion",
                                                "chosen", "rejected", "conversations", "from", "value", "text",
                                                "instruction", "output", "tools", "function", "id", "tool_call_id"]),
                               inner, max_size=4), max_leaves=20))
def test_random_json_records_in_every_shape(record):
    line = json.dumps(record).encode() + b"\n"
    for fmt in (DataFormat.OPENAI_CHAT, DataFormat.OPENAI_PREFERENCE, DataFormat.PROMPT_COMPLETION,
                DataFormat.ALPACA, DataFormat.SHAREGPT, DataFormat.TEXT):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "r.jsonl"
            path.write_bytes(VALID + line)
            report = validate_file(path, format=fmt)
            assert report.stats.examples == 13
