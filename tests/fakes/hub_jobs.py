"""Hugging Face Jobs on the fake Hub: the routes the installed ``huggingface_hub`` (2.4) calls, with real jobs.

``POST /api/jobs/{namespace}`` starts the job's command for real, in a local subprocess (the image's ``python`` is
this interpreter, which has the image's libraries; nothing else is changed), offline: its Hub is this fake
(``HF_ENDPOINT``), its HF_HOME a fresh folder, its working folder empty (so the code it runs is the code it
downloaded). Its stdout and stderr are the job's log, served as the Hub serves it: Server-Sent Events
``data: {"timestamp": ..., "data": line}``, replayed from the start on every request, followed while the job
runs. ``cancel`` sends SIGTERM, then SIGKILL after a grace time; ``timeoutSeconds`` ends a job with ERROR.
AutoTrain's image (``AUTOTRAIN_IMAGE``) cannot run here either: a command from its environment (``/app/env/bin/``)
runs from the cached isolated AutoTrain environment (``$FTS_AUTOTRAIN_ENV``, the same AutoTrain version).
``allowed`` (flavors the account may use) and ``quota_error`` let a test refuse a job as the Hub would.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

HARDWARE = [  # the shape list_jobs_hardware reads (camelCase), prices per minute
    {"name": "cpu-basic", "prettyName": "CPU Basic", "cpu": "2 vCPU", "ram": "16 GB", "ephemeralStorage": "50 GB",
     "accelerator": None, "unitCostMicroUSD": 167, "unitCostUSD": 0.000167, "unitLabel": "minute"},
    {"name": "t4-small", "prettyName": "Nvidia T4 - small", "cpu": "4 vCPU", "ram": "15 GB",
     "accelerator": {"type": "gpu", "model": "T4", "quantity": "1", "vram": "16 GB", "manufacturer": "Nvidia"},
     "unitCostMicroUSD": 6667, "unitCostUSD": 0.006667, "unitLabel": "minute"},
    {"name": "a10g-small", "prettyName": "Nvidia A10G - small", "cpu": "4 vCPU", "ram": "15 GB",
     "accelerator": {"type": "gpu", "model": "A10G", "quantity": "1", "vram": "24 GB", "manufacturer": "Nvidia"},
     "unitCostMicroUSD": 16667, "unitCostUSD": 0.016667, "unitLabel": "minute"},
    {"name": "h200", "prettyName": "Nvidia H200", "cpu": "23 vCPU", "ram": "256 GB",
     "accelerator": {"type": "gpu", "model": "H200", "quantity": "1", "vram": "141 GB", "manufacturer": "Nvidia"},
     "unitCostMicroUSD": 83333, "unitCostUSD": 0.083333, "unitLabel": "minute"},
]
#: A job's command that stands in for training: it prints ``FTS_LINES`` metric events as the trainer's relay does
#: (``FTS-EVENT {json}``, with the wall time it printed each at), one every ``FTS_EVERY`` seconds, and waits for
#: the file ``FTS_GATE`` (when set) before the second half. For tests of the log pipeline, not of training.
EMITTER = """\
import json, os, pathlib, sys, time
lines, every, gate = int(os.environ.get("FTS_LINES", "10")), float(os.environ.get("FTS_EVERY", "0")), os.environ.get("FTS_GATE")
for seq in range(lines):
    if gate and seq == lines // 2:
        while not pathlib.Path(gate).exists():
            time.sleep(0.05)
    event = {"seq": seq, "time": time.time(), "type": "log", "step": seq + 1, "total_steps": lines,
             "loss": 2.0 / (seq + 1)}
    print("FTS-EVENT " + json.dumps(event, separators=(",", ":")), flush=True)
    time.sleep(every)
