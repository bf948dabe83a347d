"""Exports treat answers as inert text: HTML escapes them, CSV defuses spreadsheet formulas."""

from __future__ import annotations

import csv

from backend.evaluate.export import render_html, write_csv
from backend.evaluate.report import build_report
from backend.evaluate.runner import run_evaluation
from backend.evaluate.spec import Candidate, EvalSpec
from tests.evaluate.conftest import BASE, opener, ref


def test_hostile_answers_stay_text(fake, files, tmp_path):
    answers = iter(["<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "<img src=x onerror=y>", "@SUM(A1)"])
    fake.state.reply_fn = lambda body: next(answers)
    test, _ = files
    spec = EvalSpec(test_path=str(test), candidates=[Candidate(ref=ref(BASE))], concurrency=1)
    report = build_report(spec, run_evaluation(spec, open_provider=opener(fake)))
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=y&gt;" in page
    rows = list(csv.DictReader(open(write_csv(report, tmp_path / "a.csv"), encoding="utf-8")))
    assert {r["answer"] for r in rows} >= {"'=HYPERLINK(\"http://x\")", "'@SUM(A1)"}
