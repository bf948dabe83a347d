"""Upload-ready files for a provider: split, shuffle, deduplicate and drop invalid examples on request
(always counted, never silent), converted to the provider's format, streamed so memory stays flat.

Formats written: OpenAI and Azure chat JSONL ({"messages", "tools"}) and preference JSONL ({"input",
"preferred_output", "non_preferred_output"}); for Hugging Face, TRL's conversational formats
({"messages"}, {"prompt", "chosen", "rejected"}) and {"text"} for plain text.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from backend.words import plural
from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.data.canonical import CanonicalExample
from backend.data.cost import split_sizes
from backend.data.examples import iter_examples
from backend.data.formats import DataFormat
from backend.data.profile import DataProfile, Dialect
from backend.data.readers import HubToken
from backend.data.report import ValidationReport
from backend.data.tokens import message_text
from backend.data.validate import validate_file
from backend.errors import InvalidInput
from backend.models import TrainingConfig

#: Examples shuffled in memory at a time; larger files are shuffled through this many-line buckets.
BUCKET_LINES = 50_000
_TRL_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


class PreparedDataset(BaseModel):
    train_path: str
    validation_path: str | None = None
    report: ValidationReport
    validation_report: ValidationReport | None = None
    train_examples: int = 0
    validation_examples: int = 0
    dropped: dict[str, int] = Field(default_factory=dict)  # "invalid", "duplicates" -> examples left out


def to_provider_record(example: CanonicalExample, profile: DataProfile) -> dict[str, Any]:
    """One canonical example in the upload format of ``profile``'s dialect."""
    if profile.dialect is Dialect.OPENAI:
        if example.text is not None:
            raise InvalidInput(f"{profile.who} cannot train on plain text.", hint="Use chat examples.")
        if example.chosen is not None:
            source: dict[str, Any] = {"messages": example.messages}
            if example.tools:
                source["tools"] = example.tools
            return {"input": source, "preferred_output": example.chosen, "non_preferred_output": example.rejected}
        return {"messages": example.messages, **({"tools": example.tools} if example.tools else {})}
    if example.text is not None:
        return {"text": example.text}

    def trl(messages: list[dict]) -> list[dict]:  # TRL knows no weights; content must be text
        return [{**{k: m[k] for k in _TRL_KEYS if k in m}, "content": message_text(m) if not m.get("tool_calls")
                 else m.get("content") or ""} for m in messages]
    if example.chosen is not None:
        return {"prompt": trl(example.messages), "chosen": trl(example.chosen), "rejected": trl(example.rejected or [])}
    return {"messages": trl(example.messages), **({"tools": example.tools} if example.tools else {})}


def _check(report: ValidationReport, drop_invalid: bool, path: str | Path) -> None:
    if report.ok or (drop_invalid and report.usable):
        return
    first = report.errors[0] if report.errors else None
    place = DataFormat(report.format).place
    where = (f" First: {place} {first.line}: {first.message}" if first and first.line else
             f" First: {first.message}" if first else "")
    raise InvalidInput(f"{path} has {plural(report.error_count, 'error')}.{where}",
                       hint="Fix them, or choose to drop the invalid examples." if report.usable else
                       "Fix them: too few usable examples remain.")


def write_examples(path, fmt, mapping, profile: DataProfile, out, *, dedupe: bool, drop_invalid: bool,
                   cancel: CancelToken | None, dropped: dict[str, int], on_example=None,
                   hub_token: HubToken = None) -> int:
    """Write the examples of ``path`` to ``out`` as ``profile``'s records, one JSON line each; invalid ones and
    (with ``dedupe``) exact duplicates are left out only on request, and counted in ``dropped``. Returns the
    number written. (``prepare_dataset`` and ``data convert`` both write through it.)"""
    seen: set[bytes] = set()
    written = 0
    for item in iter_examples(path, fmt, mapping, hub_token=hub_token):
        if not item.is_example:
            continue
        if cancel is not None and written % 256 == 0:
            cancel.raise_if_cancelled()
        if not item.valid:
            if not drop_invalid:
                raise InvalidInput(f"Line {item.line} of {path} is invalid.", hint="Validate the file first.")
            dropped["invalid"] = dropped.get("invalid", 0) + 1
            continue
        if dedupe and item.key is not None:
            if item.key in seen:
                dropped["duplicates"] = dropped.get("duplicates", 0) + 1
                continue
            seen.add(item.key)
        out.write(json.dumps(to_provider_record(item.example, profile), ensure_ascii=False) + "\n")
        written += 1
        if on_example is not None:
            on_example(written)
    return written


