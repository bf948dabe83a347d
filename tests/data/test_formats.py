"""Every input format is detected, read and converted to the canonical form."""

from __future__ import annotations

import csv
import json

import pytest

from backend.data import DataFormat, detect_format, iter_canonical, read_columns, validate_file
from backend.errors import InvalidInput
from tests.data.conftest import chats, profile


def test_openai_chat_with_tools_and_weights(write_jsonl):
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    record = {"messages": [
        {"role": "user", "content": "Order A1?"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                              "function": {"name": "lookup", "arguments": "{\"id\": \"A1\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "shipped"},
        {"role": "assistant", "content": "It has shipped.", "weight": 1}], "tools": tools}
    path = write_jsonl([record])
    assert detect_format(path) is DataFormat.OPENAI_CHAT
    [ex] = list(iter_canonical(path))
    assert ex.kind == "chat" and ex.tools == tools and ex.messages[-1]["weight"] == 1 and ex.line == 1


@pytest.mark.parametrize("record", [
    {"input": {"messages": [{"role": "user", "content": "Hi"}]},
     "preferred_output": [{"role": "assistant", "content": "Hello!"}],
     "non_preferred_output": [{"role": "assistant", "content": "What."}]},
    {"prompt": "Hi", "chosen": "Hello!", "rejected": "What."},  # TRL's shape
])
def test_preference_formats(write_jsonl, record):
    path = write_jsonl([record])
    assert detect_format(path) is DataFormat.OPENAI_PREFERENCE
    [ex] = list(iter_canonical(path))
    assert ex.kind == "preference"
    assert ex.messages == [{"role": "user", "content": "Hi"}]
    assert ex.chosen == [{"role": "assistant", "content": "Hello!"}]
    assert ex.rejected == [{"role": "assistant", "content": "What."}]
    assert validate_file(path).method == "dpo"


@pytest.mark.parametrize("record,fmt,user,answer", [
    ({"prompt": "2+2?", "completion": "4"}, DataFormat.PROMPT_COMPLETION, "2+2?", "4"),
    ({"instruction": "Add", "input": "2 and 2", "output": "4"}, DataFormat.ALPACA, "Add\n\n2 and 2", "4"),
    ({"conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]},
     DataFormat.SHAREGPT, "2+2?", "4"),
])
def test_single_turn_shapes(write_jsonl, record, fmt, user, answer):
    path = write_jsonl([record])
    assert detect_format(path) is fmt
    [ex] = list(iter_canonical(path))
    assert ex.messages == [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def test_plain_text_and_text_jsonl(tmp_path, write_jsonl):
    txt = tmp_path / "corpus.txt"
    txt.write_text("first document\n\nsecond document\n", encoding="utf-8")
    assert detect_format(txt) is DataFormat.TEXT
    examples = list(iter_canonical(txt))
    assert [(e.line, e.text, e.kind) for e in examples] == [(1, "first document", "text"), (3, "second document", "text")]
    path = write_jsonl([{"text": "hello"}])
    assert detect_format(path) is DataFormat.TEXT and next(iter_canonical(path)).text == "hello"


@pytest.mark.parametrize("suffix,delimiter,fmt", [(".csv", ",", DataFormat.CSV), (".tsv", "\t", DataFormat.TSV)])
def test_delimited_with_mapping_and_guess(tmp_path, suffix, delimiter, fmt):
    path = tmp_path / f"data{suffix}"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(["sys", "question", "answer"])
        w.writerow(["Be brief.", "Capital of France?", "Paris, \"of course\""])
    assert detect_format(path) is fmt
    assert read_columns(path) == ["sys", "question", "answer"]
    [ex] = list(iter_canonical(path, column_mapping={"system": "sys", "user": "question", "assistant": "answer"}))
    assert ex.messages == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"},
                           {"role": "assistant", "content": "Paris, \"of course\""}]
    [guessed] = list(iter_canonical(path))  # "question"/"answer" are guessed without a mapping
    assert guessed.messages[-1]["content"] == "Paris, \"of course\"" and ex.line == 2


def test_csv_without_recognisable_columns_asks_for_a_mapping(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    report = validate_file(path)
    assert report.counts.get("unsupported_format") == 1 and not report.usable
    assert "which is the user turn" in report.findings[0].message


def test_parquet_and_json_array(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = chats(3)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    assert detect_format(tmp_path / "d.parquet") is DataFormat.PARQUET
    assert [e.messages for e in iter_canonical(tmp_path / "d.parquet")] == [r["messages"] for r in rows]
    (tmp_path / "d.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert detect_format(tmp_path / "d.json") is DataFormat.JSON_ARRAY
    assert [(e.line, e.messages) for e in iter_canonical(tmp_path / "d.json")] == [
        (i + 1, r["messages"]) for i, r in enumerate(rows)]


def test_hf_dataset_folder(tmp_path):
    from datasets import Dataset

    rows = chats(4)
    Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    assert detect_format(tmp_path / "ds") is DataFormat.HF_DATASET_DIR
    assert [e.messages for e in iter_canonical(tmp_path / "ds")] == [r["messages"] for r in rows]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert len(list(iter_canonical(plain))) == 4


@pytest.mark.parametrize("container", ["parquet", "folder"])
def test_arrow_containers_read_messages_back_without_the_nulls_arrow_adds(tmp_path, container):
    """In Arrow every message has every key any message has: a "weight" on one reply and a "name" on one
    question come back as None on all the others, which the checks would reject (weight None on a user message)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    rows = chats(12)
    rows[0]["messages"][-1]["weight"] = 1
    rows[1]["messages"][0]["name"] = "alice"
    path = tmp_path / ("d.parquet" if container == "parquet" else "ds")
    if container == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        Dataset.from_list(rows).save_to_disk(str(path))
    assert [e.messages for e in iter_canonical(path)] == [r["messages"] for r in rows]
    report = validate_file(path, profile=profile("openai"))
    assert (report.stats.examples, report.stats.valid_examples, report.errors) == (12, 12, [])


def test_hub_id_offline_says_so():
    assert detect_format("someone/some-dataset") is DataFormat.HUB_DATASET
    with pytest.raises(InvalidInput, match="offline") as info:
        validate_file("someone/some-dataset")
    assert "download the dataset" in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        validate_file(tmp_path / "nope.jsonl")


def test_the_detected_format_can_be_overridden(tmp_path):
    path = tmp_path / "chats.txt"  # detected as plain text by its name
    path.write_text("\n".join(json.dumps(c) for c in chats(12)) + "\n", encoding="utf-8")
    assert detect_format(path) is DataFormat.TEXT
    assert validate_file(path).stats.valid_examples == 12  # twelve documents of text
    report = validate_file(path, format="openai_chat", profile=profile("openai"))
    assert report.ok and report.format is DataFormat.OPENAI_CHAT and report.method == "supervised"
    assert [e.messages for e in iter_canonical(path, DataFormat.OPENAI_CHAT)] == [c["messages"] for c in chats(12)]


def test_a_damaged_dataset_folder_is_a_finding(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "state.json").write_text("{}", encoding="utf-8")
    report = validate_file(folder, profile=profile("hf-local"))
    assert report.counts.get("unreadable") == 1 and not report.usable
    assert "cannot be read" in report.findings[0].message
