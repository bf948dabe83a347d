"""Statistics, estimates, token counting offline, the parallel pass, progress and cancellation."""

from __future__ import annotations

import os

import pytest

from backend.cancel import CancelToken
from backend.data import count_tokens, default_epochs, encoding_name_for_model, estimate_price, validate_file
from backend.data import validate as validate_module
from backend.errors import Cancelled
from tests.data.conftest import chat, chats, profile


def test_statistics_and_estimates(write_jsonl):
    rows = chats(20) + [chat("long " * 300, "fine")]
    report = validate_file(write_jsonl(rows), profile=profile("openai"), model="gpt-4o-mini")
    s = report.stats
    assert (s.examples, s.valid_examples) == (21, 21)
    assert s.longest[0][0] == 21 and s.longest[0][1] == s.tokens.max > 300
    assert sum(s.histogram.counts) == 21 and len(s.histogram.edges) == len(s.histogram.counts) + 1
    assert s.messages.min == s.messages.max == 2
    assert s.default_epochs == default_epochs(21) == 4  # 100 // 21
    assert s.billed_tokens == s.total_tokens * 4
    assert report.price.amount_usd == pytest.approx(s.billed_tokens * 3.0 / 1e6)
    assert report.price.as_of and "openai.com" in report.price.source


def test_cookbook_epoch_rule():
    assert [default_epochs(n) for n in (1, 10, 34, 1000, 8334, 30000)] == [25, 10, 3, 3, 2, 1]


def test_price_table_knows_families_and_fine_tunes():
    assert estimate_price(2_000_000, "openai", "gpt-4.1").amount_usd == 50.0
    assert estimate_price(1_000_000, "azure", "gpt-4o-mini").usd_per_million_tokens == 3.3
    assert estimate_price(1, "openai", "ft:gpt-4o-mini-2024-07-18:org::abc").model == "gpt-4o-mini-2024-07-18"
    assert estimate_price(1, "openai", "no-such-model") is None


def test_encodings_per_model():
    assert encoding_name_for_model("gpt-4o-mini-2024-07-18") == "o200k_base"
    assert encoding_name_for_model("gpt-4.1-nano") == "o200k_base"
    assert encoding_name_for_model("gpt-3.5-turbo-0125") == "cl100k_base"
    assert encoding_name_for_model("gpt-4-0613") == "cl100k_base"
    assert encoding_name_for_model("ft:gpt-35-turbo:x") == "cl100k_base"


def test_tiktoken_works_offline_from_the_bundled_files(monkeypatch, tmp_path, isolated_home):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    from backend.data import tokens

    tokens.get_encoding.cache_clear()
    assert count_tokens("hello world", model="gpt-4o") == 2
    assert count_tokens("hello world", model="gpt-3.5-turbo") == 2
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(isolated_home / "cache" / "tiktoken")
    assert len(os.listdir(os.environ["TIKTOKEN_CACHE_DIR"])) >= 2
    # the cookbook's chat rule: 3 per message + role + content, 3 for the reply
    assert count_tokens([{"role": "user", "content": "hello world"}], model="gpt-4o") == 3 + 1 + 2 + 3


def test_hf_tokenizer_counts(tiny_model_dir, write_jsonl):
    report = validate_file(write_jsonl(chats(3)), tokenizer_path=str(tiny_model_dir))
    assert report.stats.tokenizer == str(tiny_model_dir) and report.stats.total_tokens > 0
    assert count_tokens("hello", tokenizer_path=str(tiny_model_dir)) >= 1


@pytest.fixture
def chunks(monkeypatch):
    """Several processes over small files: no size floor, 32 KB per process, 16 KB chunks. Returns what
    each ``scan_parallel`` call returned: (first byte, Tally) per chunk, each with the pid that scanned it."""
    from backend.data import parallel

    monkeypatch.setattr(validate_module, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(validate_module, "MIN_BYTES_PER_PROCESS", 32 << 10)
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 16 << 10)
    calls, real = [], parallel.scan_parallel

    def spy(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]
    monkeypatch.setattr(parallel, "scan_parallel", spy)
    return calls


def test_parallel_pass_matches_the_serial_one(write_jsonl, chunks):
    rows = chats(3000)
    rows[1999] = "{broken"  # line 2000
    rows[2499] = ""  # line 2500
    rows[2899] = {"messages": []}  # line 2900
    rows[2999] = chat("Question 7?", "Answer 7.")  # line 3000, the twin of line 8
    path = write_jsonl(rows)
    serial = validate_file(path, workers=1)
    assert not chunks  # one process
    seen = []
    parallel = validate_file(path, workers=3, progress=seen.append)
    [parts] = chunks
    assert len(parts) > 6 and all(t.examples > 0 for _, t in parts) and sum(t.examples for _, t in parts) == 2999
    assert len({t.pid for _, t in parts}) > 1  # more than one process scanned
    starts, line = {}, 1  # the line each chunk starts at: the findings lie in chunks after the first
    for _, t in parts:
        starts[line] = t.pid
        line += t.last_line
    assert line == 3001 and sum(1 for first in starts if first > 8) >= 6
    assert [(f.line, f.check) for f in parallel.findings] == [
        (2000, "invalid_json"), (2500, "blank_line"), (2900, "missing_messages_list"), (3000, "duplicate")]
    assert parallel.findings[-1].message == "The example is an exact duplicate of line 8."  # twin in chunk 1
    assert parallel.findings == serial.findings
    assert parallel.counts == serial.counts == {"invalid_json": 1, "duplicate": 1, "blank_line": 1,
                                                "missing_messages_list": 1}
    assert parallel.stats == serial.stats and parallel.stats.longest == serial.stats.longest
    assert seen and seen[-1].done == os.path.getsize(path)


