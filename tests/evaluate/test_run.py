"""A whole evaluation against the fake OpenAI service through the real SDK: what each baseline sends, the
tokens as reported, the judge in both orders, 429s waited out, and a crashed run finished without asking
again what it had stored."""

from __future__ import annotations

import pytest

from backend.cancel import CancelToken
from backend.evaluate.report import build_report, verdict
from backend.evaluate.runner import Evaluation, run_evaluation
from backend.evaluate.spec import Candidate, EvalSpec, ResultLog
from tests.evaluate.conftest import BASE, CAPITALS, JUDGE, TUNED, opener, ref, reported_usage


def spec_for(files, *, judge: bool = True, **options) -> EvalSpec:
    test, train = files
    return EvalSpec(test_path=str(test), train_path=str(train), candidates=[
        Candidate(ref=ref(TUNED, "fine-tuned"), training_cost_usd=1.0),
        Candidate(ref=ref(BASE)),
        Candidate(ref=ref(BASE), strategy="few-shot", shots=3),
        Candidate(ref=ref(BASE), strategy="retrieval", shots=2)],
        judge=ref(JUDGE) if judge else None, **options)


def sent(fake, model: str) -> list[list[dict]]:
    return [b["messages"] for b in fake.state.chat_requests if b["model"] == model]


def test_each_baseline_sends_the_prompt_it_should(fake, files):
    spec = spec_for(files, judge=False)
    run_evaluation(spec, open_provider=opener(fake))
    tuned, base = sent(fake, TUNED), sent(fake, BASE)
    assert len(tuned) == 4 and len(base) == 12
    question = "What is the capital of France?"
    # zero-shot and the fine-tune: the test conversation as it is, nothing added
    plain = [{"role": "system", "content": "Answer with the city only."}, {"role": "user", "content": question}]
    assert plain in tuned and plain in base
    few = [m for m in base if len(m) == 2 + 2 * 3 and m[-1]["content"] == question]
    assert len(few) == 1
    shots = [m["content"] for m in few[0][1:-1]]
    assert all(s.split()[-1].rstrip("?.") in {*CAPITALS, *CAPITALS.values()} for s in shots)
    assert "France" not in " ".join(shots) and "Paris" not in " ".join(shots)  # shots come from training only
    fixed = {tuple(m["content"] for m in msgs[1:-1]) for msgs in base if len(msgs) == 8}
    assert len(fixed) == 1  # few-shot: the same examples for every question
    retrieved = [m for m in base if len(m) == 2 + 2 * 2]
    assert len(retrieved) == 4
    # retrieval: the most similar training questions (all share "capital of"; the shots are user/assistant pairs)
    assert all(m[1]["role"] == "user" and m[2]["role"] == "assistant" for m in retrieved)


def test_scores_tokens_and_cost_are_what_the_provider_reported(fake, files):
    spec = spec_for(files, judge=False)
    results = run_evaluation(spec, open_provider=opener(fake))
    report = build_report(spec, results)
    rows = {r.candidate.approach: r for r in report.rows}
    assert rows["fine-tuned"].scores["exact"] == 1.0 and rows["zero-shot"].scores["exact"] == 0.0
    assert rows["3-shot prompting"].scores["exact"] == 1.0
    for row in report.rows:  # the table's mean is the mean of the stored, reported counts
        stored = [results.answers[(row.candidate.id, i)] for i in range(4)]
        assert row.prompt_tokens == sum(s["prompt_tokens"] for s in stored) / 4
        assert row.completion_tokens == sum(s["completion_tokens"] for s in stored) / 4
    billed = sorted(reported_usage(b) for b in fake.state.chat_requests if b["model"] == TUNED)
    stored = sorted((results.answers[(report.rows[0].candidate.id, i)]["prompt_tokens"],
                     results.answers[(report.rows[0].candidate.id, i)]["completion_tokens"]) for i in range(4))
    assert stored == billed  # exactly what the provider reported, request by request
    few = rows["3-shot prompting"]
    assert few.prompt_tokens > rows["fine-tuned"].prompt_tokens  # the few-shot prompt is the expensive part
    # priced from the dated table: base gpt-4o-mini $0.15/$0.60, its fine-tune $0.30/$1.20 per million
    assert few.per_1k_usd == pytest.approx(1000 * (few.prompt_tokens * 0.15 + few.completion_tokens * 0.6) / 1e6)
    tuned = rows["fine-tuned"]
    assert tuned.per_1k_usd == pytest.approx(1000 * (tuned.prompt_tokens * 0.3 + tuned.completion_tokens * 1.2) / 1e6)
    assert "as of 2025-06-01" in tuned.price_note


