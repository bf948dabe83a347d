"""Stage a user's data as the JSON-lines files TRL reads: conversations, or prompt/chosen/rejected for DPO.

``backend.data.prepare_dataset`` does the full job (every format, validation, token counts);
until it is available this module's small reader handles JSON lines in the chat and preference
shapes, with the same kind of message: which file, which line, what is wrong.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

from backend.cancel import CancelToken, ProgressFn
from backend.errors import InvalidInput
from backend.models import DataRefs, ProviderKind, TrainingConfig

_ROLES = {"system", "user", "assistant", "tool", "developer"}
log = logging.getLogger(__name__)


def _messages(value: Any, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise InvalidInput(f"{where}: “messages” must be a non-empty list of chat turns.")
    for turn in value:
        if not isinstance(turn, dict) or turn.get("role") not in _ROLES or not isinstance(turn.get("content"), str):
            raise InvalidInput(f"{where}: each turn needs a “role” (system, user or assistant) and a text “content”.")
    return [{"role": t["role"], "content": t["content"]} for t in value]


def _row(record: Any, method: str, where: str) -> dict:
    if not isinstance(record, dict):
        raise InvalidInput(f"{where}: expected a JSON object, found {type(record).__name__}.")
    if method == "dpo":
        if "preferred_output" in record:  # OpenAI's preference format
            prompt = _messages(record.get("input", {}).get("messages"), where)
            return {"prompt": prompt, "chosen": _messages(record["preferred_output"], where),
                    "rejected": _messages(record.get("non_preferred_output"), where)}
        if {"prompt", "chosen", "rejected"} <= record.keys():
            return {k: record[k] if isinstance(record[k], str) else _messages(record[k], where)
                    for k in ("prompt", "chosen", "rejected")}
        raise InvalidInput(f"{where}: DPO needs “prompt”, “chosen” and “rejected” (or OpenAI's “input”, "
                           f"“preferred_output” and “non_preferred_output”); found {', '.join(sorted(record)) or 'nothing'}.")
    if "messages" in record:
        messages = _messages(record["messages"], where)
        if not any(m["role"] == "assistant" for m in messages):
            raise InvalidInput(f"{where}: the conversation has no assistant turn to learn from.")
        return {"messages": messages}
    if isinstance(record.get("prompt"), str) and isinstance(record.get("completion"), str):
        return {"prompt": record["prompt"], "completion": record["completion"]}
    if isinstance(record.get("text"), str):
        return {"text": record["text"]}
    raise InvalidInput(f"{where}: expected “messages” (a list of chat turns), “prompt” and “completion”, or "
                       f"“text”; found {', '.join(sorted(record)) or 'nothing'}.")


def read_rows(path: Path | str, method: str, cancel: CancelToken | None = None, *, dedupe: bool = False,
              drop_invalid: bool = False, dropped: dict[str, int] | None = None) -> list[dict]:
    """The examples of a JSON-lines file; duplicates and invalid lines left out (and counted in ``dropped``)
    when asked, otherwise an invalid line stops with its line number."""
    dropped = {} if dropped is None else dropped
    seen: set[str] = set()
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"The data file “{path}” does not exist.")
    rows = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if cancel is not None and number % 1000 == 0:
                cancel.raise_if_cancelled()
            if not line.strip():
                continue
            where = f"{path.name}, line {number}"
            try:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).",
                                       hint="Each line must hold one JSON object.") from None
                row = _row(record, method, where)
            except InvalidInput:
                if not drop_invalid:
                    raise
                dropped["invalid"] = dropped.get("invalid", 0) + 1
                continue
            if dedupe:
                key = json.dumps(row, sort_keys=True, ensure_ascii=False)
                if key in seen:
                    dropped["duplicates"] = dropped.get("duplicates", 0) + 1
                    continue
                seen.add(key)
            rows.append(row)
    if not rows:
        raise InvalidInput(f"The data file “{path}” has no examples.")
    return rows


def _write(rows: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


def _check_kind(prepared_file: str, method: str, source: str) -> None:
    """Preference data for DPO, conversations or text for supervised training: say so when they are swapped."""
    with open(prepared_file, encoding="utf-8") as file:
        first = json.loads(file.readline() or "{}")
    if method == "dpo" and "chosen" not in first:
        raise InvalidInput(f"{source} holds conversations, but DPO needs “prompt”, “chosen” and “rejected” "
                           "(a preferred and a rejected answer for each prompt).",
                           hint="Choose supervised fine-tuning, or a file of preference pairs.")
    if method == "supervised" and "chosen" in first:
        raise InvalidInput(f"{source} holds preference pairs, which supervised fine-tuning cannot use.",
                           hint="Choose DPO for this file.")


def _asked(config: TrainingConfig, option: str) -> bool:
    return bool(config.options.get(option))


def _dropped_summary(config: TrainingConfig, dropped: dict[str, int]) -> dict[str, int]:
    """``dropped_duplicates`` / ``dropped_invalid`` (validation file's counts added in) for each option asked."""
    out = {}
    for option, key in (("dedupe", "duplicates"), ("drop_invalid", "invalid")):
        if _asked(config, option):
            out[f"dropped_{key}"] = dropped.get(key, 0) + dropped.get(f"validation_{key}", 0)
    if out:
        log.info("Staged %s: %s", config.training_file, ", ".join(f"{k} {v}" for k, v in out.items()))
    return out


def dropped_message(summary: dict) -> str | None:
    """A sentence for the run's events: what staging left out, on the user's request (never silently)."""
    parts = [f"{summary[key]:,} {what}" for key, what in (("dropped_duplicates", "exact duplicate(s)"),
                                                          ("dropped_invalid", "invalid example(s)"))
             if key in summary]
    if not parts:
        return None
    return (f"Data: {summary.get('examples', 0):,} training and {summary.get('validation_examples', 0):,} "
            f"validation example(s); left out {' and '.join(parts)}, as chosen on the data page.")


def _prepared_by_data_package(config: TrainingConfig, out_dir: Path, progress, cancel) -> DataRefs | None:
    try:
        from backend.data import prepare_dataset

        prepared = prepare_dataset(
            config.training_file, ProviderKind.HF_LOCAL, out_dir, format=config.options.get("data_format"),
            column_mapping=config.options.get("column_mapping"), validation_path=config.validation_file,
            validation_split=config.validation_split, seed=config.split_seed, dedupe=_asked(config, "dedupe"),
            drop_invalid=_asked(config, "drop_invalid"), progress=progress, cancel=cancel)
    except (ImportError, NotImplementedError):
        return None
    _check_kind(prepared.train_path, config.method, config.training_file)
    stats = prepared.report.stats
    summary = {"examples": prepared.train_examples, "validation_examples": prepared.validation_examples,
               "tokens": stats.total_tokens, "longest_tokens": stats.tokens.max, "source": config.training_file,
               **_dropped_summary(config, prepared.dropped)}
    if prepared.train_examples + prepared.validation_examples and stats.total_tokens:
        # the counts above cover the whole file; scale them to the training share
        summary["tokens"] = round(stats.total_tokens * prepared.train_examples /
                                  max(1, stats.valid_examples or prepared.train_examples))
    return DataRefs(training=prepared.train_path, validation=prepared.validation_path, summary=summary)


def stage_data(config: TrainingConfig, out_dir: Path | str, *, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> DataRefs:
    """Write ``train.jsonl`` (and ``validation.jsonl``) in TRL's format to ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    refs = _prepared_by_data_package(config, out_dir, progress, cancel)
    if refs is not None:
        return refs
    dropped: dict[str, int] = {}
    flags = dict(dedupe=_asked(config, "dedupe"), drop_invalid=_asked(config, "drop_invalid"))
    train = read_rows(config.training_file, config.method, cancel, dropped=dropped, **flags)
    validation = (read_rows(config.validation_file, config.method, cancel, dropped=dropped, **flags)
                  if config.validation_file else [])
    if not validation and config.validation_split > 0:
        random.Random(config.split_seed).shuffle(train)
        cut = max(1, round(len(train) * config.validation_split))
        if cut >= len(train):
            raise InvalidInput("The validation split would leave no training examples.", hint="Lower the split.")
        validation, train = train[:cut], train[cut:]
    _write(train, out_dir / "train.jsonl")
    if validation:
        _write(validation, out_dir / "validation.jsonl")
    characters = sum(len(json.dumps(r, ensure_ascii=False)) for r in train)
    summary = {"examples": len(train), "validation_examples": len(validation), "characters": characters,
               "approx_tokens": characters // 4, "source": config.training_file, **_dropped_summary(config, dropped)}
    return DataRefs(training=str(out_dir / "train.jsonl"),
                    validation=str(out_dir / "validation.jsonl") if validation else None, summary=summary)