def test_findings_stay_capped_per_check_across_chunks(write_jsonl, chunks):
    from backend.data.checks import MAX_FINDINGS_PER_CHECK

    path = write_jsonl(["{bad"] * 1500 + chats(1500) + ["{bad"] * 1500)
    report = validate_file(path, workers=3)
    assert len(chunks[0]) > 3 and report.counts == {"invalid_json": 3000}
    assert [f.line for f in report.findings] == list(range(1, MAX_FINDINGS_PER_CHECK + 1))


def test_progress_has_an_eta_and_cancel_stops(write_jsonl):
    path = write_jsonl(chats(5000))
    token, seen = CancelToken(), []

    def progress(p):
        seen.append(p)
        token.cancel()
    with pytest.raises(Cancelled):
        validate_file(path, workers=1, progress=progress, cancel=token)
    assert seen and seen[0].total == os.path.getsize(path)


def test_cancel_reaches_the_workers(write_jsonl, chunks):
    """A cancel stops every spawned worker at the first line of the chunk it takes: each reports a stopped,
    empty Tally (the cancel came before they started, so nothing is timing-dependent)."""
    from backend.data.formats import DataFormat
    from backend.data.parallel import scan_parallel

    path = write_jsonl(chats(3000))
    token = CancelToken()
    token.cancel()
    parts = scan_parallel(path, DataFormat.OPENAI_CHAT, encoding="o200k_base", context_length=None, processes=3,
                          cancel=token)
    assert len(parts) == 2 and all(t.cancelled and t.examples == 0 for _, t in parts)
    assert len({t.pid for _, t in parts}) == 2 and os.getpid() not in {t.pid for _, t in parts}
    with pytest.raises(Cancelled):
        validate_file(path, workers=3, cancel=token)


def test_a_cancel_midway_stops_the_pass(write_jsonl, chunks):
    token, seen = CancelToken(), []

    def progress(p):
        seen.append(p.done)
        if p.done:
            token.cancel()
    path = write_jsonl(chats(20000))
    with pytest.raises(Cancelled):
        validate_file(path, workers=3, cancel=token, progress=progress)
    assert seen and max(seen) < os.path.getsize(path)


def test_this_process_does_the_work_when_workers_cannot_start(write_jsonl, isolated_home):
    """A script read from stdin has no __main__ file that spawned workers could import: they die at start,
    having taken no chunk, and this process scans them all."""
    import subprocess
    import sys

    path = write_jsonl(chats(50) + ["{bad"])
    script = ("from backend.data import parallel, validate as v\nv.PARALLEL_MIN_BYTES = 0\n"
              "v.MIN_BYTES_PER_PROCESS = parallel.MIN_CHUNK_BYTES = 64\n"
              f"print(v.validate_file({str(path)!r}, workers=2).counts)\n")
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'invalid_json': 1}"


def test_the_validators_counter_matches_encode_ordinary(isolated_home):
    from backend.data.tokens import get_encoding, ordinary_counter

    for name in ("o200k_base", "cl100k_base"):
        encode, count = get_encoding(name).encode_ordinary, ordinary_counter(name)
        for text in ("", "hello world", "請求書 の 質問 <|endoftext|> and <|im_start|>user", "x" * 5000, "def f(x):\n\t"):
            assert count(text) == len(encode(text))


def test_validation_counts_what_count_tokens_counts(write_jsonl):
    records = [chat("Bonjour, où est ma commande ?", "Elle arrive demain.", system="Be brief."),
               {"messages": [{"role": "user", "content": "Order A1?", "name": "ann"},
                             {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                                 "name": "get_order", "arguments": "{\"id\": \"A1\"}"}}]},
                             {"role": "tool", "tool_call_id": "c1", "content": "{\"status\": \"shipped\"}"},
                             {"role": "assistant", "content": "It has shipped."}]}]
    report = validate_file(write_jsonl(records), model="gpt-4o")
    assert report.stats.total_tokens == sum(count_tokens(r["messages"], model="gpt-4o") for r in records)


def test_a_tally_keeps_the_first_findings_by_line_in_any_order():
    """The hot loop tallies some records a batch after others: the findings kept (200 per check) are still
    those on the earliest lines, and the count stays exact."""
    import random

    from backend.data.checks import MAX_FINDINGS_PER_CHECK
    from backend.data.scan import Tally

    lines = list(range(1, 1001))
    random.Random(7).shuffle(lines)
    t = Tally()
    for line in lines:
        t.add(line, "duplicate", f"line {line}")
        t.add(line, "blank_line", "blank")
    for check in ("duplicate", "blank_line"):
        kept = sorted(f[0] for f in t.findings if f[2] == check)
        assert kept == list(range(1, MAX_FINDINGS_PER_CHECK + 1)) and t.counts[check] == 1000
