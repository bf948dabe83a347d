"""A stateful OpenAI-compatible HTTP server on 127.0.0.1 for the real SDK to talk to.

Serves the OpenAI routes under ``/v1`` and Azure OpenAI's under ``/openai`` (``api-key`` header,
``api-version`` query, chat through ``/openai/deployments/{name}/chat/completions``). Every
request and response is checked against the official API description; violations are kept in
``violations`` and fail the test that used the ``fake_openai`` fixture. Faults (429, 500, slow
answers, dropped connections, requests held until the test releases them) are injected per route for
the next N requests.

A request that breaks the description is refused as the real service refuses it (400 in its words, see
``openai_invalid``) and is a violation: the app must not send it. A test that sends one on purpose says so
with ``expect_invalid()``; the request then lands in ``refused`` instead, but only if the fake's answer was a
4xx (an answer that broke ErrorResponse is a violation of its own, from the response check). A request the
description allows and the service refuses for its own reasons (an unknown model, a file not processed yet,
the wind-down) is no violation at all: only its answer is checked, against ErrorResponse.
"""

from __future__ import annotations

import email.parser
import email.policy
import fnmatch
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes import azure_routes, azure_spec, openai_invalid, openai_routes
from tests.fakes.openai_state import APIFailure, FakeOpenAIState
from tests.fakes.openapi_check import SpecChecker, parse_json
from tests.fakes.openapi_problems import Problem

API_KEY = "sk-test-fake-0123456789"
WIND_DOWN_MESSAGE = (
    "Fine-tuning job creation is no longer available for your organization. OpenAI is winding down "
    "self-serve fine-tuning: existing fine-tuned models remain available for inference until their base "
    "models are retired."
)


@dataclass
class Fault:
    pattern: str  # "POST /fine_tuning/jobs", fnmatch-style on "METHOD /path" (no /v1)
    #: "429", "500", "drop" (before the work), "500_after", "drop_after" (work done, answer lost), "slow",
    #: "hold" (wait until ``release()``, then do the work and answer: a request still under way when the
    #: client gave up on it)
    kind: str
    remaining: int
    seconds: float = 0.0


