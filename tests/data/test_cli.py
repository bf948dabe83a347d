"""The command-line face: exit codes and findings a user can act on."""

from __future__ import annotations

import json

from backend.cli import run
from tests.data.conftest import chats


def test_validate_ok_prints_statistics(write_jsonl, capsys):
    assert run(["data", "validate", str(write_jsonl(chats(12))), "--provider", "openai", "--model", "gpt-4o-mini"]) == 0
    out = capsys.readouterr().out
    assert "12 valid" in out and "Result: READY" in out and "Estimated price: $" in out and "Default epochs: 8" in out


def test_validate_errors_exit_non_zero_with_line_and_fix(write_jsonl, capsys):
    path = write_jsonl(chats(12) + ['{"messages": ['])
    assert run(["data", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "line 13, column 15: [invalid_json]" in out and "Fix the JSON on this line" in out
    assert "USABLE if the invalid examples are dropped" in out


def test_validate_json(write_jsonl, capsys):
    assert run(["data", "validate", str(write_jsonl(chats(3))), "--provider", "openai", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"too_few_examples": 1} and data["ok"] is False and data["usable"] is False


def test_validate_missing_file_is_one_sentence(tmp_path, capsys):
    assert run(["data", "validate", str(tmp_path / "nope.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not exist" in err and "Traceback" not in err


def test_convert_to_trl_and_refusal(write_jsonl, tmp_path, capsys):
    src = write_jsonl([{"instruction": f"Say {i}", "output": str(i)} for i in range(3)] + ["{bad"], "alpaca.jsonl")
    out = tmp_path / "out.jsonl"
    assert run(["data", "convert", str(src), "--to", "trl", "-o", str(out)]) == 1
    assert "Nothing written" in capsys.readouterr().err and not out.exists()
    assert run(["data", "convert", str(src), "--to", "trl", "-o", str(out), "--drop-invalid"]) == 0
    printed = capsys.readouterr().out
    assert "Wrote 3 examples" in printed and "(left out: 1 invalid)" in printed
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0] == {"messages": [{"role": "user", "content": "Say 0"}, {"role": "assistant", "content": "0"}]}


def test_convert_to_openai_from_csv(tmp_path, capsys):
    src = tmp_path / "qa.csv"
    src.write_text("question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(12)), encoding="utf-8")
    out = tmp_path / "openai.jsonl"
    assert run(["data", "convert", str(src), "--to", "openai", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 12 and rows[0] == {"messages": [{"role": "user", "content": "q0"},
                                                        {"role": "assistant", "content": "a0"}]}


def test_counts_agree_with_their_nouns(write_jsonl, tmp_path, capsys):
    """One example is "1 example", twelve are "12 examples": never "example(s)"."""
    assert run(["data", "validate", str(write_jsonl(chats(12)))]) == 0
    assert ", 12 examples, 12 valid" in capsys.readouterr().out
    src = write_jsonl([{"instruction": "Say 0", "output": "0"}], "one.jsonl")
    assert run(["data", "convert", str(src), "--to", "trl", "-o", str(tmp_path / "out.jsonl")]) == 0
    assert "Wrote 1 example to" in capsys.readouterr().out
