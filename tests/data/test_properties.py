"""Property tests: what must hold for any input.

- Valid generated data, in every format, never raises and validates clean (only warnings it may earn:
  duplicates, missing system or user messages).
- Invalid records among valid ones give findings on exactly their lines; the rest stay valid.
- Random bytes, truncated and mutated files, in any format or in a dataset folder, never raise: a file that
  exists is always read to a report of findings (findings are sentences on real lines). Only a source that
  cannot be opened at all raises InvalidInput, with a sentence (tested at the end).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.data import CHECKS, DataFormat, Severity, iter_canonical, prepare_dataset, validate_file
from backend.data.checks import MAX_FINDINGS_PER_CHECK
from backend.data.prepare import to_provider_record
from backend.data.readers import iter_records
from backend.errors import InvalidInput
from tests.data.conftest import chat, chats, profile

FILE_FORMATS = [f for f in DataFormat if f not in (DataFormat.HUB_DATASET, DataFormat.HF_DATASET_DIR)]
SUFFIX = {DataFormat.CSV: ".csv", DataFormat.TSV: ".tsv", DataFormat.PARQUET: ".parquet",
          DataFormat.TEXT: ".txt", DataFormat.JSON_ARRAY: ".json"}
VALID = ("\n".join(json.dumps(c) for c in chats(12)) + "\n").encode()
PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EARNED_WARNINGS = {"duplicate", "missing_system_message", "missing_user_message"}


def check_report(report, data: bytes | None = None) -> None:
    """What every report must satisfy, whatever the input."""
    assert report.ok == (report.error_count == 0)
    assert report.stats.valid_examples <= report.stats.examples
    last = (data.count(b"\n") + 1) if data is not None and DataFormat(report.format).place == "line" else None
    per_check: dict[str, int] = {}
    for f in report.findings:
        check = CHECKS[f.check]
        assert f.how_to_fix == check.how_to_fix and f.severity is check.severity
        assert f.message and f.message.rstrip()[-1] in ".)'\"…", f.message  # a sentence
        assert f.line >= 0 and (last is None or f.line <= last), (f, last)
        if check.file_level:
            assert f.line == 0
        per_check[f.check] = per_check.get(f.check, 0) + 1
    for name, n in per_check.items():
        assert n <= min(report.counts[name], MAX_FINDINGS_PER_CHECK)


def exercise(data: bytes, fmt: DataFormat | None) -> None:
    """Every entry point on one file that exists: none may raise; prepare refuses exactly what validation
    called unusable, and writes every valid example of what it accepts."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("data" + SUFFIX.get(fmt, ".jsonl"))
        path.write_bytes(data)
        report = validate_file(path, format=fmt, profile=profile("hf-local"))
        check_report(report, data)
        openai = validate_file(path, format=fmt, profile=profile("openai"))
        check_report(openai, data)
        assert openai.stats == report.stats or openai.stats.valid_examples == report.stats.valid_examples
        list(iter_records(path, fmt))
        examples = list(iter_canonical(path, fmt))
        assert len(examples) == report.stats.valid_examples
        for example in examples:  # the converter to OpenAI's and Azure's upload format
            try:
                json.dumps(to_provider_record(example, profile("openai")))
            except InvalidInput:
                assert example.text is not None  # plain text: refused with a sentence
        try:
            prepared = prepare_dataset(path, profile("hf-local"), Path(tmp) / "out", format=fmt, drop_invalid=True,
                                       validation_split=0.2)
        except InvalidInput as exc:
            assert not report.usable, exc
            assert str(exc).endswith(".")
            return
        assert report.usable
        assert prepared.train_examples + prepared.validation_examples == report.stats.valid_examples


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
        report = validate_file(folder, profile=profile("hf-local"))  # never raises: a folder with a data file is read
        check_report(report)


# -- valid data --------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(lambda t: t.strip())


@st.composite
def conversations(draw, system=st.booleans()):
    """A valid chat: optional system message, then user/assistant turns (the last one the assistant's)."""
    messages = [{"role": "system", "content": draw(TEXT)}] if draw(system) else []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        messages.append({"role": "user", "content": draw(TEXT)})
        reply = {"role": "assistant", "content": draw(TEXT)}
        if draw(st.booleans()):
            reply["weight"] = 1
        messages.append(reply)
    return {"messages": messages}


def _as_file(rows: list[dict], fmt: DataFormat, folder: Path) -> Path:
    if fmt is DataFormat.OPENAI_CHAT:
        path = folder / "data.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt is DataFormat.JSON_ARRAY:
        path = folder / "data.json"
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt is DataFormat.PARQUET:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = folder / "data.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:  # CSV/TSV: one system/user/assistant row per single-turn chat
        path = folder / ("data.csv" if fmt is DataFormat.CSV else "data.tsv")
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter="," if fmt is DataFormat.CSV else "\t")
        writer.writerow(["system", "user", "assistant"])
        for r in rows:
            by_role = {m["role"]: m["content"] for m in r["messages"]}
            writer.writerow([by_role["system"], by_role["user"], by_role["assistant"]])
        path.write_bytes(out.getvalue().encode("utf-8"))
    return path


