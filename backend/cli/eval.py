"""``python main.py eval run|report|list|split``: is the fine-tune worth it, from a script.

``eval run --data test.jsonl --model FT --base BASE --baseline few-shot --baseline retrieval --train
train.jsonl --judge MODEL`` compares each fine-tuned model with the base model prompted each way, prints
the table and the verdicts, and stores every answer (``eval run --resume ID`` finishes an interrupted run).
``eval report ID --html out.html --csv out.csv`` writes the report; ``eval split FILE --share 0.1`` sets a
test set aside once and prints where the training remainder and the test set are.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from backend import providers
from backend.cancel import CancelToken
from backend.errors import InvalidInput
from backend.models import ChatParams, ModelRef
from backend.providers.base import Chats


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="evaluate fine-tuned models against prompting baselines")
    sub = parser.add_subparsers(dest="eval_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="answer a test set with each candidate, score and judge the answers")
    run.add_argument("--data", help="the test set (chat JSONL: the last assistant turn is the expected answer)")
    run.add_argument("--train", help="training examples for the few-shot and retrieval baselines")
    run.add_argument("--model", action="append", default=[], help="a fine-tuned model or checkpoint (repeatable)")
    run.add_argument("--job", help="a job: its fine-tuned model, its base and its training cost")
    run.add_argument("--base", help="the base model the baselines prompt (default: the fine-tune's base)")
    run.add_argument("--baseline", action="append", default=[], choices=["zero-shot", "few-shot", "retrieval"],
                     help="a prompting baseline on the base model (repeatable)")
    run.add_argument("--shots", type=int, default=5, help="examples in a few-shot or retrieval prompt")
    run.add_argument("--judge", help="a model that compares answers pairwise (both orders)")
    run.add_argument("--provider", choices=[k.value for k in providers.kinds(having=Chats)])
    run.add_argument("--account", help="the saved account to use (name or id)")
    run.add_argument("--score", action="append", dest="scores",
                     choices=["exact", "contains", "regex", "json", "chrf", "tool_calls"])
    run.add_argument("--regex", help="the pattern of the regex score")
    run.add_argument("--schema", help="a JSON Schema file the json score validates answers against")
    run.add_argument("--concurrency", type=int, default=4, help="requests at once to a remote provider")
    run.add_argument("--batch-size", type=int, default=8, dest="batch_size", help="questions per local batch")
    run.add_argument("--max-tokens", type=int, default=256, dest="max_tokens")
    run.add_argument("--training-cost", type=float, dest="training_cost", help="the fine-tune's cost in USD")
    run.add_argument("--resume", metavar="ID", help="finish a stored run (its settings are kept)")
    run.set_defaults(func=run_command)
    report = sub.add_parser("report", help="print a stored run's table; write it as HTML or CSV")
    report.add_argument("id")
    report.add_argument("--html", help="write a self-contained HTML report here")
    report.add_argument("--csv", help="write every answer and its scores here")
    report.set_defaults(func=report_command)
    listing = sub.add_parser("list", help="stored evaluations")
    listing.set_defaults(func=lambda args: print("\n".join(_line(s) for s in _specs())) or 0)
    split = sub.add_parser("split", help="set a test set aside from a training file, once")
    split.add_argument("file")
    split.add_argument("--share", type=float, default=0.1)
    split.add_argument("--seed", type=int, default=42)
    split.set_defaults(func=split_command)


def _specs():
    from backend.evaluate.spec import list_specs

    return list_specs()


def _line(spec) -> str:
    return f"{spec.id}  {spec.created_at:%Y-%m-%d %H:%M}  {len(spec.candidates)} candidates  {spec.test_path}"


def _ref(args, model: str, kind: str) -> ModelRef:
    """``model`` on the provider ``chat`` would pick for it (a folder: this computer; else ``--provider``)."""
    from backend.cli.chat import _account_id, _provider

    return ModelRef(provider=_provider(_Args(model, args.provider)), account_id=_account_id(args.account),
                    model=model, label=model, kind=kind)


class _Args:
    """What ``cli.chat._provider`` reads, for one model name."""

    def __init__(self, model: str, provider: str | None):
        self.model, self.provider, self.adapter = model, provider, None


def _spec(args):
    from backend.data.tokens import base_model_name
    from backend.evaluate.spec import Candidate, EvalSpec

    candidates: list[Candidate] = []
    base = args.base
    cost = args.training_cost
    base_refs: list[ModelRef] = []
    job = None
    if args.job:
        from backend.evaluate.jobs import job_choices

        job = job_choices(args.job, baselines=tuple(args.baseline or ["zero-shot"]), shots=args.shots)
        if cost is not None:
            job.tuned.training_cost_usd = cost
        candidates.append(job.tuned)
        if not base:
            candidates += job.baselines
    for model in args.model:
        candidates.append(Candidate(ref=_ref(args, model, "fine-tuned"), training_cost_usd=cost))
    if base:
        base_refs = [_ref(args, base, "base")]
    elif not base_refs and args.baseline and args.model:
        base_refs = [_ref(args, base_model_name(args.model[0]), "base")]
    for ref in base_refs:
        for baseline in args.baseline or ["zero-shot"]:
            shots = args.shots if baseline != "zero-shot" else 0
            candidates.append(Candidate(ref=ref, strategy=baseline, shots=shots))
    judge = _ref(args, args.judge, "base") if args.judge else None
    schema = _schema(args.schema) if args.schema else None
    scores = args.scores or (["exact", "contains", "chrf", "tool_calls"] + (["regex"] if args.regex else [])
                             + (["json"] if schema else []))
    train = args.train or (job.train_path if job and any(c.strategy != "zero-shot" for c in candidates) else None)
    data = args.data or (job.test_path if job else None)
    if data is None:
        raise InvalidInput("Which questions? Give the test set with --data.",
                           hint="`eval split FILE` sets one aside from a training file.")
    return EvalSpec(test_path=str(data), train_path=train, candidates=candidates, scores=scores,
                    pattern=args.regex, json_schema=schema, judge=judge, concurrency=args.concurrency,
                    batch_size=args.batch_size, params=ChatParams(temperature=0, max_tokens=args.max_tokens))


def _schema(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"The schema file “{path}” cannot be read: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise InvalidInput(f"The schema file “{path}” is not JSON: {exc}.") from None


def run_command(args) -> int:
    from backend.evaluate.report import build_report
    from backend.evaluate.runner import run_evaluation
    from backend.evaluate.spec import open_spec

    spec = open_spec(args.resume) if args.resume else _spec(args)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())  # Ctrl-C: stop; answers stay stored

    def progress(p) -> None:
        print(f"\r{p.done:.0f}/{p.total:.0f} {p.message}" + (f" · {p.eta_seconds:.0f} s left" if p.eta_seconds else ""),
              end="", file=sys.stderr, flush=True)

    print(f"evaluation {spec.id}", file=sys.stderr)
    try:
        results = run_evaluation(spec, progress=progress, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        print(file=sys.stderr)
    _print(build_report(spec, results))
    print(f"stored as {spec.id}: `eval report {spec.id} --html report.html`", file=sys.stderr)
    return 0


def _print(report) -> None:
    from backend.evaluate.report import verdict

    for row in report.rows:
        scores = " ".join(f"{n}={v:.2f}" for n, v in row.scores.items())
        tokens = "tokens not reported" if row.prompt_tokens is None else \
            f"{row.prompt_tokens:.0f}+{row.completion_tokens:.0f} tokens"
        price = f"${row.per_1k_usd:.4f}/1k requests" if row.per_1k_usd is not None else row.price_note
        errors = f" {row.errors} failed" if row.errors else ""
        print(f"{row.candidate.title}: {row.answered} answered{errors} · {scores} · {tokens} · {price}")
    for row in report.rows:
        if row is not report.anchor or len(report.rows) == 1:
            print(verdict(report, row))


def report_command(args) -> int:
    from backend.evaluate.export import write_csv, write_html
    from backend.evaluate.report import build_report
    from backend.evaluate.spec import open_spec

    report = build_report(open_spec(args.id))
    _print(report)
    if args.html:
        print(f"wrote {write_html(report, args.html)}", file=sys.stderr)
    if args.csv:
        print(f"wrote {write_csv(report, args.csv)}", file=sys.stderr)
    return 0


def split_command(args) -> int:
    from backend.evaluate.testset import set_aside

    split = set_aside(args.file, args.share, args.seed)
    state = "already set aside" if split.reused else "set aside"
    print(f"{split.test_examples} test examples {state}: {split.test_path}")
    print(f"train on the other {split.train_examples}: {split.train_path}")
    return 0

