"""Each check fires on the right line, under its name, with a sentence on how to fix it."""

from __future__ import annotations

import json

import pytest

from backend.data import CHECKS, Severity, validate_file
from tests.data.conftest import chat, chats, profile

U = {"role": "user", "content": "Hi"}
A = {"role": "assistant", "content": "Hello"}
CALL = {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}

# (bad line written after 12 good examples, check expected on line 13)
CASES = {
    "data_type": "[1, 2, 3]",
    "missing_messages_list": {"msgs": [U, A]},
    "message_missing_key": {"messages": [{"content": "no role"}, A]},
    "message_unrecognized_key": {"messages": [U, {**A, "mood": "happy"}]},
    "unrecognized_role": {"messages": [{"role": "narrator", "content": "Once"}, A]},
    "missing_content": {"messages": [{"role": "user", "content": 42}, A]},
    "example_missing_assistant_message": {"messages": [U]},
    "invalid_json": '{"messages": [',
    "all_weights_zero": {"messages": [U, {**A, "weight": 0}]},
    "invalid_weight": {"messages": [U, {**A, "weight": 0.5}]},
    "tool_call_without_result": {"messages": [U, CALL, A]},
    "tool_result_without_call": {"messages": [U, {"role": "tool", "tool_call_id": "zz", "content": "x"}, A]},
    "invalid_tools": {"messages": [U, A], "tools": "search"},
    "blank_line": "   ",
}


@pytest.mark.parametrize("check", sorted(CASES))
def test_check_fires_on_its_line(write_jsonl, check):
    path = write_jsonl(chats(12) + [CASES[check]])
    report = validate_file(path, profile=profile("openai"))
    found = [f for f in report.findings if f.check == check]
    assert found and found[0].line == 13, report.findings
    assert report.counts[check] == 1
    assert found[0].how_to_fix == CHECKS[check].how_to_fix and found[0].severity is CHECKS[check].severity
    assert all(f.line == 13 for f in report.findings)  # nothing else fires
    assert report.ok is (CHECKS[check].severity is Severity.WARNING)


def test_a_final_tool_call_without_result_is_a_valid_target(write_jsonl):
    report = validate_file(write_jsonl(chats(12) + [{"messages": [U, CALL]}]))
    assert report.ok, report.findings


def test_invalid_json_reports_its_column(write_jsonl):
    report = validate_file(write_jsonl(chats(12) + ['{"messages": [}']))
    [f] = report.findings
    assert (f.line, f.column, f.check) == (13, 15, "invalid_json")


def test_encoding_and_bom(tmp_path):
    path = tmp_path / "latin1.jsonl"
    good = "\n".join(json.dumps(c) for c in chats(12))
    path.write_bytes(b"\xef\xbb\xbf" + good.encode() + b'\n{"messages": "caf\xe9"}\n')
    report = validate_file(path)
    assert report.counts == {"byte_order_mark": 1, "encoding": 1}
    enc = next(f for f in report.findings if f.check == "encoding")
    assert enc.line == 13 and enc.column == 18
    assert next(f for f in report.findings if f.check == "byte_order_mark").line == 0
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(good.encode("utf-16"))
    report = validate_file(utf16)
    assert report.counts == {"encoding": 1} and "UTF-16" in report.findings[0].message and not report.usable


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = validate_file(path)
    assert report.counts == {"empty_file": 1} and not report.ok and not report.usable


def test_exact_duplicates_name_the_first_line(write_jsonl):
    path = write_jsonl(chats(11) + [chat("Question 3?", "Answer 3.")])
    report = validate_file(path)
    [f] = report.findings
    assert (f.line, f.check) == (12, "duplicate") and "line 4" in f.message and report.stats.duplicates == 1


def test_too_long_for_the_context(write_jsonl):
    path = write_jsonl(chats(11) + [chat("word " * 400, "ok")])
    report = validate_file(path, context_length=200)
    [f] = report.findings
    assert (f.line, f.check) == (12, "too_long") and "200" in f.message
    assert report.stats.billed_tokens_per_epoch < report.stats.total_tokens  # billed up to the context


def test_identical_preference_pair(write_jsonl):
    pair = {"input": {"messages": [U]}, "preferred_output": [A], "non_preferred_output": [A]}
    report = validate_file(write_jsonl([pair]))
    assert report.counts["identical_preference"] == 1 and report.findings[0].line == 1


def test_too_few_examples_for_openai_only(write_jsonl):
    path = write_jsonl(chats(9))
    report = validate_file(path, profile=profile("openai"))
    assert report.counts == {"too_few_examples": 1} and not report.usable
    assert "at least 10" in report.findings[0].message
    assert validate_file(path, profile=profile("hf-local")).ok


def test_plain_text_is_refused_for_openai(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(f"doc {i}" for i in range(12)), encoding="utf-8")
    assert validate_file(path, profile=profile("openai")).counts == {"unsupported_by_provider": 1}
    assert validate_file(path, profile=profile("hf-local")).ok


def test_mixed_preference_and_chat(write_jsonl):
    pair = {"input": {"messages": [U]}, "preferred_output": [A], "non_preferred_output": [{**A, "content": "No"}]}
    report = validate_file(write_jsonl(chats(3) + [pair]))
    assert report.counts == {"mixed_methods": 1}


