"""``python main.py eval``: a run against the fake OpenAI service, its report as HTML and CSV, a split."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests.evaluate.conftest import BASE, JUDGE, TUNED

ROOT = Path(__file__).resolve().parents[2]


def main(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "eval", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def test_eval_run_then_report(fake, files, tmp_path):
    test, train = files
    env = {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url}
    done = main("run", "--data", str(test), "--train", str(train), "--model", TUNED, "--baseline", "zero-shot",
                "--baseline", "few-shot", "--shots", "2", "--judge", JUDGE, "--provider", "openai",
                "--training-cost", "2.5", env=env)
    assert done.returncode == 0, done.stderr
    assert f"{TUNED} · fine-tuned: 4 answered" in done.stdout
    assert f"{BASE} · 2-shot prompting: 4 answered" in done.stdout  # the base named by the fine-tune's id
    assert "The fine-tuned model wins 100% (51% to 100%) of comparisons against zero-shot" in done.stdout
    run_id = done.stderr.split("evaluation ", 1)[1].split()[0]
    assert len([b for b in fake.state.chat_requests if b["model"] == JUDGE]) == 2 * 4 * 2

    fake.state.chat_requests.clear()
    html, table = tmp_path / "out.html", tmp_path / "out.csv"
    shown = main("report", run_id, "--html", str(html), "--csv", str(table))
    assert shown.returncode == 0, shown.stderr
    assert not fake.state.chat_requests  # a report asks nothing
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "What is the capital of France?" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page  # nothing to fetch or run
    rows = list(csv.DictReader(open(table, encoding="utf-8")))
    assert len(rows) == 3 * 4 and {r["candidate"] for r in rows} >= {f"{TUNED} · fine-tuned"}


def test_eval_errors_are_one_sentence(tmp_path):
    missing = main("report", "nope")
    assert missing.returncode == 1 and "There is no evaluation “nope”" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")
    refused = main("run", "--data", str(bad), "--model", TUNED, env={"OPENAI_API_KEY": "sk-x"})
    assert refused.returncode == 1 and "Line 1 of" in refused.stderr and "Traceback" not in refused.stderr


def test_eval_split_sets_a_test_set_aside_once(files):
    _, train = files
    first = main("split", str(train), "--share", "0.25")
    again = main("split", str(train), "--share", "0.25")
    assert first.returncode == 0 and "2 test examples set aside" in first.stdout
    assert "already set aside" in again.stdout and first.stdout.split(": ")[1] == again.stdout.split(": ")[1]