class FakeOpenAI:
    """The server and its controls. Use ``base_url`` / ``azure_endpoint`` and ``api_key`` in clients."""

    def __init__(self, *, check_spec: bool = True, **state_options: Any):
        self.state = FakeOpenAIState(**state_options)
        self.api_key = API_KEY
        self.checker = SpecChecker() if check_spec else None
        #: Azure's own description, for the Azure routes it covers (fine-tuning, models); OpenAI's for the rest
        self.azure_checker = azure_spec.checker() if check_spec else None
        self.violations: list[str] = []
        self.refused: list[str] = []  # invalid requests sent on purpose (``expect_invalid``) and refused
        self._invalid_expected: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path without prefix), in order
        self.faults: list[Fault] = []
        self.advance_on_poll = False
        self.held = threading.Event()  # set while a "hold" fault keeps a request waiting
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    @property
    def azure_endpoint(self) -> str:
        return self.root

    # -- controls -----------------------------------------------------------------------------------
    def inject(self, pattern: str, kind: str, times: int = 1, seconds: float = 0.0) -> None:
        """Answer the next ``times`` requests matching ``pattern`` with a fault."""
        with self.state.lock:
            self.faults.append(Fault(pattern, kind, times, seconds))

    def release(self) -> None:
        """Let every request held by a "hold" fault go on (and the ones a later hold would catch)."""
        self._release.set()

    def wait_until(self, predicate, timeout: float = 10.0) -> bool:
        """Wait until ``predicate()`` holds (a held request has done its work, say); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def clear_faults(self) -> None:
        with self.state.lock:
            self.faults.clear()

    def refuse_job_creation(self, message: str = WIND_DOWN_MESSAGE, code: str | None = "fine_tuning_unavailable", *,
                            status: int = 403, type: str = "invalid_request_error", param: str | None = None) -> None:
        """Refuse every job creation (until ``allow_job_creation``) with this error, by default a 403 as the
        wind-down sends one; the other reads, lists and chat keep working, as they do on the real service."""
        self.state.refusal = APIFailure(status, message, type=type, param=param, code=code).body()["error"]
        self.state.refusal["status"] = status

    def allow_job_creation(self) -> None:
        self.state.refusal = None

    def fail_next_job(self, message: str = "The job failed due to an invalid training file.",
                      code: str = "invalid_training_file") -> None:
        self.state.fail_next_job = (code, message)

    def fail_safety_next(self, *, trained: bool = False) -> None:
        """The next job fails Azure's safety checks: of the training data (before training), or with ``trained``
        of the trained model (after the last step), with the message Azure gives."""
        if trained:
            self.state.fail_next_job_at_end = ("invalidPayload", azure_routes.SAFETY_MODEL)
        else:
            self.state.fail_next_job = ("invalidPayload", azure_routes.SAFETY_DATA)

    def checker_for(self, azure: bool, method: str, spec_path: str | None):
        """Azure's description for the Azure operations it covers, OpenAI's otherwise."""
        if azure and self.azure_checker and spec_path and self.azure_checker.operation(method, spec_path):
            return self.azure_checker
        return self.checker

    def expire_uploads(self) -> None:
        """Let an hour pass for the Uploads API: every pending upload expires (as it would an hour after its
        creation); adding a part to it or completing it is then refused with a 400."""
        with self.state.lock:
            for upload in self.state.uploads.values():
                if upload["status"] == "pending":
                    upload["expires_at"] = min(upload["expires_at"], int(time.time()))

    def fail_next_file(self, details: str) -> None:
        self.state.file_error_next = details

    def advance(self, job_id: str | None = None, times: int = 1) -> None:
        self.state.advance(job_id, times)

    def finish(self, job_id: str) -> dict:
        return self.state.finish(job_id)

    def set_reply(self, text: str, chunks: int = 4) -> None:
        self.state.reply_text, self.state.reply_chunks = text, chunks

    def jobs(self) -> list[dict]:
        with self.state.lock:
            return [job.data for job in self.state.jobs.values()]

    def count(self, method: str, path_pattern: str) -> int:
        return sum(1 for m, p in self.requests if m == method and fnmatch.fnmatchcase(p, path_pattern))

    @contextmanager
    def expect_invalid(self, pattern: str = "*") -> Iterator[list[str]]:
        """Requests matching ``pattern`` (as ``inject``) break the description on purpose inside the block;
        yields ``refused``, where their problems are listed once the fake has refused them."""
        with self.state.lock:
            self._invalid_expected.append(pattern)
        try:
            yield self.refused
        finally:
            with self.state.lock:
                self._invalid_expected.remove(pattern)

    def _settle(self, method: str, path: str, problems: list[Problem], status: int | None) -> None:
        """File a request's problems: refused on purpose (a 4xx inside ``expect_invalid``) or violations."""
        if not problems:
            return
        with self.state.lock:
            expected = any(fnmatch.fnmatchcase(f"{method} {path}", p) for p in self._invalid_expected)
            target = self.refused if expected and status is not None and 400 <= status < 500 else self.violations
            target += [str(p) for p in problems]

    def assert_no_violations(self) -> None:
        assert not self.violations, "The fake saw traffic outside the API description:\n" + "\n".join(
            self.violations)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.state.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fnmatch.fnmatchcase(f"{method} {path}", fault.pattern):
                    fault.remaining -= 1
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    @property
    def fake(self) -> FakeOpenAI:
        return self.server.fake  # type: ignore[attr-defined]

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        query = dict(pairs)  # the last value of each name
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        azure, path = _strip_prefix(url.path)
        fake = self.fake
        fake.requests.append((method, path))
        spec_path = openai_routes.spec_path(path)
        content_type = self.headers.get("Content-Type", "")
        body = _parse_body(content_type, raw)
        problems = self._problems(method, spec_path, content_type, body, pairs, azure)
        fault = fake._take_fault(method, path)
        if fault and fault.kind == "slow":
            time.sleep(fault.seconds)
        if fault and fault.kind == "hold":
            fake.held.set()
            fake._release.wait(30)  # bounded, so a test that forgets to release cannot hang the run
        if fault and fault.kind == "drop":
            fake._settle(method, path, problems, None)
            return self._drop()
        if fault and fault.kind in ("429", "500"):  # refused before anything happens
            fake._settle(method, path, problems, None)
            return self._respond(method, spec_path, int(fault.kind), _fault_body(int(fault.kind)))
        try:
            _authorise(self.headers, azure, query, fake.api_key)
            if problems:  # the service refuses what breaks its description before doing anything
                raise openai_invalid.refusal(problems[0], multipart=content_type.startswith("multipart/"))
            status, payload = openai_routes.route(fake, method, path, query, body, azure=azure)
        except azure_routes.AzureFailure as failure:  # Azure's own error shape: held to it, not to OpenAI's
            status, payload = failure.status, failure.body()
            fake.violations += azure_routes.error_problems(payload, f"{method} {path}")
            fake._settle(method, path, problems, status)
            return self._respond(method, None, status, payload, azure)
        except APIFailure as failure:
            status, payload = failure.status, failure.body()
        if azure and status >= 400 and fake.checker_for(azure, method, spec_path) is fake.azure_checker:
            payload = azure_routes.error(payload, status)
        if fault and fault.kind == "drop_after":  # the work is done, the answer is lost
            fake._settle(method, path, problems, None)
            return self._drop()
        if fault and fault.kind == "500_after":
            status, payload = 500, _fault_body(500)
        fake._settle(method, path, problems, status)
        if isinstance(payload, openai_routes.Stream):
            return self._stream(method, spec_path, payload)
        self._respond(method, spec_path, status, payload, azure)

    def _problems(self, method: str, spec_path: str | None, content_type: str, body: Any,
                  pairs: list[tuple[str, str]], azure: bool) -> list[Problem]:
        checker = self.fake.checker_for(azure, method, spec_path)
        if not checker or not spec_path:
            return []
        if checker.operation(method, spec_path) is None:
            self.fake.violations.append(f"{method} {spec_path}: no such operation in the API description")
            return []
        # Azure's routes authenticate with ``api-key`` (or an Entra bearer token): not the description's scheme.
        return checker.request_problems(method, spec_path, content_type, _spec_form(body), query=pairs,
                                        headers=self.headers, bearer=not azure)

    def _respond(self, method: str, spec_path: str | None, status: int, payload: Any, azure: bool = False) -> None:
        if isinstance(payload, bytes):
            data, ctype = payload, "application/octet-stream"
        else:
            data, ctype = json.dumps(payload).encode(), "application/json"
            checker = self.fake.checker_for(azure, method, spec_path)
            if checker and spec_path:
                self.fake.violations += checker.check_response(method, spec_path, status, ctype, payload)
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", "req_fake")
            if status == 429:
                self.send_header("retry-after-ms", "20")
                self.send_header("retry-after", "1")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test): nothing to answer

    def _stream(self, method: str, spec_path: str | None, stream: "openai_routes.Stream") -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in stream.chunks:
            if self.fake.checker and spec_path:
                self.fake.violations += self.fake.checker.check_stream_chunk(method, spec_path, chunk)
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
            if stream.delay:
                time.sleep(stream.delay)
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a cancelled stream)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _fault_body(status: int) -> dict:
    if status == 429:
        return APIFailure(429, "Rate limit reached for requests. Please try again in 20ms.", type="requests",
                          code="rate_limit_exceeded").body()
    return APIFailure(status, "The server had an error while processing your request. Sorry about that!",
                      type="server_error").body()