def test_the_judge_sees_both_orders_and_the_verdict_reads_as_a_sentence(fake, files):
    spec = spec_for(files)
    results = run_evaluation(spec, open_provider=opener(fake))
    asked = [b["messages"][1]["content"] for b in fake.state.chat_requests if b["model"] == JUDGE]
    assert len(asked) == 3 * 4 * 2  # three baselines, four questions, two orders
    france = [a for a in asked if "capital of France" in a and "Franceville" in a]
    assert len(france) == 2
    assert sorted("Answer A:\nParis." in a for a in france) == [False, True]  # the fine-tune in each seat
    assert sorted("Answer B:\nParis." in a for a in france) == [False, True]
    report = build_report(spec, results)
    rows = {r.candidate.approach: r for r in report.rows}
    assert rows["zero-shot"].judged == {"win": 4}  # the fine-tune wins in both orders against a wrong answer
    assert rows["3-shot prompting"].judged == {"tie": 4}  # same answers: the judge says TIE
    sentence = verdict(report, rows["zero-shot"])
    assert sentence.startswith("The fine-tuned model wins 100% (51% to 100%) of comparisons against zero-shot")
    few = verdict(report, rows["3-shot prompting"])
    assert "less per request" in few and "training cost is recovered after about" in few


def test_a_position_biased_judge_gives_ties(fake, files):
    fake.state.reply_fn = lambda body: "A" if body["model"] == JUDGE else f"{CAPITALS['France']}."
    spec = spec_for(files)
    results = run_evaluation(spec, open_provider=opener(fake))
    report = build_report(spec, results)
    assert all(r.judged == {"tie": 4} for r in report.rows[1:])


def test_429s_are_waited_out_as_retry_after_says(fake, files):
    fake.inject("POST /chat/completions", "429", times=3)
    spec = spec_for(files, judge=False, concurrency=2)
    events = []
    evaluation = Evaluation(spec, open_provider=opener(fake), progress=events.append)
    results = evaluation.run()
    assert evaluation.pacer.waits == [0.02, 0.02, 0.02]  # the fake's retry-after-ms, not a guess
    assert sum(1 for r in results.answers.values() if r["error"] is None) == 16
    assert [m for m, p in fake.requests if p == "/chat/completions"].count("POST") == 16 + 3  # each refused call sent again
    assert events[-1].done == 16 and events[-1].total == 16


def test_a_crashed_run_resumes_without_redoing_finished_examples(fake, files):
    spec = spec_for(files, judge=False, concurrency=1)
    calls = {"n": 0}
    real = opener(fake)

    class Crashing:
        def __init__(self, inner):
            self.inner = inner

        def complete(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] > 6:
                raise RuntimeError("the power went out")
            return self.inner.complete(*args, **kwargs)

    from backend.providers.base import Completes

    Completes.register(Crashing)
    with pytest.raises(RuntimeError):
        run_evaluation(spec, open_provider=lambda r: Crashing(real(r)))
    stored = len(ResultLog(spec.id).answers)
    assert stored == 6
    before = len(fake.state.chat_requests)
    with open(ResultLog(spec.id).path, "a", encoding="utf-8") as handle:
        handle.write('{"kind": "answer", "candid')  # a line cut short by the crash
    results = run_evaluation(spec, open_provider=real)
    assert len(fake.state.chat_requests) - before == 16 - 6  # only what was missing was asked
    assert len(results.answers) == 16


def test_cancel_stops_the_run_and_keeps_what_was_answered(fake, files):
    spec = spec_for(files, judge=False, concurrency=1)
    cancel = CancelToken()

    def progress(p):
        if p.done >= 3:
            cancel.cancel()

    from backend.errors import Cancelled

    with pytest.raises(Cancelled):
        run_evaluation(spec, open_provider=opener(fake), progress=progress, cancel=cancel)
    assert 3 <= len(ResultLog(spec.id).answers) < 16
