"""Scores, the judge's arithmetic and the retriever, on answers whose right result is known."""

from __future__ import annotations

import pytest

from backend.errors import InvalidInput
from backend.evaluate.judge import combine, parse_verdict, wilson
from backend.evaluate.retrieve import BM25
from backend.evaluate.scores import ScoreSettings, chrf, score, tool_call_score


def test_text_scores_on_known_answers():
    settings = ScoreSettings(("exact", "contains", "regex", "json", "chrf"), pattern=r"^\d{4}$")
    right = score("  paris. ", None, "Paris.", None, settings)
    assert right["exact"] == 1.0 and right["contains"] == 1.0 and right["regex"] == 0.0 and right["json"] == 0.0
    assert right["chrf"] < 1.0  # chrF is sacrebleu's own: case counts
    assert score("Paris.", None, "Paris.", None, settings)["chrf"] == pytest.approx(1.0)
    wordy = score("It is Paris.", None, "Paris.", None, settings)
    assert wordy["exact"] == 0.0 and wordy["contains"] == 1.0 and 0.3 < wordy["chrf"] < 1.0
    assert score("1999", None, "1999", None, settings)["regex"] == 1.0
    assert chrf("Berlin", "Paris") < 0.2


def test_json_and_schema():
    schema = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
    settings = ScoreSettings(("json",), schema=schema)
    assert score('{"city": "Paris"}', None, "", None, settings)["json"] == 1.0
    assert score('{"town": "Paris"}', None, "", None, settings)["json"] == 0.0  # parses, breaks the schema
    assert score("{city: Paris}", None, "", None, settings)["json"] == 0.0
    assert score('{"x": 1}', None, "", None, ScoreSettings(("json",)))["json"] == 1.0


def test_bad_settings_are_sentences():
    with pytest.raises(InvalidInput, match="not a regular expression"):
        ScoreSettings(("regex",), pattern="(")
    with pytest.raises(InvalidInput, match="needs a pattern"):
        ScoreSettings(("regex",))
    with pytest.raises(InvalidInput, match="JSON Schema is not valid"):
        ScoreSettings(("json",), schema={"type": 12})
    with pytest.raises(InvalidInput, match="Unknown score"):
        ScoreSettings(("bleu",))


def test_tool_calls_are_scored_on_the_calls():
    wanted = [{"name": "weather", "arguments": {"city": "Paris"}}]
    assert tool_call_score([{"name": "weather", "arguments": '{"city": "Paris"}'}], wanted) == 1.0
    assert tool_call_score([{"name": "weather", "arguments": '{"city": "Rome"}'}], wanted) == 0.5
    assert tool_call_score([{"name": "time", "arguments": "{}"}], wanted) == 0.0
    assert tool_call_score(None, wanted) == 0.0
    both = score("", [{"name": "weather", "arguments": '{"city":"Paris"}'}], "", wanted,
                 ScoreSettings(("exact", "tool_calls")))
    assert both == {"exact": None, "tool_calls": 1.0}  # a tool-calling example is scored on its calls alone


def test_judge_verdicts_need_both_orders_to_agree():
    assert parse_verdict(" a ") == "A" and parse_verdict("B is better") == "B" and parse_verdict("hmm") == "TIE"
    assert combine("A", "B") == "win" and combine("B", "A") == "loss"
    assert combine("A", "A") == "tie"  # a judge that always picks the first answer decides nothing
    low, high = wilson(71, 100)
    assert 0.61 < low < 0.71 < high < 0.79
    assert wilson(0, 0) == (0.0, 1.0)


def test_bm25_ranks_the_most_similar_question_first():
    index = BM25(["What is the capital of France?", "How many legs has a cat?", "Capital city of Spain?"])
    assert index.top("capital of spain", 2) == [2, 0]
    assert index.top("zebra", 3) == []