"""
#: AutoTrain's published image, and where it installs AutoTrain (its Dockerfile: ``conda create -p /app/env``).
AUTOTRAIN_IMAGE, AUTOTRAIN_IMAGE_BIN = "huggingface/autotrain-advanced:latest", "/app/env/bin/"
GRACE_SECONDS = 10.0  # between SIGTERM and SIGKILL on cancel


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeJob:
    def __init__(self, jobs: FakeJobs, namespace: str, spec: dict):
        self.id = secrets.token_hex(12)
        self.namespace, self.spec = namespace, spec
        self.created = self.started = _now()
        self.began = time.time()
        self.finished: str | None = None
        self.ended_at: float | None = None
        self.stage, self.message = "RUNNING", None
        self.lines: list[dict] = []
        self.changed = threading.Condition()
        self.cancelled = False
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HF_TOKEN")}
        env.update(spec.get("environment") or {}, **(spec.get("secrets") or {}))
        self.home = tempfile.mkdtemp(prefix="fake-hf-job-")
        env.update(HF_ENDPOINT=jobs.hub.url, HF_HUB_OFFLINE="0", HF_HOME=os.path.join(self.home, "hf"))
        command = list(spec["command"])
        if command[0] == "python":
            command[0] = sys.executable
        elif spec.get("dockerImage") == AUTOTRAIN_IMAGE and command[0].startswith(AUTOTRAIN_IMAGE_BIN):
            # AutoTrain's image cannot run here: its environment's programs are the cached isolated AutoTrain
            # environment's (the same AutoTrain version), so its `autotrain` trains for real, offline.
            from backend.autotrain import env as autotrain_env

            root = os.environ.get(autotrain_env.FTS_AUTOTRAIN_ENV)
            command[0] = str(autotrain_env.bin_dir(Path(root)) / command[0][len(AUTOTRAIN_IMAGE_BIN):]) if root \
                else command[0]
            for name in ("TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "VIRTUAL_ENV"):
                env.pop(name, None)
        self.process = subprocess.Popen(command, cwd=self.home, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        timeout = spec.get("timeoutSeconds")
        if timeout:
            timer = threading.Timer(float(timeout), self._time_out)
            timer.daemon = True
            timer.start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            self.emit(raw.decode("utf-8", "replace").rstrip("\n"))
        code = self.process.wait()
        with self.changed:
            if self.stage == "RUNNING":
                self.stage = "CANCELED" if self.cancelled else "COMPLETED" if code == 0 else "ERROR"
                if self.stage == "ERROR":
                    self.message = f"Job failed with exit code: {code}"
            self.finished, self.ended_at = _now(), time.time()
            self.changed.notify_all()

    def emit(self, line: str) -> None:
        with self.changed:
            self.lines.append({"timestamp": _now(), "data": line})
            self.changed.notify_all()

    def _time_out(self) -> None:
        with self.changed:
            if self.stage != "RUNNING":
                return
            self.stage, self.message = "ERROR", "Job timeout"
        self._signal(signal.SIGKILL)

    def cancel(self) -> None:
        self.cancelled = True
        self._signal(signal.SIGTERM)
        threading.Timer(GRACE_SECONDS, self._signal, (signal.SIGKILL,)).start()

    def _signal(self, sig) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def info(self, hub_url: str) -> dict:
        running = (self.ended_at or time.time()) - self.began
        return {"id": self.id, "createdAt": self.created, "startedAt": self.started, "finishedAt": self.finished,
                "dockerImage": self.spec.get("dockerImage"), "spaceId": self.spec.get("spaceId"),
                "command": self.spec["command"], "arguments": self.spec.get("arguments", []),
                "environment": self.spec.get("environment", {}),
                "secrets": dict.fromkeys(self.spec.get("secrets") or {}, "********"), "flavor": self.spec["flavor"],
                "labels": self.spec.get("labels"), "status": {"stage": self.stage, "message": self.message},
                "durations": {"runningSecs": int(running)},
                "owner": {"id": "6" * 24, "name": self.namespace, "type": "user"}}


class FakeJobs:
    """The Jobs state of one FakeHub (``hub.jobs``)."""

    def __init__(self, hub):
        self.hub = hub
        self.jobs: dict[str, FakeJob] = {}
        self.allowed: set[str] | None = None  # None: every flavor
        self.quota_error: str | None = None
        self.created: list[dict] = []  # each create request's body

    def stop(self) -> None:
        for job in self.jobs.values():
            if job.process.poll() is None:
                job._signal(signal.SIGKILL)

    def wait(self, job_id: str, timeout: float = 300) -> str:
        job = self.jobs[job_id]
        with job.changed:
            job.changed.wait_for(lambda: job.finished is not None, timeout)
        return job.stage

    def handle(self, handler, method: str, parts: list[str], body: bytes) -> None:
        """/api/jobs/hardware, /api/jobs/{ns}[/{id}[/logs|/metrics|/cancel]]."""
        if handler.headers.get("Authorization") != f"Bearer {self.hub.token}":
            return handler._json(401, {"error": "Invalid credentials in Authorization header"}, False,
                                 {"X-Error-Message": "Invalid credentials in Authorization header"})
        if parts == ["api", "jobs", "hardware"] and method == "GET":
            return handler._json(200, HARDWARE, False)
        namespace, rest = parts[2], parts[3:]
        from tests.fakes.hub import USER

        if namespace != USER:
            return handler._json(403, {"error": f"You may not run jobs in the namespace {namespace}"}, False)
        if not rest and method == "POST":
            return self._create(handler, namespace, json.loads(body or b"{}"))
        if not rest and method == "GET":
            query = parse_qs(urlparse(handler.path).query)
            wanted = [label.split("=", 1) for label in query.get("label", [])]
            found = [j.info(self.hub.url) for j in reversed(list(self.jobs.values()))
                     if all((j.spec.get("labels") or {}).get(k) == v for k, v in wanted)]
            return handler._json(200, found, False)
        job = self.jobs.get(rest[0])
        if job is None:
            return handler._json(404, {"error": "Job not found"}, False)
        if len(rest) == 1 and method == "GET":
            return handler._json(200, job.info(self.hub.url), False)
        if rest[1:] == ["cancel"] and method == "POST":
            job.cancel()
            return handler._json(200, {}, False)
        if rest[1:] == ["logs"]:
            return self._logs(handler, job)
        if rest[1:] == ["metrics"]:
            return self._metrics(handler, job)
        return handler._json(404, {"error": "Not found"}, False)

    def _create(self, handler, namespace: str, spec: dict) -> None:
        self.created.append(spec)
        names = {h["name"] for h in HARDWARE}
        if not isinstance(spec.get("command"), list) or not (spec.get("dockerImage") or spec.get("spaceId")):
            return handler._json(400, {"error": "A job needs a command and an image"}, False)
        if spec.get("flavor") not in names:
            return handler._json(400, {"error": f"Invalid flavor: {spec.get('flavor')}"}, False)
        if self.allowed is not None and spec["flavor"] not in self.allowed:
            return handler._json(403, {"error": f"The flavor {spec['flavor']} is not available for your account. "
                                                "Add a payment method to use GPUs."}, False)
        if self.quota_error:
            return handler._json(402, {"error": self.quota_error}, False)
        job = FakeJob(self, namespace, spec)
        self.jobs[job.id] = job
        return handler._json(200, job.info(self.hub.url), False)

    def _stream_head(self, handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        handler.close_connection = True  # HTTP/1.0: the stream ends when the connection closes

    def _logs(self, handler, job: FakeJob) -> None:
        self._stream_head(handler)
        sent = 0
        try:
            handler.wfile.write(b'data: {"timestamp": "%s", "data": "===== Job started ====="}\n\n' % _now().encode())
            while True:
                with job.changed:
                    job.changed.wait_for(lambda: len(job.lines) > sent or job.finished is not None, 1.0)
                    new, done = job.lines[sent:], job.finished is not None and len(job.lines) == sent
                if done:
                    return
                for line in new:
                    handler.wfile.write(b"data: " + json.dumps(line).encode() + b"\n\n")
                sent += len(new)
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def _metrics(self, handler, job: FakeJob) -> None:
        if job.finished is not None:
            return handler._json(406, {"error": "Job is not running"}, False)
        self._stream_head(handler)
        try:
            while job.finished is None:
                sample = {"cpu_usage_pct": 50, "cpu_millicores": 2000, "memory_used_bytes": 2**30,
                          "memory_total_bytes": 16 * 2**30, "rx_bps": 0, "tx_bps": 0, "gpus": {}, "replica": "fake1"}
                handler.wfile.write(b"event: metric\ndata: " + json.dumps(sample).encode() + b"\n\n")
                handler.wfile.flush()
                time.sleep(1.0)
        except (BrokenPipeError, ConnectionResetError):
            return
