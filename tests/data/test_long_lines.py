"""Lines of any length: a line over the cap is a finding naming it and the cap, the file's other lines are
still validated, and memory does not grow with the line (the readers never hold it whole)."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from backend.data import lines as line_reader
from backend.data import validate_file
from backend.data import validate as validate_module
from backend.data.parallel import split_ranges
from tests.data.conftest import chats, profile

CAP = 256 << 10  # lowered from 32 MiB so a test's long line is a few MB


@pytest.fixture
def low_cap(monkeypatch):
    monkeypatch.setattr(line_reader, "MAX_LINE_BYTES", CAP)


@pytest.fixture(autouse=True)
def warm(tmp_path_factory):
    """Load the token encoder (tens of MB, once per process) before any peak is measured."""
    path = tmp_path_factory.mktemp("warm") / "warm.jsonl"
    path.write_text(json.dumps(chats(1)[0]) + "\n", encoding="utf-8")
    validate_file(path, workers=1)


def _peak_during(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _write_lines(path, lines: list[bytes]) -> None:
    with open(path, "wb") as f:
        for line in lines:
            f.write(line + b"\n")


def test_a_line_over_the_cap_is_a_finding_and_the_others_are_validated(tmp_path, low_cap):
    good = [json.dumps(c).encode() for c in chats(12)]
    huge = b'{"messages": [{"role": "user", "content": "' + b"x" * (16 << 20) + b'"}]}'  # 64 x the cap
    path = tmp_path / "long.jsonl"
    _write_lines(path, good[:5] + [huge] + good[5:] + [b'{"messages": ['])
    report, peak = _peak_during(lambda: validate_file(path, profile=profile("openai"), workers=1))
    assert [(f.line, f.check) for f in report.findings] == [(6, "line_too_long"), (14, "invalid_json")]
    assert report.findings[0].message == \
        f"The line is {len(huge):,} bytes long; lines over 262,144 bytes are not read (the file's other lines are)."
    assert (report.stats.examples, report.stats.valid_examples) == (14, 12) and report.usable
    assert peak < 4 << 20, f"validation held {peak:,} bytes for a {len(huge):,}-byte line"  # blocks, not the line


def test_a_file_without_a_single_newline(tmp_path, low_cap):
    path = tmp_path / "one-line.jsonl"
    path.write_bytes(b"x" * (16 << 20))  # 16 MB, no newline: the whole file is one line
    report, peak = _peak_during(lambda: validate_file(path, workers=1))
    [f] = report.findings
    assert (f.line, f.check) == (1, "line_too_long") and f"{16 << 20:,} bytes" in f.message
    assert not report.usable
    assert peak < 4 << 20
    ranges, peak = _peak_during(lambda: split_ranges(path, 4))
    assert ranges == [(0, 16 << 20)] and peak < 4 << 20  # no line start to cut at: one range, found block by block


def test_the_default_cap_is_32_mib_and_a_line_under_it_is_read(tmp_path):
    assert line_reader.MAX_LINE_BYTES == 32 << 20
    record = {"messages": [{"role": "user", "content": "y" * (3 << 20)}, {"role": "assistant", "content": "ok"}]}
    path = tmp_path / "big-but-fine.jsonl"
    _write_lines(path, [json.dumps(record).encode()] * 2)
    report = validate_file(path, workers=1)
    assert [(f.line, f.check) for f in report.findings] == [(2, "duplicate")] and report.stats.valid_examples == 2


def test_a_line_across_many_blocks_comes_back_whole(tmp_path, monkeypatch):
    """Under the cap, a line of 40 blocks is returned exactly, with at most its pieces and the joined line
    alive at once (the pieces are kept in a list and joined once)."""
    monkeypatch.setattr(line_reader, "CHUNK", 64 << 10)
    line = b'"' + b"z" * (40 * (64 << 10)) + b'"'
    path = tmp_path / "text.jsonl"
    _write_lines(path, [b"1", line, b"2"])
    lines, peak = _peak_during(lambda: [(n, len(raw)) for n, raw in line_reader.jsonl_lines(path)])
    assert lines == [(1, 1), (2, len(line)), (3, 1)]
    assert peak < 2.5 * len(line)


def test_plain_text_and_csv_lines_are_capped_too(tmp_path, low_cap):
    text = tmp_path / "corpus.txt"
    text.write_bytes(b"a short document\n" + b"w " * CAP + b"\nanother one\n")
    report = validate_file(text)
    assert [(f.line, f.check) for f in report.findings] == [(2, "line_too_long")] and report.stats.valid_examples == 2
    table = tmp_path / "qa.csv"
    table.write_text("question,answer\nq1,a1\n" + "q2," + "v" * (CAP + 10) + "\nq3,a3\n", encoding="utf-8")
    report, peak = _peak_during(lambda: validate_file(table))
    [f] = report.findings
    assert (f.line, f.check) == (3, "line_too_long") and f"{CAP + 13:,} characters" in f.message
    assert report.stats.valid_examples == 2


def test_parallel_workers_apply_the_same_cap(tmp_path, low_cap, monkeypatch):
    from backend.data import parallel

    monkeypatch.setattr(validate_module, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(validate_module, "MIN_BYTES_PER_PROCESS", 1 << 20)
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 512 << 10)
    good = [json.dumps(c).encode() for c in chats(6000)]  # about 0.5 MB
    path = tmp_path / "long.jsonl"
    _write_lines(path, good[:3000] + [b'{"text": "' + b"t" * (3 << 20) + b'"}'] + good[3000:])
    serial = validate_file(path, workers=1)
    parallel = validate_file(path, workers=3)
    assert parallel.findings == serial.findings
    assert [(f.line, f.check) for f in parallel.findings] == [(3001, "line_too_long")]
    assert "lines over 262,144 bytes" in parallel.findings[0].message


def test_a_json_array_element_over_the_cap(tmp_path, low_cap):
    """A JSON array is decoded incrementally; an element longer than the cap is a finding naming it, read
    with memory bounded by the cap (its text is decoded again only each time it has doubled)."""
    rows = [json.dumps(c) for c in chats(12)]
    huge = json.dumps({"messages": [{"role": "user", "content": "x" * (16 << 20)}]})
    path = tmp_path / "array.json"
    path.write_text("[\n" + ",\n".join(rows + [huge]) + "\n]\n", encoding="utf-8")
    report, peak = _peak_during(lambda: validate_file(path))
    [f] = report.findings
    assert (f.line, f.check) == (13, "line_too_long") and f.message.startswith(
        "Element 13 (line 14) is longer than 262,144 characters")
    assert report.stats.valid_examples == 12
    assert peak < 8 << 20, f"{peak:,} bytes held for a {len(huge):,}-character element"
