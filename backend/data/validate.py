"""``validate_file``: one streamed pass over a data source, in parallel for large JSONL files, merged into
a ValidationReport with exact counts, duplicates across the whole file, statistics and estimates."""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable
from pathlib import Path

from backend.words import plural
from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.data.checks import CHECKS, MAX_FINDINGS_PER_CHECK, Severity
from backend.data.examples import is_jsonl, iter_examples
from backend.data.formats import DataFormat, detect_format
from backend.data.pricing import default_epochs, estimate_price
from backend.data.profile import DataProfile
from backend.data.readers import HubToken
from backend.data.report import Finding, ValidationReport
from backend.data.rules import Rules, rules_for
from backend.data.scan import Tally, TokenCounter, scan, scan_jsonl
from backend.data.stats import build_stats, find_duplicates
from backend.data.tokens import encoding_name_for_model
from backend.errors import Cancelled

#: Below this size, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 8 << 20
#: The least bytes per process of a parallel pass: a worker costs about 0.3 s to start. Tests lower both
#: (and parallel.MIN_CHUNK_BYTES), to run several processes over small files.
MIN_BYTES_PER_PROCESS = 4 << 20


def _throttled(progress: ProgressFn | None, total: float | None) -> Callable[[float], None] | None:
    if progress is None:
        return None
    clock, last = EtaClock(total), [0.0]

    def report(done: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or (total and done >= total):
            last[0] = now
            progress(clock.progress(done, "Validating"))
    return report


def _by_line(finding: tuple) -> int:
    return finding[0]


def _merge(parts: list[tuple[int, Tally]]) -> Tally:
    """One Tally from per-range tallies, with every line number made global."""
    if len(parts) == 1:
        return parts[0][1]
    if not parts:
        return Tally(cancelled=True)  # stopped before any process took a chunk
    out, offset, kept = Tally(), 0, {}
    for _, t in parts:
        out.examples += t.examples
        out.valid += t.valid
        out.preference += t.preference
        out.billed += t.billed
        out.total_tokens += t.total_tokens
        out.with_system += t.with_system
        out.cancelled |= t.cancelled
        for check, n in t.counts.items():
            out.counts[check] = out.counts.get(check, 0) + n
        for line, col, check, msg in sorted(t.findings, key=_by_line):  # each chunk kept its first findings
            if kept.get(check, 0) < MAX_FINDINGS_PER_CHECK:              # per check: keep the file's first
                kept[check] = kept.get(check, 0) + 1
                out.findings.append((line + offset if line else 0, col, check, msg))
                out.kept_last[check] = max(out.kept_last.get(check, -1), line + offset if line else 0)
        out.tokens.extend(t.tokens)
        out.messages.extend(t.messages)
        out.keys.extend(t.keys)
        out.key_lines.extend(line + offset for line in t.key_lines)
        for n, neg_line in t.longest:
            heapq.heappush(out.longest, (n, neg_line - offset))
        offset += t.last_line
    out.last_line = offset
    out.longest = heapq.nlargest(10, out.longest)
    return out


def validate_file(path: str | Path, *, format: DataFormat | str | None = None,
                  column_mapping: dict[str, str] | None = None, profile: DataProfile | None = None,
                  provider: str | None = None, inferred: bool = False, model: str | None = None,
                  context_length: int | None = None, tokenizer_path: str | None = None,
                  progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                  workers: int | None = None, minimum: int | None = None,
                  hub_token: HubToken = None) -> ValidationReport:
    """Validate a data source in one streamed pass; raises InvalidInput only if it cannot be read at all,
    Cancelled if ``cancel`` is set. ``profile`` holds the rules of the provider the data goes to
    (``providers.provider_class(kind).data``; None: generic rules only), ``provider`` that provider's name as
    the report records it, ``inferred`` whether the caller took it from ``model`` (``report.rules`` says whose
    rules were applied, and why). ``workers``: processes for large JSONL files (default: every core);
    ``minimum`` overrides the profile's least number of examples; ``hub_token`` is for a Hub dataset
    (``readers.HubToken``: pass ``backend.accounts.hub_dataset_token`` itself and it is called only if one is read)."""
    from backend.data.lines import MAX_LINE_BYTES

    started = time.perf_counter()
    fmt = DataFormat(format) if format else detect_format(path)
    rules = rules_for(profile, model, provider=provider, inferred=inferred, context_length=context_length,
                      minimum=minimum)
    context_length = rules.context_length
    encoding = encoding_name_for_model(model)
    size = os.path.getsize(path) if Path(path).is_file() else None
    report = _throttled(progress, size)
    from backend.data.parallel import scan_parallel, usable_cores

    workers = workers or usable_cores()
    with open(path, "rb") if size is not None else open(os.devnull, "rb") as f:
        utf16 = f.read(2) in (b"\xff\xfe", b"\xfe\xff")
    fast = is_jsonl(fmt, path) and not column_mapping and not tokenizer_path and not utf16
    tally = None
    processes = min(workers, max(1, (size or 0) // max(1, MIN_BYTES_PER_PROCESS)))
    if fast and processes > 1 and size >= PARALLEL_MIN_BYTES:
        tally = _merge(scan_parallel(path, fmt, encoding=encoding, context_length=context_length,
                                     processes=processes, progress=report, cancel=cancel, max_line=MAX_LINE_BYTES))
    if tally is None:
        counter = TokenCounter(encoding, tokenizer_path)
        stop = (lambda: cancel.cancelled) if cancel is not None else None
        if fast:
            tally = scan_jsonl(path, fmt, counter, on_block=report, context_length=context_length,
                               should_stop=stop, every=256)
        else:
            tally = scan(iter_examples(path, fmt, column_mapping, hub_token=hub_token), counter, context_length=context_length,
                         should_stop=stop, every=256)
        if report is not None and size:
            report(size)
    if tally.cancelled or (cancel is not None and cancel.cancelled):
        raise Cancelled("Validation was cancelled.")
    return _report(path, fmt, rules, model, tally, encoding if not tokenizer_path else str(tokenizer_path),
                   time.perf_counter() - started)


def _report(path, fmt: DataFormat, rules: Rules, model: str | None, tally: Tally, tokenizer: str,
            elapsed: float) -> ValidationReport:
    profile, context_length, minimum = rules.profile, rules.context_length, rules.minimum
    for line, first in find_duplicates(tally.keys, tally.key_lines):
        tally.add(line, "duplicate", f"The example is an exact duplicate of {fmt.place} {first}.")
    without_system = tally.counts.get("missing_system_message", 0)
    if without_system and not tally.with_system:  # no example has one: a choice, counted in the statistics
        del tally.counts["missing_system_message"]
        tally.findings = [f for f in tally.findings if f[2] != "missing_system_message"]
    if tally.examples == 0:  # unless the whole file was refused already (not UTF-8, unreadable)
        if not any(line == 0 and CHECKS[check].severity is Severity.ERROR for line, _, check, _ in tally.findings):
            tally.add(0, "empty_file", "The file contains no examples.")
    elif tally.valid < minimum and profile is not None:
        tally.add(0, "too_few_examples",
                  f"{plural(tally.valid, 'valid example')}; {profile.who} needs at least {minimum:,}.")
    if 0 < tally.preference < tally.valid:
        tally.add(0, "mixed_methods", f"{plural(tally.preference, 'preference pair')} and "
                  f"{plural(tally.valid - tally.preference, 'plain chat')} in one file.")
    if fmt is DataFormat.TEXT and profile is not None and not profile.plain_text:
        tally.add(0, "unsupported_by_provider", f"{profile.who} trains on chat examples, not plain text.")
    stats = build_stats(tally, context_length)
    stats.tokenizer = tokenizer
    stats.default_epochs = default_epochs(tally.valid)
    stats.billed_tokens = stats.billed_tokens_per_epoch * stats.default_epochs
    stats.without_system = without_system
    stats.without_user = tally.counts.get("missing_user_message", 0)
    findings = sorted((Finding(line=line, column=col, check=check, severity=CHECKS[check].severity, message=msg,
                               how_to_fix=CHECKS[check].how_to_fix) for line, col, check, msg in tally.findings),
                      key=lambda f: (f.line, f.check))
    price = estimate_price(stats.billed_tokens, profile.price_table, model) if profile is not None else None
    return ValidationReport(
        path=str(path), format=fmt, method="dpo" if tally.preference > tally.valid / 2 else "supervised",
        provider=rules.provider, provider_inferred=rules.inferred, rules=rules.sentence,
        model=model, findings=findings, counts=dict(tally.counts), stats=stats, price=price,
        minimum_examples=minimum, context_length=context_length, elapsed_seconds=elapsed)
