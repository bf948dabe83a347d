"""Scores of one answer against its reference, each in [0, 1] (None: does not apply to this example).

``exact`` and ``contains`` compare after trimming and case-folding (what a reader would call the same
answer); ``regex`` is the user's pattern searched in the answer; ``json`` is 1 for an answer that parses
(and, with a schema, validates: ``jsonschema``); ``chrf`` is sacrebleu's chrF (character n-grams, robust to
inflection and short answers where word overlap is too coarse) over 100; ``tool_calls`` compares the calls
made with the reference's, by name and parsed arguments, in order. A tool-calling example is scored on
its calls alone: its text is usually empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from backend.errors import InvalidInput
from backend.evaluate.testset import parse_arguments

SCORES: tuple[str, ...] = ("exact", "contains", "regex", "json", "chrf", "tool_calls")
TEXT_SCORES = ("exact", "contains", "regex", "json", "chrf")


def _norm(text: str) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass
class ScoreSettings:
    """Which scores to compute, and their inputs (a pattern, a JSON Schema)."""

    names: tuple[str, ...] = ("exact", "contains", "chrf", "tool_calls")
    pattern: str | None = None
    schema: dict | None = None

    def __post_init__(self):
        unknown = [n for n in self.names if n not in SCORES]
        if unknown:
            raise InvalidInput(f"Unknown score “{unknown[0]}”.", hint=f"Choose from: {', '.join(SCORES)}.")
        if "regex" in self.names:
            if not self.pattern:
                raise InvalidInput("The regex score needs a pattern.", hint="Give one with --regex.")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise InvalidInput(f"The pattern “{self.pattern}” is not a regular expression: {exc}.") from None
        if self.schema is not None:
            from jsonschema import Draft202012Validator, SchemaError

            try:
                Draft202012Validator.check_schema(self.schema)
            except SchemaError as exc:
                raise InvalidInput(f"The JSON Schema is not valid: {exc.message}.") from None


def chrf(answer: str, reference: str) -> float:
    from sacrebleu.metrics import CHRF

    return CHRF().sentence_score(answer or "", [reference or ""]).score / 100.0


def _json_score(answer: str, schema: dict | None) -> float:
    try:
        value = json.loads(answer)
    except ValueError:
        return 0.0
    if schema is None:
        return 1.0
    from jsonschema import Draft202012Validator

    return 0.0 if next(Draft202012Validator(schema).iter_errors(value), None) else 1.0


def tool_call_score(calls: list[dict] | None, reference: list[dict] | None) -> float:
    """1 when the same functions are called with the same arguments in the same order; else the share of
    reference calls matched position by position (a right name with wrong arguments counts half)."""
    made = [{"name": c.get("name"), "arguments": parse_arguments(c.get("arguments"))} for c in calls or []]
    wanted = reference or []
    if not wanted:
        return 1.0 if not made else 0.0
    points = 0.0
    for got, want in zip(made, wanted):
        if got["name"] == want["name"]:
            points += 1.0 if got["arguments"] == want["arguments"] else 0.5
    return points / max(len(made), len(wanted))


def score(answer: str, calls: list[dict] | None, reference: str, reference_calls: list[dict] | None,
          settings: ScoreSettings) -> dict[str, float | None]:
    """Every score ``settings`` names for one answer."""
    out: dict[str, float | None] = {}
    tool_example = bool(reference_calls)
    for name in settings.names:
        if name == "tool_calls":
            out[name] = tool_call_score(calls, reference_calls) if tool_example else None
        elif tool_example:
            out[name] = None
        elif name == "exact":
            out[name] = float(_norm(answer) == _norm(reference))
        elif name == "contains":
            out[name] = float(bool(_norm(reference)) and _norm(reference) in _norm(answer))
        elif name == "regex":
            out[name] = float(re.search(settings.pattern or "", answer or "") is not None)
        elif name == "json":
            out[name] = _json_score(answer, settings.schema)
        elif name == "chrf":
            out[name] = chrf(answer, reference)
    return out
