"""OpenAI's fine-tuning objects as the app's: base models, jobs, events, metrics, checkpoints.

The models endpoint does not say which models can be fine-tuned or how long their context is, so
the fine-tunable snapshots come from the fine-tuning guide (copied by hand, dated below).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from datetime import datetime, timezone
from typing import Any

from backend.models import BaseModelInfo, Checkpoint, Job, JobEvent, JobStatus, MetricPoint

#: Fine-tunable snapshots: context window and methods (OpenAI fine-tuning guide, as of 2025-06).
CATALOG: dict[str, tuple[int, tuple[str, ...]]] = {
    "gpt-4.1-2025-04-14": (65536, ("supervised", "dpo")),
    "gpt-4.1-mini-2025-04-14": (65536, ("supervised", "dpo")),
    "gpt-4.1-nano-2025-04-14": (65536, ("supervised", "dpo")),
    "gpt-4o-2024-08-06": (65536, ("supervised", "dpo")),
    "gpt-4o-mini-2024-07-18": (65536, ("supervised", "dpo")),
    "gpt-3.5-turbo-0125": (16385, ("supervised",)),
    "gpt-3.5-turbo-1106": (16385, ("supervised",)),
}
#: Offered first when the user has not chosen: good quality per price, not being retired.
RECOMMENDED = "gpt-4.1-mini-2025-04-14"
_SUMMARY_METRICS = {"train_mean_token_accuracy": "train_accuracy", "valid_mean_token_accuracy": "valid_accuracy",
                    "train_accuracy": "train_accuracy"}


def base_of(model: str) -> str:
    """``ft:gpt-4o-mini-2024-07-18:org:suffix:id`` -> ``gpt-4o-mini-2024-07-18``."""
    return model.split(":")[1] if model.startswith("ft:") and model.count(":") >= 2 else model


def base_models(models: list[Any], catalog: dict = CATALOG) -> list[BaseModelInfo]:
    """Catalog models the account can see, then its own fine-tuned models (usable as bases)."""
    out: list[BaseModelInfo] = []
    for model in models:
        name = model.id
        base = base_of(name)
        if base not in catalog:
            continue
        context, methods = catalog[base]
        shutdown = getattr(model, "shutdown_date", None)
        out.append(BaseModelInfo(
            id=name, label=name if not name.startswith("ft:") else f"{name} (your model)", context_length=context,
            owned_by=getattr(model, "owned_by", None), shutdown_date=str(shutdown) if shutdown else None,
            fine_tuned=name.startswith("ft:"), methods=methods))
    order = list(catalog)
    out.sort(key=lambda m: (m.fine_tuned, order.index(base_of(m.id)), m.id))  # the catalog's order: newest first
    return out


def _time(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=timezone.utc) if value else None


def to_job(remote: Any, job: Job | None, provider) -> Job:
    """``job`` (the store's record, or a new one for an imported job) updated from the remote object."""
    method = getattr(getattr(remote, "method", None), "type", None) or "supervised"
    hyper = getattr(remote, "hyperparameters", None)
    error = getattr(remote, "error", None)
    error_text = None
    if error is not None and getattr(error, "message", None):
        error_text = error.message + (f" ({error.code})" if getattr(error, "code", None) else "")
    update: dict[str, Any] = dict(
        remote_id=remote.id, base_model=remote.model, method=method, status=JobStatus.parse(remote.status),
        status_raw=remote.status, fine_tuned_model=remote.fine_tuned_model, error=error_text,
        trained_tokens=remote.trained_tokens, finished_at=_time(remote.finished_at),
        estimated_finish=_time(getattr(remote, "estimated_finish", None)), updated_at=datetime.now(timezone.utc))
    if job is None:
        metadata = {k: str(v) for k, v in (getattr(remote, "metadata", None) or {}).items()}
        job = Job(provider=provider.kind, account_id=provider.account_id, created_at=_time(remote.created_at),
                  name=getattr(remote, "user_provided_suffix", None) or remote.model, metadata=metadata,
                  config={"imported": True})
    config = dict(job.config)
    if hyper is not None:
        config["resolved_hyperparameters"] = hyper.model_dump(exclude_none=True)
    return job.model_copy(update={**update, "config": config})


def to_event(remote: Any) -> JobEvent:
    data = getattr(remote, "data", None)
    return JobEvent(id=remote.id, created_at=_time(remote.created_at), level=remote.level, message=remote.message,
                    type=getattr(remote, "type", None) or "message", data=data if isinstance(data, dict) else None)


def metric_from_event(event: JobEvent) -> MetricPoint | None:
    if event.type != "metrics" or not event.data or "step" not in event.data:
        return None
    return _point(event.data, time=event.created_at.timestamp())


def _point(row: dict, **extra: Any) -> MetricPoint | None:
    def number(name: str) -> float | None:
        value = row.get(name)
        if value in (None, ""):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    step = number("step")
    if step is None:
        return None
    values = {"train_loss": number("train_loss"), "valid_loss": number("valid_loss")}
    for source, target in _SUMMARY_METRICS.items():
        if number(source) is not None:
            values[target] = number(source)
    return MetricPoint(step=int(step), **values, **extra)


def metrics_from_result_file(content: bytes) -> list[MetricPoint]:
    """The result file is CSV, base64-encoded by the service (plain CSV is accepted as well)."""
    text = content.decode("utf-8", "replace")
    if not text.lstrip().startswith("step"):
        try:
            text = base64.b64decode(content, validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return []
    points = [_point(row) for row in csv.DictReader(io.StringIO(text))]
    return [p for p in points if p is not None]


def merge_metrics(*sources: list[MetricPoint]) -> list[MetricPoint]:
    """One point per step; later sources fill in what earlier ones lack."""
    by_step: dict[int, dict] = {}
    for source in sources:
        for point in source:
            row = by_step.setdefault(point.step, {})
            row.update({k: v for k, v in point.model_dump().items() if v is not None})
    return [MetricPoint(**row) for _, row in sorted(by_step.items())]


def to_checkpoint(remote: Any) -> Checkpoint:
    metrics = remote.metrics.model_dump(exclude_none=True) if getattr(remote, "metrics", None) else {}
    return Checkpoint(id=remote.id, step=remote.step_number, model=remote.fine_tuned_model_checkpoint,
                      created_at=_time(remote.created_at), metrics={k: float(v) for k, v in metrics.items()})