@PROFILE
@given(rows=st.lists(conversations(), min_size=1, max_size=15),
       fmt=st.sampled_from([DataFormat.OPENAI_CHAT, DataFormat.JSON_ARRAY, DataFormat.PARQUET]))
def test_valid_conversations_validate_clean_in_every_container(rows, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        report = validate_file(_as_file(rows, fmt, Path(tmp)), profile=profile("hf-local"))
    check_report(report)
    assert report.ok and report.format is fmt, report.findings
    assert report.stats.examples == report.stats.valid_examples == len(rows)
    assert {f.check for f in report.findings} <= EARNED_WARNINGS
    missing = [i + 1 for i, r in enumerate(rows) if r["messages"][0]["role"] != "system"]
    if len(missing) < len(rows):  # some have a system message: the others are named
        assert [f.line for f in report.findings if f.check == "missing_system_message"] == missing
    assert report.stats.without_system == len(missing)


@PROFILE
@given(rows=st.lists(conversations(system=st.just(True)).filter(lambda r: len(r["messages"]) == 3),
                     min_size=1, max_size=15),
       fmt=st.sampled_from([DataFormat.CSV, DataFormat.TSV]))
def test_valid_rows_validate_clean_as_csv_and_tsv(rows, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path = _as_file(rows, fmt, Path(tmp))
        report = validate_file(path, profile=profile("hf-local"))
        examples = list(iter_canonical(path))
    check_report(report)
    assert report.ok and report.stats.valid_examples == len(rows), report.findings
    assert {f.check for f in report.findings} <= {"duplicate"}
    assert [[(m["role"], m["content"]) for m in e.messages] for e in examples] == [
        [(m["role"], m["content"]) for m in r["messages"]] for r in rows]


# -- invalid records among valid ones ------------------------------------------------------------------------

BROKEN = {  # a line that breaks one check, and the check
    '{"messages": [': "invalid_json",
    '{"msgs": []}': "missing_messages_list",
    '[1, 2]': "data_type",
    '{"messages": [{"role": "user", "content": "Hi"}]}': "example_missing_assistant_message",
    '{"messages": [{"role": "narrator", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}':
        "unrecognized_role",
    '{"messages": [{"role": "user", "content": 7}, {"role": "assistant", "content": "Yo"}]}': "missing_content",
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo", "weight": 2}]}':
        "invalid_weight",
    "   ": "blank_line",
}


@PROFILE
@given(rows=st.lists(conversations(system=st.just(False)), min_size=1, max_size=20),
       bad=st.lists(st.tuples(st.integers(min_value=0, max_value=25), st.sampled_from(sorted(BROKEN))),
                    min_size=1, max_size=6))
def test_invalid_lines_give_findings_on_exactly_their_lines(rows, bad):
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    for at, line in bad:
        lines.insert(min(at, len(lines)), line)
    expected = sorted((i + 1, BROKEN[line]) for i, line in enumerate(lines) if line in BROKEN)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = validate_file(path, profile=profile("hf-local"))
    check_report(report)
    assert sorted((f.line, f.check) for f in report.findings if f.check != "duplicate") == expected
    blank = sum(check == "blank_line" for _, check in expected)
    assert report.stats.examples == len(lines) - blank
    assert report.stats.valid_examples == len(rows)


@PROFILE
@given(record=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                               st.sampled_from(["messages", "role", "content", "tool_calls", "weight", "input",
                                                "preferred_output", "non_preferred_output", "prompt", "completion",
                                                "chosen", "rejected", "conversations", "from", "value", "text",
                                                "instruction", "output", "tools", "function", "id", "tool_call_id"]),
                               inner, max_size=4), max_leaves=20))
def test_random_json_records_in_every_shape(record):
    in_every_shape(record)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                 max_size=3), max_leaves=8)
MESSAGE_KEYS = ["role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"]


@PROFILE
@given(messages=st.lists(st.dictionaries(st.sampled_from(MESSAGE_KEYS),
                                         st.sampled_from(["user", "assistant", "system", "tool", "hi"]) | JSON,
                                         max_size=4), max_size=4),
       turns=st.lists(st.dictionaries(st.sampled_from(["from", "value"]),
                                      st.sampled_from(["human", "gpt", "hi"]) | JSON, max_size=2), max_size=3))
def test_message_shaped_records_with_any_values(messages, turns):
    """Records shaped like messages and turns whose values are anything JSON can hold (a list as a role, an
    object as content): findings, never an exception."""
    in_every_shape({"messages": messages})
    in_every_shape({"conversations": turns})
    in_every_shape({"input": {"messages": messages}, "preferred_output": messages, "non_preferred_output": []})


