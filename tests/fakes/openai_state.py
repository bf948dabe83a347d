"""What the fake OpenAI service remembers: files, uploads, fine-tuning jobs and their lifecycle.

A job moves one stage per ``advance()``: validating_files -> queued -> running, then while
running each ``advance()`` emits ``steps_per_advance`` metric events (and a checkpoint at each
epoch's end) until the last step, after which it succeeds with a fine-tuned model and a result
file. Nothing moves on its own, so tests decide exactly what the client sees.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

FINE_TUNABLE = {
    "gpt-4.1-2025-04-14": ("supervised", "dpo"),
    "gpt-4.1-mini-2025-04-14": ("supervised", "dpo"),
    "gpt-4.1-nano-2025-04-14": ("supervised", "dpo"),
    "gpt-4o-2024-08-06": ("supervised", "dpo"),
    "gpt-4o-mini-2024-07-18": ("supervised", "dpo"),
    "gpt-3.5-turbo-0125": ("supervised",),
}
OTHER_MODELS = ("gpt-4o-mini", "text-embedding-3-small", "whisper-1")
SHUTDOWN = {"gpt-3.5-turbo-0125": "2026-12-15"}
SIMPLE_UPLOAD_LIMIT = 512 * 1024 * 1024  # the Files API's limit for one request


def now() -> int:
    return int(time.time())


def short_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


class APIFailure(Exception):
    """An error the fake answers with: status, type, message, param, code."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass
class FakeJob:
    data: dict
    total_steps: int
    n_epochs: int
    step: int = 0
    events: list[dict] = field(default_factory=list)  # oldest first
    checkpoints: list[dict] = field(default_factory=list)  # oldest first
    fail_with: tuple[str, str] | None = None
    fail_at_end: tuple[str, str] | None = None  # (code, message): fails after training (a safety evaluation)
    azure: bool = False  # created through Azure's routes: named and listed as Azure does

    @property
    def status(self) -> str:
        return self.data["status"]