def test_findings_are_capped_but_counts_exact(write_jsonl):
    from backend.data.checks import MAX_FINDINGS_PER_CHECK

    path = write_jsonl(["{bad"] * (MAX_FINDINGS_PER_CHECK + 50) + chats(12))
    report = validate_file(path)
    assert report.counts["invalid_json"] == MAX_FINDINGS_PER_CHECK + 50
    assert len(report.findings) == MAX_FINDINGS_PER_CHECK and report.usable and not report.ok


def test_a_file_with_only_a_byte_order_mark_is_empty(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf")
    report = validate_file(path)
    assert report.counts["byte_order_mark"] == report.counts["empty_file"] == 1 and not report.usable


S = {"role": "system", "content": "Be brief."}


def test_examples_without_a_system_or_user_message_are_listed(write_jsonl):
    """The cookbook's two counts, as warnings with their lines: such examples train, but rarely as meant."""
    with_system = [chat(f"Q{i}?", "A.", system="Be brief.") for i in range(12)]
    rows = with_system[:5] + [{"messages": [U, {**A, "content": "No system"}]},  # line 6
                              {"messages": [S, {**A, "content": "No user"}]},  # line 7
                              {"messages": [{**A, "content": "Neither"}]}] + with_system[5:]  # line 8
    report = validate_file(write_jsonl(rows), profile=profile("openai"))
    found = [(f.line, f.check, f.severity) for f in report.findings]
    assert found == [(6, "missing_system_message", Severity.WARNING), (7, "missing_user_message", Severity.WARNING),
                     (8, "missing_system_message", Severity.WARNING), (8, "missing_user_message", Severity.WARNING)]
    assert report.ok and report.stats.valid_examples == 15
    assert (report.stats.without_system, report.stats.without_user) == (2, 2)
    assert CHECKS["missing_system_message"].how_to_fix in report.findings[0].how_to_fix


def test_a_file_without_any_system_message_is_a_choice_not_a_finding(write_jsonl):
    report = validate_file(write_jsonl(chats(12) + [{"messages": [A]}]))
    assert [(f.line, f.check) for f in report.findings] == [(13, "missing_user_message")]
    assert (report.stats.without_system, report.stats.without_user) == (13, 1)  # still counted


def test_preference_prompts_and_converted_shapes_are_checked_too(write_jsonl):
    pair = {"input": {"messages": [S, U]}, "preferred_output": [A], "non_preferred_output": [{**A, "content": "No"}]}
    lonely = {"input": {"messages": [S]}, "preferred_output": [A], "non_preferred_output": [{**A, "content": "No"}]}
    report = validate_file(write_jsonl([pair, lonely]))
    assert [(f.line, f.check) for f in report.findings] == [(2, "missing_user_message")]
    sharegpt = [{"conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"},
                                   {"from": "gpt", "value": "Hello"}]},
                {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello again"}]}]
    report = validate_file(write_jsonl(sharegpt, "sharegpt.jsonl"))
    assert [(f.line, f.check) for f in report.findings] == [(2, "missing_system_message")]


def test_row_formats_name_the_twin_by_row(tmp_path):
    rows = chats(11) + [chat("Question 3?", "Answer 3.")]
    path = tmp_path / "chats.json"
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")  # a JSON array: lines are not records
    [f] = validate_file(path).findings
    assert (f.line, f.check) == (12, "duplicate") and f.message == "The example is an exact duplicate of row 4."


def test_a_csv_row_with_more_cells_than_the_header_is_a_warning_naming_the_row(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(11))
                    + 'q11,a11,"left, out",more\n', encoding="utf-8")
    report = validate_file(path, profile=profile("openai"))
    [f] = report.findings
    assert (f.line, f.check, f.severity) == (13, "extra_cells", Severity.WARNING)
    assert f.message == ("The row has 2 cells more than the header's 2 columns: 'left, out', 'more'; "
                         "they are left out.")
    assert report.ok and report.stats.valid_examples == 12  # the row still trains, without the extra cells


@pytest.mark.parametrize("deep", ['{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                  '{"a": ' * 100_000 + "1" + "}" * 100_000])
def test_a_line_nested_100000_deep_is_a_finding_on_its_line(tmp_path, deep):
    """Also as the first line, where format detection reads it (json recursed until RecursionError there)."""
    for lines, expected in (([deep] + [json.dumps(c) for c in chats(12)], 1),
                            ([json.dumps(c) for c in chats(12)] + [deep], 13)):
        path = tmp_path / "deep.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = validate_file(path, profile=profile("openai"))
        assert [(f.line, f.check, f.message) for f in report.findings] == [
            (expected, "invalid_json", "The JSON is nested too deeply.")]
        assert report.usable and report.stats.valid_examples == 12


def test_a_role_of_any_json_type_is_a_finding(write_jsonl):
    """A list or an object where a role belongs was hashed into a set lookup: a TypeError, not a finding."""
    report = validate_file(write_jsonl(chats(12) + [{"messages": [{"role": ["user"], "content": "Hi"}, A]}]))
    assert [(f.line, f.check, f.message) for f in report.findings] == [
        (13, "unrecognized_role", "Message 1 has role \"['user']\".")]
    sharegpt = [{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}]},
                {"conversations": [{"from": {"who": "human"}, "value": "Hi"}, {"from": "gpt", "value": "Yo"}]}]
    report = validate_file(write_jsonl(sharegpt, "sharegpt.jsonl"))
    assert [(f.line, f.check) for f in report.findings] == [(2, "unrecognized_role")]
