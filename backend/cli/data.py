"""``data validate FILE`` and ``data convert FILE --to FORMAT``: the data step without a window.

Both exit 1 when the data has errors (2 for bad arguments), and print each finding with its line,
its check and how to fix it."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

from backend.cancel import Progress
from backend.words import plural

SHOWN_PER_SEVERITY = 20


def data_kinds() -> list[str]:
    """The providers that train on data (a ``DataProfile``), in registry order: the --provider choices."""
    from backend import providers

    return [str(kind) for kind in providers.kinds() if providers.provider_class(kind).data is not None]


def targets() -> dict[str, str]:
    """``--to`` name -> provider: every provider with data, and each dialect's name (``trl``) for the first
    provider that trains on it (users know the format by that name)."""
    from backend import providers
    from backend.data.profile import Dialect

    found = {kind: kind for kind in data_kinds()}
    for dialect in Dialect:
        first = next((k for k in list(found) if providers.provider_class(k).data.dialect is dialect), None)
        if first is not None:
            found.setdefault(dialect.value, first)
    return found


def _profile(kind: str | None):
    from backend import providers

    return providers.provider_class(kind).data if kind else None


def register(subparsers) -> None:
    from backend.data.formats import DataFormat

    parser = subparsers.add_parser("data", help="check and convert training data")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    formats = [f.value for f in DataFormat]
    providers = data_kinds()

    v = sub.add_parser("validate", help="check a data file and print its findings and statistics")
    v.add_argument("file", help="a data file, a dataset folder or a Hub dataset id")
    v.add_argument("--format", choices=formats, help="the file's format (default: detected)")
    v.add_argument("--provider", choices=providers, help="check against this provider's rules")
    v.add_argument("--model", help="base model: token encoding, context length and price")
    v.add_argument("--tokenizer", help="count tokens with the tokenizer in this local model folder")
    v.add_argument("--json", action="store_true", help="print the whole report as JSON")
    v.set_defaults(func=validate_command)

    c = sub.add_parser("convert", help="write a data file in a provider's upload format")
    c.add_argument("file")
    c.add_argument("--to", required=True, choices=sorted(targets()), help="a provider's upload format (openai, "
                   "azure: chat or preference JSONL; trl, hf-local: TRL's conversational JSONL)")
    c.add_argument("-o", "--output", help="output file (default: FILE's name with .TO.jsonl, here)")
    c.add_argument("--format", choices=formats, help="the input's format (default: detected)")
    c.add_argument("--drop-invalid", action="store_true", help="leave invalid examples out (they are counted)")
    c.add_argument("--dedupe", action="store_true", help="leave exact duplicates out")
    c.set_defaults(func=convert_command)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _progress_printer():
    if not sys.stderr.isatty():
        return None

    def show(p: Progress) -> None:
        eta = f", about {p.eta_seconds:.0f} s left" if p.eta_seconds is not None else ""
        pct = f"{p.fraction:.0%}" if p.fraction is not None else f"{p.done:,.0f}"
        print(f"\r{p.message or 'Working'}: {pct}{eta}   ", end="", file=sys.stderr, flush=True)
    return show


def print_report(report, out=None) -> None:
    from backend.data.formats import DataFormat

    out = out or sys.stdout
    s = report.stats
    w = out.write
    place = DataFormat(report.format).place
    w(f"{report.path}: {DataFormat(report.format).label}, {plural(s.examples, 'example')}, {s.valid_examples:,} valid, "
      f"method {report.method}\n")
    if report.rules:
        names = ", ".join(data_kinds())
        choose = ("" if report.provider and not report.provider_inferred else
                  f" For another provider's rules, pass --provider ({names})." if report.provider else
                  f" To check against a provider's rules, pass --provider ({names}).")
        w(report.rules + choose + "\n")
    for title, items, total in (("Errors", report.errors, report.error_count),
                                ("Warnings", report.warnings, report.warning_count)):
        if not total:
            continue
        w(f"\n{title} ({total:,}):\n")
        for f in items[:SHOWN_PER_SEVERITY]:
            where = f"{place} {f.line}" + (f", column {f.column}" if f.column else "") if f.line else "file"
            w(f"  {where}: [{f.check}] {f.message} {f.how_to_fix}\n")
        if total > SHOWN_PER_SEVERITY:
            w(f"  ... and {total - SHOWN_PER_SEVERITY:,} more (--json lists up to 200 per check)\n")
    if report.counts:
        w("\nPer check: " + ", ".join(f"{c} {n:,}" for c, n in sorted(report.counts.items())) + "\n")
    if s.valid_examples:
        w(f"\nTokens ({s.tokenizer}): {s.total_tokens:,} in all; per example mean {s.tokens.mean:,.0f}, "
          f"median {s.tokens.median:,.0f}, max {s.tokens.max:,}; messages per example mean {s.messages.mean:.1f}\n")
        if s.without_system or s.without_user:
            w(f"Without a system message: {s.without_system:,}; without a user message: {s.without_user:,}\n")
        w("Longest: " + ", ".join(f"{place} {line} ({plural(n, 'token')})" for line, n in s.longest[:5]) + "\n")
        w(f"Default epochs: {s.default_epochs}; billed tokens: {s.billed_tokens_per_epoch:,} x {s.default_epochs} = "
          f"{s.billed_tokens:,}\n")
    if report.price is not None:
        w(f"Estimated price: ${report.price.amount_usd:,.2f} for {report.price.model} at "
          f"${report.price.usd_per_million_tokens}/1M tokens (prices as of {report.price.as_of})\n")
    warned = f", with {plural(report.warning_count, 'warning')} above: the data trains, but read them" \
        if report.warning_count else ""
    verdict = (f"READY{warned}" if report.ok else "USABLE if the invalid examples are dropped" if report.usable
               else "NOT USABLE: fix the errors above")
    w(f"\nResult: {verdict}\n")


def validate_command(args: argparse.Namespace) -> int:
    from backend import accounts, providers
    from backend.data.validate import validate_file

    # Without --provider, the model id may say whose rules apply (``claims_model``, asked in registry order).
    kind = args.provider or providers.infer_kind(args.model)
    profile = _profile(kind)
    report = validate_file(args.file, format=args.format, profile=profile, provider=kind if profile else None,
                           inferred=not args.provider, model=args.model, tokenizer_path=args.tokenizer,
                           progress=_progress_printer(), hub_token=accounts.hub_dataset_token)
    if sys.stderr.isatty():
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    if args.json:
        data = report.model_dump(mode="json")
        data.update(ok=report.ok, usable=report.usable, error_count=report.error_count,
                    warning_count=report.warning_count)
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        print_report(report)
    return 0 if report.ok else 1


def convert_command(args: argparse.Namespace) -> int:
    from backend import accounts
    from backend.data.prepare import write_examples
    from backend.data.validate import validate_file

    kind = targets()[args.to]
    profile = _profile(kind)
    token = functools.cache(accounts.hub_dataset_token)  # read once, and only if the source is a Hub dataset
    report = validate_file(args.file, format=args.format, profile=profile, provider=kind, progress=_progress_printer(),
                           hub_token=token)
    if not (report.ok or (args.drop_invalid and report.usable)):
        print_report(report, sys.stderr)
        print("Nothing written: fix the errors" + (", or add --drop-invalid." if report.usable else "."),
              file=sys.stderr)
        return 1
    output = Path(args.output or f"{Path(args.file).name.split('.')[0]}.{args.to}.jsonl")
    dropped: dict[str, int] = {}
    tmp = output.with_name(output.name + ".part")
    with open(tmp, "w", encoding="utf-8") as out:
        n = write_examples(args.file, report.format, None, profile, out, dedupe=args.dedupe,
                            drop_invalid=args.drop_invalid, cancel=None, dropped=dropped, hub_token=token)
    tmp.replace(output)
    left_out = ", ".join(f"{v:,} {k}" for k, v in dropped.items())
    print(f"Wrote {plural(n, 'example')} to {output}" + (f" (left out: {left_out})" if left_out else "") + ".")
    return 0