def _strip_prefix(path: str) -> tuple[bool, str]:
    for prefix, azure in (("/openai/v1", True), ("/openai", True), ("/v1", False)):
        if path.startswith(prefix + "/"):
            return azure, path[len(prefix):]
    return False, path


def _authorise(headers: Any, azure: bool, query: dict, api_key: str) -> None:
    if azure:
        if "api-version" not in query:
            raise APIFailure(404, "Resource not found", type="invalid_request_error", code="404")
        presented = headers.get("api-key") or headers.get("Authorization", "").removeprefix("Bearer ")
        if presented != api_key:
            raise APIFailure(401, "Access denied due to invalid subscription key or wrong API endpoint.",
                             code="401")
        return
    if not headers.get("Authorization", "").removeprefix("Bearer ").strip():
        raise APIFailure(401, openai_invalid.NO_KEY)
    if headers.get("Authorization") != f"Bearer {api_key}":
        raise APIFailure(401, "Incorrect API key provided. You can find your API key at "
                              "https://platform.openai.com/account/api-keys.", code="invalid_api_key")


def _parse_body(content_type: str, raw: bytes) -> Any:
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
        form: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            form[name] = (filename, payload) if filename is not None else payload.decode()
        return form
    return parse_json(raw)


def _spec_form(body: Any) -> Any:
    """Multipart forms as the spec types them: files are binary strings."""
    if isinstance(body, dict):
        return {k: ("<binary>" if isinstance(v, tuple) else v) for k, v in body.items()}
    return body