class FakeOpenAIState:
    """The service's memory, shared by the HTTP handler threads (guarded by ``lock``)."""

    def __init__(self, organization: str = "org-fake", *, total_steps: int = 6, steps_per_advance: int = 3):
        self.lock = threading.RLock()
        self.organization = organization
        self.total_steps = total_steps
        self.steps_per_advance = steps_per_advance
        self.files: dict[str, dict] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.uploads: dict[str, dict] = {}
        self.upload_parts: dict[str, dict[str, bytes]] = {}
        self.upload_lifetime = 3600  # seconds from creation until an upload expires, as the Uploads API says
        self.jobs: dict[str, FakeJob] = {}  # insertion order = creation order
        self.extra_models: list[dict] = []
        self.deleted_models: set[str] = set()  # fine-tuned models deleted through DELETE /models/{model}
        self.refusal: dict | None = None  # status, message, type, param, code of a refused job creation
        self.fail_next_job: tuple[str, str] | None = None
        self.fail_next_job_at_end: tuple[str, str] | None = None
        self.file_error_next: str | None = None
        self.reply_text = "Hello from the fake model."
        self.reply_chunks = 4
        self.stream_delay = 0.0  # seconds between streamed chunks
        self.chat_requests: list[dict] = []
        #: The reply to a (non-streamed) chat request, from its body: a text, or {"content", "tool_calls"}; None:
        #: ``reply_text``. Evaluation tests answer each question with a known reply through it.
        self.reply_fn = None
        #: (prompt_tokens, completion_tokens) the fake reports for a chat request's body; None: 10 and 5.
        self.usage_fn = None
        #: Whether an Azure deployment name serves chat (a function of the name; None: every name does). Tests that
        #: run the management fake too link it here, so a deployment still being created, or never coming up,
        #: answers as Azure does (``azure_routes.deployment_not_found``).
        self.azure_serving = None

    # -- files --------------------------------------------------------------------------------------
    def add_file(self, filename: str, purpose: str, content: bytes) -> dict:
        file_id = short_id("file-")
        status_details = None
        if purpose == "fine-tune":
            status_details = self.file_error_next or _jsonl_problem(content)
            self.file_error_next = None
        record = {"id": file_id, "object": "file", "bytes": len(content), "created_at": now(),
                  "filename": filename, "purpose": purpose, "status": "uploaded"}
        self.files[file_id] = record
        self.file_bytes[file_id] = content
        # Processing completes at the first retrieve; an error is reported then.
        record["_outcome"] = ("error", status_details) if status_details else ("processed", None)
        return record

    def file(self, file_id: str, *, process: bool = True) -> dict:
        record = self.files.get(file_id)
        if record is None:
            raise APIFailure(404, f"No such File object: {file_id}", param="id")
        if process and record["status"] == "uploaded":
            outcome, details = record["_outcome"]
            record["status"] = outcome
            if details:
                record["status_details"] = details
        return record

    # -- jobs ---------------------------------------------------------------------------------------
    def create_job(self, body: dict, *, methods: tuple[str, ...] | None = None) -> dict:
        """A new job; ``methods``: the model was checked by the caller (Azure's routes), these are its methods."""
        if self.refusal:
            raise APIFailure(**self.refusal)
        for name in ("model", "training_file"):
            if not body.get(name):
                raise APIFailure(400, f"Missing required parameter: '{name}'.", param=name)
        model = body["model"]
        method = body.get("method") or {"type": "supervised", "supervised": {}}
        kind = method.get("type", "supervised")
        base = model.split(":")[1] if model.startswith("ft:") else model
        if methods is not None:
            if kind not in methods:
                raise APIFailure(400, f"Method '{kind}' is not supported for model {model}.", param="method")
        elif model.startswith("ft:") and (model in self.deleted_models or not any(
                j.data.get("fine_tuned_model") == model for j in self.jobs.values())):
            raise APIFailure(400, f"Model {model} is not available for fine-tuning or does not exist.",
                             param="model", code="model_not_available")
        elif base not in FINE_TUNABLE:
            raise APIFailure(400, f"Model {model} is not available for fine-tuning or does not exist.",
                             param="model", code="model_not_available")
        elif kind not in FINE_TUNABLE[base]:
            raise APIFailure(400, f"Method '{kind}' is not supported for model {model}.", param="method")
        for name in ("training_file", "validation_file"):
            if body.get(name):
                self._check_training_file(body[name], name)
        suffix = body.get("suffix")
        if suffix is not None and not (1 <= len(suffix) <= 64):
            raise APIFailure(400, "suffix must be between 1 and 64 characters.", param="suffix")
        hyper = dict((method.get(kind) or {}).get("hyperparameters") or body.get("hyperparameters") or {})
        _check_hyperparameters(hyper, kind)
        rows = self.file_bytes[body["training_file"]].count(b"\n") or 1
        epochs = hyper.get("n_epochs") if isinstance(hyper.get("n_epochs"), int) else 3
        job_id = short_id("ftjob-")
        data = {
            "id": job_id, "object": "fine_tuning.job", "created_at": now(), "error": None,
            "fine_tuned_model": None, "finished_at": None, "hyperparameters": _shown(hyper, kind),
            "model": model, "organization_id": self.organization, "result_files": [], "status": "validating_files",
            "trained_tokens": None, "training_file": body["training_file"],
            "validation_file": body.get("validation_file"), "seed": body.get("seed") or 1234,
            "estimated_finish": None, "integrations": [], "user_provided_suffix": suffix,
            "method": {"type": kind, kind: {"hyperparameters": _shown(hyper, kind)}},
            "metadata": body.get("metadata"),
        }
        job = FakeJob(data=data, total_steps=max(self.total_steps, epochs), n_epochs=epochs)
        job.fail_with, self.fail_next_job = self.fail_next_job, None
        job.fail_at_end, self.fail_next_job_at_end = self.fail_next_job_at_end, None
        _ = rows
        self.jobs[job_id] = job
        self._event(job, f"Created fine-tuning job: {job_id}")
        return data

    def _check_training_file(self, file_id: str, param: str) -> None:
        record = self.files.get(file_id)
        if record is None:
            raise APIFailure(400, f"invalid {param}: {file_id}", param=param, code="invalid_file")
        if record["purpose"] != "fine-tune":
            raise APIFailure(400, f"File {file_id} has purpose '{record['purpose']}'; fine-tuning needs a file "
                                  "with purpose 'fine-tune'.", param=param, code="invalid_file")
        if record["status"] == "uploaded":
            raise APIFailure(400, f"File {file_id} is still being processed and is not ready to be used for "
                                  "fine-tuning. Please try again later.", param=param, code="file_not_ready")
        if record["status"] == "error":
            raise APIFailure(400, f"File {file_id} could not be processed: {record.get('status_details')}",
                             param=param, code="invalid_file")

    def job(self, job_id: str) -> FakeJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise APIFailure(404, f"Could not find fine tune job: {job_id}", param="fine_tuning_job_id",
                             code="fine_tune_job_not_found")
        return job

    def advance(self, job_id: str | None = None, times: int = 1) -> None:
        """Move one job (or every active job) ``times`` stages along its lifecycle."""
        with self.lock:
            for _ in range(times):
                for job in ([self.job(job_id)] if job_id else list(self.jobs.values())):
                    self._advance(job)

    def finish(self, job_id: str) -> dict:
        """Advance a job until it is terminal."""
        with self.lock:
            job = self.job(job_id)
            while job.status not in ("succeeded", "failed", "cancelled"):
                self._advance(job)
            return job.data

    def _advance(self, job: FakeJob) -> None:
        status = job.status
        if status == "validating_files":
            if job.fail_with:
                self._fail(job, *job.fail_with)
                return
            job.data["status"] = "queued"
            self._event(job, "Validated training file: " + job.data["training_file"])
            self._event(job, "Fine-tuning job started")
        elif status == "queued":
            job.data["status"] = "running"
            job.data["estimated_finish"] = now() + 600
            self._event(job, f"Step 0/{job.total_steps}: starting")
        elif status == "running":
            for _ in range(self.steps_per_advance):
                if job.step >= job.total_steps:
                    break
                self._step(job)
            if job.step >= job.total_steps:
                if job.fail_at_end:
                    self._fail(job, *job.fail_at_end, param=None)
                else:
                    self._succeed(job)

    def _step(self, job: FakeJob) -> None:
        job.step += 1
        step, total = job.step, job.total_steps
        loss = round(2.0 * math.exp(-step / total), 4)
        metrics = {"step": step, "train_loss": loss, "train_mean_token_accuracy": round(1 - loss / 3, 4),
                   "total_steps": total}
        if job.data["validation_file"]:
            metrics.update(valid_loss=round(loss * 1.1, 4), valid_mean_token_accuracy=round(1 - loss / 2.8, 4))
        self._event(job, f"Step {step}/{total}: training loss={loss:.2f}", type="metrics", data=metrics)
        per_epoch = max(1, total // job.n_epochs)
        if step % per_epoch == 0 and step < total:
            ckpt_metrics = {k: float(v) for k, v in metrics.items() if k != "total_steps"}
            job.checkpoints.append({
                "id": short_id("ftckpt_"), "object": "fine_tuning.job.checkpoint", "created_at": now(),
                "fine_tuned_model_checkpoint": f"{self._model_name(job)}:ckpt-step-{step}", "step_number": step,
                "metrics": ckpt_metrics, "fine_tuning_job_id": job.data["id"]})

    def _succeed(self, job: FakeJob) -> None:
        rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
        for event in job.events:
            if event.get("type") == "metrics":
                d = event["data"]
                rows.append(f"{d['step']},{d['train_loss']},{d['train_mean_token_accuracy']},"
                            f"{d.get('valid_loss', '')},{d.get('valid_mean_token_accuracy', '')}")
        csv = base64.b64encode(("\n".join(rows) + "\n").encode())  # the real result file is base64 CSV
        result = self.add_file("step_metrics.csv", "fine-tune-results", csv)
        result["status"] = "processed"
        model = self._model_name(job)
        job.data.update(status="succeeded", fine_tuned_model=model, finished_at=now(), result_files=[result["id"]],
                        trained_tokens=1000 * job.total_steps, estimated_finish=None)
        self._event(job, f"New fine-tuned model created: {model}")
        self._event(job, "The job has successfully completed")

    def _fail(self, job: FakeJob, code: str, message: str, *, param: str | None = "training_file") -> None:
        job.data.update(status="failed", finished_at=now(), error={"code": code, "message": message, "param": param})
        self._event(job, message, level="error")

    def _model_name(self, job: FakeJob) -> str:
        if job.azure:  # Azure: <base>.ft-<job hex>[-<suffix>]
            suffix = job.data.get("user_provided_suffix")
            return f"{job.data['model'].split('.ft-')[0]}.ft-{job.data['id'].removeprefix('ftjob-')}" + (
                f"-{suffix}" if suffix else "")
        base = job.data["model"]
        base = base.split(":")[1] if base.startswith("ft:") else base
        return f"ft:{base}:{self.organization.removeprefix('org-')}:{job.data.get('user_provided_suffix') or ''}:" \
               f"{job.data['id'][-8:]}"

    def _event(self, job: FakeJob, message: str, *, level: str = "info", type: str = "message",
               data: dict | None = None) -> None:
        event: dict[str, Any] = {"object": "fine_tuning.job.event", "id": short_id("ftevent-"),
                                 "created_at": now(), "level": level, "message": message, "type": type,
                                 "data": data or {}}
        job.events.append(event)

    def models(self) -> list[dict]:
        names = list(FINE_TUNABLE) + list(OTHER_MODELS)
        out = [{"id": n, "object": "model", "created": 1700000000, "owned_by": "system",
                **({"shutdown_date": SHUTDOWN[n]} if n in SHUTDOWN else {})} for n in names]
        out += [{"id": j.data["fine_tuned_model"], "object": "model", "created": j.data["finished_at"],
                 "owned_by": self.organization} for j in self.jobs.values() if j.data["fine_tuned_model"]]
        return [m for m in out + self.extra_models if m["id"] not in self.deleted_models]


def _jsonl_problem(content: bytes) -> str | None:
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError:
            return f"Invalid file format. Line {number} is not valid JSON."
    return None if content.strip() else "Invalid file format. The file is empty."


def _check_hyperparameters(hyper: dict, kind: str) -> None:
    limits = {"n_epochs": (1, 50), "batch_size": (1, 256), "learning_rate_multiplier": (1e-9, 1e9),
              "beta": (1e-9, 2)}
    for name, value in hyper.items():
        if name == "beta" and kind != "dpo":
            raise APIFailure(400, "beta is only valid for the dpo method.", param=f"method.{kind}.hyperparameters")
        if name not in limits:
            raise APIFailure(400, f"Unknown hyperparameter: {name}", param="hyperparameters")
        low, high = limits[name]
        if value != "auto" and not (isinstance(value, (int, float)) and low <= value <= high):
            raise APIFailure(400, f"Invalid value for {name}: {value!r}.", param=f"hyperparameters.{name}")


def _shown(hyper: dict, kind: str) -> dict:
    shown = {"n_epochs": hyper.get("n_epochs", "auto"), "batch_size": hyper.get("batch_size", "auto"),
             "learning_rate_multiplier": hyper.get("learning_rate_multiplier", "auto")}
    if kind == "dpo":
        shown["beta"] = hyper.get("beta", "auto")
    return shown
