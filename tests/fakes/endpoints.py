"""A fake of Hugging Face Inference Endpoints' API (``/v2``), as the installed ``huggingface_hub`` calls it
(``hf_api.py``: ``create/get/list/pause/resume/scale_to_zero/delete_inference_endpoint`` and
``list_inference_endpoints_hardware``; ``_inference_endpoints.py``: the fields ``InferenceEndpoint.from_raw`` and
``InferenceEndpointHardware.from_raw`` read), served over HTTP on 127.0.0.1.

It keeps the service's rules that the app depends on: a bearer token of the namespace's user (401 otherwise, 403
for another namespace), names unique per namespace (409), 1-32 lowercase letters, digits and "-" (400), hardware
that exists in the vendor and region asked (400), 404 for an unknown endpoint, "already running" (400) when a
running endpoint is resumed. An endpoint's state moves one step each time it is read: pending → initializing →
running, or → failed for a repository in ``failing``. A running endpoint serves OpenAI-compatible streamed chat at
its URL (``/v1/chat/completions``); a paused or scaled-to-zero one answers 503. ``drop_create_answer`` creates the
endpoint and then closes the connection without an answer (a lost answer). Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.hub import GOOD_TOKEN, USER

HARDWARE = {"vendors": [{"name": "aws", "regions": [{"name": "us-east-1", "computes": [
    {"id": "aws-us-east-1-cpu-intel-spr-x2", "accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2",
     "architecture": "x86", "numAccelerators": 1, "numCpus": 2, "memoryGb": 4, "pricePerHour": 0.067,
     "status": "available", "quota": {"maxAccelerators": 10, "usedAccelerators": 0}},
    {"id": "aws-us-east-1-nvidia-l4-x1", "accelerator": "gpu", "instanceType": "nvidia-l4", "instanceSize": "x1",
     "architecture": "x86", "numAccelerators": 1, "numCpus": 8, "memoryGb": 30, "gpuMemoryGb": 24,
     "pricePerHour": 0.8, "status": "available", "quota": {"maxAccelerators": 4, "usedAccelerators": 0}},
    {"id": "aws-us-east-1-nvidia-h100-x8", "accelerator": "gpu", "instanceType": "nvidia-h100", "instanceSize": "x8",
     "architecture": "x86", "numAccelerators": 8, "memoryGb": 2000, "gpuMemoryGb": 640, "pricePerHour": 80.0,
     "status": "unavailable", "quota": {"maxAccelerators": 0, "usedAccelerators": 0}}]}]}]}
NEXT = {"pending": "initializing", "initializing": "running"}
NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
REPLY = "Paris."


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeEndpoints:
    def __init__(self, token: str = GOOD_TOKEN, user: str = USER):
        self.token, self.user = token, user
        self.endpoints: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        self.failing: set[str] = set()
        self.drop_create_answer = False
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with fake.lock:
                    fake.requests.append((method, self.path, body))
                    status, answer = fake.answer(method, self.path.split("?")[0], body, self.headers)
                if status == 0:  # created, then the connection dropped without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if status == "stream":
                    return self._stream()
                self._send(status, answer)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, piece in enumerate(["Par", "is."]):
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "tgi",
                             "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece},
                                          "finish_reason": None if i == 0 else "stop"}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api = f"{self.url}/v2"

    # -- the service's rules ---------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, body: dict | None, headers) -> tuple:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["ep"] and parts[2:] == ["v1", "chat", "completions"] and method == "POST":
            endpoint = self.endpoints.get(parts[1])
            if endpoint is None:
                return 404, {"error": "Not Found"}
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, {"error": "Unauthorized"}
            return ("stream", None) if endpoint["status"]["state"] == "running" else (503, {"error": "not running"})
        if parts[:1] != ["v2"]:
            return 404, {"error": "Not Found"}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "Invalid credentials in Authorization header"}
        if len(parts) < 3 or parts[2] != self.user:
            return 403, {"error": f"You don't have access to the namespace {parts[2] if len(parts) > 2 else ''}"}
        if parts[1] == "provider" and method == "GET":
            return 200, HARDWARE
        if parts[1] != "endpoint":
            return 404, {"error": "Not Found"}
        if len(parts) == 3:
            if method == "GET":
                return 200, {"items": list(self.endpoints.values())}
            return self.create(body or {})
        endpoint = self.endpoints.get(parts[3])
        if endpoint is None:
            return 404, {"error": f"Endpoint {parts[3]} not found"}
        state = endpoint["status"]
        action = parts[4] if len(parts) > 4 else None
        if method == "GET" and action is None:
            if state["state"] in NEXT:  # one step per read
                nxt = "failed" if endpoint["model"]["repository"] in self.failing and state["state"] == "initializing" \
                    else NEXT[state["state"]]
                self._set(endpoint, nxt)
            return 200, endpoint
        if method == "DELETE" and action is None:
            del self.endpoints[parts[3]]
            return 200, {}
        if method == "POST" and action == "pause":
            self._set(endpoint, "paused")
            return 200, endpoint
        if method == "POST" and action == "resume":
            if state["state"] == "running":
                return 400, {"error": "Endpoint is already running"}
            self._set(endpoint, "pending")
            return 200, endpoint
        if method == "POST" and action == "scale-to-zero":
            if state["state"] != "running":
                return 400, {"error": "Only a running endpoint can be scaled to zero"}
            self._set(endpoint, "scaledToZero")
            return 200, endpoint
        return 404, {"error": "Not Found"}

    def create(self, body: dict) -> tuple:
        name = body.get("name", "")
        if not NAME.match(name):
            return 400, {"error": "Endpoint name must be 1-32 lowercase alphanumerics or '-'"}
        compute, provider = body.get("compute") or {}, body.get("provider") or {}
        offered = [c for v in HARDWARE["vendors"] if v["name"] == provider.get("vendor") for r in v["regions"]
                   if r["name"] == provider.get("region") for c in r["computes"]]
        if not any(c["instanceType"] == compute.get("instanceType") and c["instanceSize"] == compute.get(
                "instanceSize") and c["accelerator"] == compute.get("accelerator") and c["status"] == "available"
                   for c in offered):
            return 400, {"error": "Instance not available in this region"}
        if body.get("type") not in ("public", "authenticated", "private"):
            return 400, {"error": "type must be public, authenticated or private"}
        if name in self.endpoints:
            return 409, {"error": f"Endpoint {name} already exists"}
        endpoint = {"name": name, "type": body["type"], "accountId": None, "compute": compute, "provider": provider,
                    "model": {"framework": body["model"]["framework"], "repository": body["model"]["repository"],
                              "revision": body["model"].get("revision"), "task": body["model"].get("task"),
                              "image": body["model"].get("image")},
                    "healthRoute": "/health", "tags": body.get("tags") or [],
                    "status": {"state": "pending", "createdAt": now(), "updatedAt": now(), "url": None,
                               "message": "Endpoint waiting to be scheduled"}}
        self.endpoints[name] = endpoint
        if self.drop_create_answer:
            self.drop_create_answer = False
            return 0, None
        return 200, endpoint

    def _set(self, endpoint: dict, state: str) -> None:
        status = endpoint["status"]
        status.update(state=state, updatedAt=now(), message={
            "running": "Endpoint is running", "failed": "Endpoint failed to start: the model does not fit in memory",
            "paused": "Endpoint paused", "scaledToZero": "Endpoint scaled to zero",
            "initializing": "Endpoint is initializing", "pending": "Endpoint waiting to be scheduled"}[state])
        status["url"] = f"{self.url}/ep/{endpoint['name']}" if state in ("running", "scaledToZero") else None

    def creates(self) -> int:
        return sum(1 for method, path, _ in self.requests if method == "POST" and path.rstrip("/").count("/") == 3
                   and path.startswith("/v2/endpoint/"))

    def __enter__(self) -> "FakeEndpoints":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
