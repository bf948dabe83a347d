"""What an evaluation found: per candidate its quality, its measured cost and the lesson's verdict.

Scores are computed here from the stored answers (cheap, and a changed pattern or schema needs no new
calls). Cost is measured: the mean prompt and completion tokens the provider reported per request, priced
from the dated table (``data.pricing.request_prices``) as USD per 1,000 requests; a local model has no
per-request price. The verdict compares the fine-tuned model (the run's anchor) with each baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean

from backend import providers
from backend.data.pricing import request_prices
from backend.evaluate.judge import combine, wilson
from backend.evaluate.scores import ScoreSettings, score
from backend.evaluate.spec import Candidate, EvalSpec, ResultLog
from backend.evaluate.testset import TestExample, load_examples
from backend.words import plural

SCORE_TITLES = {"exact": "exact match", "contains": "contains the answer", "regex": "matches the pattern",
                "json": "valid JSON", "chrf": "chrF", "tool_calls": "tool calls"}


@dataclass
class Row:
    """One candidate's line in the table."""

    candidate: Candidate
    answered: int = 0
    errors: int = 0
    scores: dict[str, float] = field(default_factory=dict)  # mean of each score that applied
    prompt_tokens: float | None = None  # mean per request, as reported; None: the provider reports none
    completion_tokens: float | None = None
    latency_s: float | None = None
    per_1k_usd: float | None = None  # None: no price (see price_note)
    price_note: str = ""
    judged: dict[str, int] = field(default_factory=dict)  # the anchor's win/tie/loss against this candidate

    @property
    def per_request_usd(self) -> float | None:
        return None if self.per_1k_usd is None else self.per_1k_usd / 1000


@dataclass
class Report:
    spec: EvalSpec
    examples: list[TestExample]
    rows: list[Row]
    per_example: dict[tuple[str, int], dict] = field(default_factory=dict)  # (candidate, example): answer+scores
    primary: str | None = None  # the score the chart and the verdict use

    @property
    def anchor(self) -> Row | None:
        anchor = self.spec.anchor
        return next((r for r in self.rows if anchor and r.candidate.id == anchor.id), None)

    def quality(self, row: Row) -> float | None:
        return row.scores.get(self.primary) if self.primary else None


def _price(row: Row) -> None:
    ref = row.candidate.ref
    cls = providers.provider_class(ref.provider) if ref.provider else None
    table = cls.data.price_table if cls is not None and cls.data is not None else None
    if cls is not None and cls.runs_local_folders and table is None:
        row.per_1k_usd, row.price_note = 0.0, "runs on this computer: no per-request price"
        return
    prices = request_prices(table, ref.model, fine_tuned=row.candidate.trained)
    if prices is None:
        row.price_note = "no price in the table for this model"
    elif row.prompt_tokens is None or row.completion_tokens is None:
        row.price_note = "the provider reported no token counts"
    else:
        inp, out, as_of = prices
        row.per_1k_usd = 1000 * (row.prompt_tokens * inp + row.completion_tokens * out) / 1e6
        row.price_note = f"prices as of {as_of}"


def build_report(spec: EvalSpec, results: ResultLog | None = None) -> Report:
    results = results or ResultLog(spec.id)
    examples = load_examples(spec.test_path)
    settings = ScoreSettings(tuple(spec.scores), pattern=spec.pattern, schema=spec.json_schema)
    report = Report(spec, examples, [])
    anchor = spec.anchor
    for candidate in spec.candidates:
        row = Row(candidate)
        sums: dict[str, list[float]] = {}
        prompt, completion, latency = [], [], []
        for example in examples:
            record = results.answers.get((candidate.id, example.index))
            if record is None:
                continue
            if record.get("error"):
                row.errors += 1
                report.per_example[(candidate.id, example.index)] = {**record, "scores": {}}
                continue
            row.answered += 1
            values = score(record["text"], record.get("tool_calls"), example.reference, example.reference_calls,
                           settings)
            for name, value in values.items():
                if value is not None:
                    sums.setdefault(name, []).append(value)
            prompt.append(record.get("prompt_tokens"))
            completion.append(record.get("completion_tokens"))
            latency.append(record.get("latency_s") or 0.0)
            entry = {**record, "scores": values}
            if anchor and candidate.id != anchor.id:
                verdicts = [results.judgments.get((candidate.id, example.index, o), {}).get("verdict")
                            for o in ("anchor-first", "anchor-second")]
                if all(verdicts):
                    entry["judge"] = combine(*verdicts)  # the anchor's result against this candidate
                    row.judged[entry["judge"]] = row.judged.get(entry["judge"], 0) + 1
            report.per_example[(candidate.id, example.index)] = entry
        row.scores = {name: fmean(values) for name, values in sums.items()}
        if prompt and None not in prompt and None not in completion:
            row.prompt_tokens, row.completion_tokens = fmean(prompt), fmean(completion)
        row.latency_s = fmean(latency) if latency else None
        _price(row)
        report.rows.append(row)
    report.primary = next((n for n in spec.scores if any(n in r.scores for r in report.rows)), None)
    return report


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def verdict(report: Report, row: Row) -> str:
    """The lesson's one sentence for ``row``: how the fine-tuned model (the anchor) fares against it."""
    anchor = report.anchor
    if anchor is None or row is anchor:
        quality = report.quality(row)
        shown = f"{quality:.2f} {SCORE_TITLES.get(report.primary, report.primary)}" if quality is not None else "no score"
        return f"{row.candidate.title}: {shown} over {plural(row.answered, 'question')}."
    name = "The fine-tuned model" if anchor.candidate.trained else anchor.candidate.title
    judged = sum(row.judged.values())
    if judged:
        wins = row.judged.get("win", 0)
        low, high = wilson(wins, judged)
        ties, losses = row.judged.get("tie", 0), row.judged.get("loss", 0)
        quality = (f"wins {_pct(wins / judged)} ({_pct(low)} to {_pct(high)}) of comparisons against "
                   f"{row.candidate.approach} (ties {_pct(ties / judged)}, losses {_pct(losses / judged)})")
    else:
        mine, theirs = report.quality(anchor), report.quality(row)
        title = SCORE_TITLES.get(report.primary, report.primary or "")
        quality = (f"scores {mine:.2f} {title} against {theirs:.2f} for {row.candidate.approach}"
                   if mine is not None and theirs is not None else f"was not scored against {row.candidate.approach}")
    mine_cost, their_cost = anchor.per_request_usd, row.per_request_usd
    if mine_cost is None or their_cost is None or their_cost == 0:
        return f"{name} {quality}; its cost per request cannot be compared ({anchor.price_note or row.price_note})."
    change = (their_cost - mine_cost) / their_cost
    if change <= 0:
        return f"{name} {quality} and costs {_pct(-change)} more per request, so its training cost is never recovered."
    sentence = f"{name} {quality} and costs {_pct(change)} less per request"
    training = anchor.candidate.training_cost_usd
    if training:
        requests = training / (their_cost - mine_cost)
        sentence += f"; its training cost is recovered after about {_round(requests):,} requests"
    return sentence + "."


def _round(value: float) -> int:
    """Two significant figures: "about 12,000 requests", not "11,873"."""
    if value < 100:
        return round(value)
    digits = len(str(int(value))) - 2
    return int(round(value, -digits))
