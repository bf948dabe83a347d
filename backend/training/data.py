"""Stage a user's data as the JSON-lines files TRL reads: conversations, or prompt/chosen/rejected for DPO.

``backend.data.prepare_for`` does the work (every format, validation, the data page's choices, token counts),
in the dialect of the profile the provider passes; this module adds what a local run needs: a check that the
method fits the data, and the summary and event line of what was left out.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from backend.words import plural
from backend.cancel import CancelToken, ProgressFn
from backend.data.profile import DataProfile
from backend.data.readers import HubToken
from backend.errors import InvalidInput
from backend.models import DataRefs, TrainingConfig

log = logging.getLogger(__name__)


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
    return bool(getattr(config.data_settings, option))


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
    parts = [plural(summary[key], what) for key, what in (("dropped_duplicates", "exact duplicate"),
                                                           ("dropped_invalid", "invalid example")) if key in summary]
    if not parts:
        return None
    return (f"Data: {summary.get('examples', 0):,} training and "
            f"{plural(summary.get('validation_examples', 0), 'validation example')}; left out "
            f"{' and '.join(parts)}, as chosen on the data page.")


def stage_data(config: TrainingConfig, out_dir: Path | str, *, profile: DataProfile, hub_token: HubToken = None,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> DataRefs:
    """Write ``train.jsonl`` (and ``validation.jsonl``) in ``profile``'s dialect (TRL's, for local training) to
    ``out_dir`` through ``prepare_for``, as the data page set the data up; return their paths and a summary.
    ``hub_token``: for a Hub dataset (the caller's: training reads no keyring)."""
    from backend.data.prepare import prepare_for  # here: numpy and pydantic load when data are staged

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = prepare_for(config, profile, out_dir, progress=progress, cancel=cancel, hub_token=hub_token)
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