def in_every_shape(record) -> None:
    """Any JSON record after 12 valid chats, read in every shape: the findings of lines 1-12 are those of the
    12 lines alone (but for the warning that they lack a system message the new record has); the record's
    own problems are on line 13 (or the whole file's, line 0)."""
    line = json.dumps(record).encode() + b"\n"
    for fmt in (DataFormat.OPENAI_CHAT, DataFormat.OPENAI_PREFERENCE, DataFormat.PROMPT_COMPLETION,
                DataFormat.ALPACA, DataFormat.SHAREGPT, DataFormat.TEXT):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "r.jsonl"
            path.write_bytes(VALID + line)
            report = validate_file(path, format=fmt)
            path.write_bytes(VALID)
            alone = validate_file(path, format=fmt)
        check_report(report, VALID + line)
        assert report.stats.examples == 13
        before = [(f.line, f.check, f.message) for f in report.findings
                  if 0 < f.line < 13 and f.check != "missing_system_message"]
        assert before == [(f.line, f.check, f.message) for f in alone.findings if 0 < f.line < 13], fmt
        record_errors = [f for f in report.findings if f.line == 13 and f.severity is Severity.ERROR]
        assert report.stats.valid_examples == alone.stats.valid_examples + (not record_errors)


# -- what may raise: a source that cannot be opened at all ----------------------------------------------------

def test_only_a_source_that_cannot_be_opened_raises_with_a_sentence(tmp_path):
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    for source, words in ((tmp_path / "missing.jsonl", "does not exist"), (empty, "holds no dataset")):
        with pytest.raises(InvalidInput) as caught:
            validate_file(source)
        assert words in str(caught.value) and str(caught.value).endswith(".")


# -- validation's hot loop and the general path agree --------------------------------------------------------

TOOL_CALL = {"messages": [{"role": "user", "content": "Order A1?"},
                          {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                                "function": {"name": "get", "arguments": "{}"}}]},
                          {"role": "tool", "tool_call_id": "c1", "content": "shipped"},
                          {"role": "assistant", "content": "It has shipped."}],
             "tools": [{"type": "function", "function": {"name": "get", "parameters": {"type": "object"}}}]}
OTHER_LINES = sorted(BROKEN) + [json.dumps(TOOL_CALL),
                                json.dumps({"messages": [{"role": "developer", "content": "Terse."},
                                                         {"role": "assistant", "content": "Hi"}]}),
                                json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                                         {"role": "assistant", "content": "Yo", "weight": 0}]}),
                                json.dumps({"input": {"messages": [{"role": "user", "content": "Hi"}]},
                                            "preferred_output": [{"role": "assistant", "content": "A"}],
                                            "non_preferred_output": [{"role": "assistant", "content": "B"}]})]


def tally_facts(t) -> dict:
    return {"examples": t.examples, "valid": t.valid, "preference": t.preference, "counts": t.counts,
            "findings": sorted(t.findings, key=repr), "tokens": sorted(t.tokens), "messages": sorted(t.messages),
            "keys": sorted(zip((t.keys.tobytes()[i:i + 8] for i in range(0, len(t.keys) * 8, 8)), t.key_lines)),
            "total": t.total_tokens, "billed": t.billed,
            "with_system": t.with_system, "longest": sorted(t.longest), "last_line": t.last_line}


@PROFILE
@given(rows=st.lists(conversations() | st.sampled_from(OTHER_LINES), min_size=1, max_size=25),
       bom=st.booleans(), context=st.sampled_from([None, 30]))
def test_the_hot_loop_gives_the_general_paths_tally(rows, bom, context):
    """``scan_jsonl`` takes plain chat records apart itself; every figure and finding must be the one the
    general path (``jsonl_items`` + ``scan``) gives for the same lines."""
    from backend.data.examples import jsonl_items
    from backend.data.scan import TokenCounter, scan, scan_jsonl

    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode())
        fast = scan_jsonl(path, DataFormat.OPENAI_CHAT, TokenCounter(), context_length=context)
        general = scan(jsonl_items(path, DataFormat.OPENAI_CHAT), TokenCounter(), context_length=context)
    assert tally_facts(fast) == tally_facts(general)


def test_the_hot_loop_agrees_across_its_encoding_batches(tmp_path):
    """Plain records are encoded a batch at a time (256): a file of several batches, with the other kinds of
    line among them and a context limit that some examples pass, gives the general path's Tally."""
    from backend.data.examples import jsonl_items
    from backend.data.scan import TokenCounter, scan, scan_jsonl

    rows = [json.dumps(c) for c in chats(700)]
    for at, line in zip(range(5, 700, 37), OTHER_LINES * 3):
        rows.insert(at, line)
    rows[300] = json.dumps(chat("long " * 40, "ok", system="Be brief."))
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fast = scan_jsonl(path, DataFormat.OPENAI_CHAT, TokenCounter(), context_length=20)
    general = scan(jsonl_items(path, DataFormat.OPENAI_CHAT), TokenCounter(), context_length=20)
    assert tally_facts(fast) == tally_facts(general) and fast.valid > 700 and fast.counts["too_long"] > 1