def _shuffled_lines(staging: Path, seed: int, count: int, tmp: Path):
    """Lines of ``staging`` in a seeded random order: through random buckets when there are many."""
    rng = random.Random(seed)
    buckets = max(1, -(-count // BUCKET_LINES))
    if buckets == 1:
        lines = staging.read_text(encoding="utf-8").splitlines(keepends=True)
        rng.shuffle(lines)
        yield from lines
        return
    files = [open(tmp / f"bucket-{i}.jsonl", "w+", encoding="utf-8") for i in range(buckets)]
    try:
        with open(staging, encoding="utf-8") as src:
            for line in src:
                files[rng.randrange(buckets)].write(line)
        for f in files:
            f.seek(0)
            lines = f.readlines()
            rng.shuffle(lines)
            yield from lines
    finally:
        for f in files:
            f.close()


def prepare_dataset(path: str | Path, profile: DataProfile, out_dir: str | Path, *, format=None,
                    column_mapping: dict[str, str] | None = None, validation_path: str | Path | None = None,
                    validation_split: float = 0.0, seed: int = 42, shuffle: bool = True, dedupe: bool = False,
                    drop_invalid: bool = False, model: str | None = None, progress: ProgressFn | None = None,
                    cancel: CancelToken | None = None, provider: str | None = None,
                    hub_token: HubToken = None) -> PreparedDataset:
    """Validate ``path`` (and ``validation_path``) against ``profile``, the rules of the provider the data goes
    to, then write train.jsonl (and validation.jsonl) to ``out_dir`` in its dialect. ``provider``: its name, as
    the reports record it; ``hub_token``: for a Hub dataset (``readers.HubToken``)."""
    if not 0.0 <= validation_split < 1.0:
        raise InvalidInput(f"A validation share of {validation_split} is not possible.", hint="Use 0 to 0.5.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = validate_file(path, format=format, column_mapping=column_mapping, profile=profile, provider=provider,
                           model=model, progress=progress, cancel=cancel, hub_token=hub_token)
    _check(report, drop_invalid, path)
    dropped: dict[str, int] = {}
    clock = EtaClock(report.stats.valid_examples or None)

    def tick(n: int) -> None:
        if progress is not None and n % 500 == 0:
            progress(clock.progress(n, "Preparing"))

    train_path, val_path = out_dir / "train.jsonl", out_dir / "validation.jsonl"
    validation_report, n_val = None, 0
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        staging = tmp / "staging.jsonl"
        with open(staging, "w", encoding="utf-8") as out:
            count = write_examples(path, report.format, column_mapping, profile, out, dedupe=dedupe,
                                    drop_invalid=drop_invalid, cancel=cancel, dropped=dropped, on_example=tick,
                                   hub_token=hub_token)
        lines = _shuffled_lines(staging, seed, count, tmp) if shuffle else open(staging, encoding="utf-8")
        n_val = split_sizes(count, validation_split, validation_path is not None)[1]
        chosen = set() if shuffle else set(random.Random(seed).sample(range(count), n_val))
        with open(train_path, "w", encoding="utf-8") as train, \
                (open(val_path, "w", encoding="utf-8") if n_val else open(os.devnull, "w")) as val:
            for i, line in enumerate(lines):
                is_val = (i < n_val) if shuffle else (i in chosen)
                (val if is_val else train).write(line)
        if not shuffle:
            lines.close()
        if validation_path is not None:
            validation_report = validate_file(validation_path, profile=profile, provider=provider, model=model,
                                              cancel=cancel, minimum=0,  # a validation file has no minimum of its own
                                              hub_token=hub_token)
            _check(validation_report, drop_invalid, validation_path)
            vdropped: dict[str, int] = {}
            with open(val_path, "w", encoding="utf-8") as val:
                n_val = write_examples(validation_path, validation_report.format, None, profile, val,
                                        dedupe=dedupe, drop_invalid=drop_invalid, cancel=cancel, dropped=vdropped,
                                       hub_token=hub_token)
            dropped.update({f"validation_{k}": v for k, v in vdropped.items()})
    n_train = count - (n_val if validation_path is None else 0)
    minimum = report.minimum_examples
    if n_train < minimum:
        raise InvalidInput(f"Only {plural(n_train, 'training example')} {'remains' if n_train == 1 else 'remain'} after "
                           "dropping and splitting; "
                           f"{profile.who} needs at least {minimum}.",
                           hint="Add examples, keep duplicates, or lower the validation share.")
    return PreparedDataset(train_path=str(train_path), validation_path=str(val_path) if n_val else None,
                           report=report, validation_report=validation_report, train_examples=n_train,
                           validation_examples=n_val, dropped=dropped)


def prepare_for(config: TrainingConfig, profile: DataProfile, out_dir: str | Path, *, model: str | None = None,
                progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                hub_token: HubToken = None) -> PreparedDataset:
    """``prepare_dataset`` for a launch: every data setting of ``config`` (format, column mapping, dedupe, drop
    invalid), its split and seed, so that no provider forgets one. ``profile`` is the provider's
    (``ProviderBase.data``): its rules and its dialect. ``hub_token``: for a Hub dataset (``readers.HubToken``)."""
    settings = config.data_settings
    return prepare_dataset(config.training_file, profile, out_dir, provider=config.provider, format=settings.format,
                           column_mapping=settings.column_mapping, validation_path=config.validation_file,
                           validation_split=config.validation_split, seed=config.split_seed, dedupe=settings.dedupe,
                           drop_invalid=settings.drop_invalid, model=model, progress=progress, cancel=cancel,
                           hub_token=hub_token)
