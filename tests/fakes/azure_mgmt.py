"""A fake Azure Resource Manager for Microsoft.CognitiveServices deployments, on 127.0.0.1.

The real ``azure-mgmt-cognitiveservices`` client talks to it over HTTP (``base_url``), with a bearer token from
``StaticTokenCredential`` standing in for the Entra sign-in. It serves the subscription's accounts and one
resource's deployments, with the long-running-operation protocol: a create answers 201 with an
``Azure-AsyncOperation`` header, a delete 202 with a ``Location`` header, and each poll of those moves the operation
on until it has ``Succeeded`` (or ``Failed``, when a test asked for it). Every request and response is checked
against Azure's published description (``azure_mgmt_check``); a violation fails the test that used the fake, unless
the test said it sends one on purpose (``expect_invalid``) and the fake refused it with a 4xx.
Business rules Azure applies beyond the description: a deployment needs a model the resource has (``models``), in
``OpenAI`` format, a SKU Azure offers, and a capacity; ``DeveloperTier`` takes fine-tuned models only.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes import azure_mgmt_check as check

TOKEN = "fake-entra-token-for-tests"  # noqa: S105 - a test token, accepted by the fake only
SKUS = {"standard": "Standard", "globalstandard": "GlobalStandard", "developertier": "DeveloperTier",
        "provisionedmanaged": "ProvisionedManaged", "datazonestandard": "DataZoneStandard"}
_PROVIDER = "Microsoft.CognitiveServices"


class StaticTokenCredential:
    """An azure-core ``TokenCredential`` that returns a fixed token (``refuse``: raise as a refused sign-in does)."""

    def __init__(self, token: str = TOKEN, *, refuse: str | None = None, claims: dict | None = None):
        self.token, self.refuse, self.calls = token, refuse, 0
        if claims is not None:  # a JWT-shaped token whose claims name the user, as Entra's do
            import base64

            part = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            self.token = f"e30.{part}.sig"

    def get_token(self, *scopes: str, **kwargs: Any):
        from azure.core.credentials import AccessToken
        from azure.core.exceptions import ClientAuthenticationError

        self.calls += 1
        if self.refuse:
            raise ClientAuthenticationError(self.refuse)
        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        pass


class FakeAzureManagement:
    """The server and its controls; ``base_url`` goes to the client, ``StaticTokenCredential()`` with it."""

    def __init__(self, *, subscription: str = "00000000-0000-0000-0000-000000000001", resource_group: str = "rg-ft",
                 account: str = "my-aoai", location: str = "swedencentral", endpoint: str = "https://my-aoai.openai.azure.com"):
        self.subscription, self.resource_group, self.account, self.location = (subscription, resource_group,
                                                                               account, location)
        self.endpoint = endpoint
        self.token = TOKEN
        self.models: set[str] = set()  # what the resource can deploy (its fine-tuned models)
        self.model_source = None  # a function giving more of them: the data-plane fake's, once linked
        self.never_serving: set[str] = set()  # deployments that Succeed but never answer a chat
        self.warm_up: dict[str, int] = {}  # deployment -> how many chats it still refuses once it has Succeeded
        self.deployments: dict[str, dict] = {}
        self.operations: dict[str, dict] = {}
        self.polls_to_finish = 2
        self.fail: dict[str, tuple[str, str]] = {}  # deployment name -> (code, message) its creation ends with
        self.lose_answer: set[str] = set()  # "PUT name": the work is done, the answer never comes
        self.requests: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self.refused: list[str] = []
        self._invalid_expected = 0
        self.lock = threading.RLock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-azure-mgmt", daemon=True)

    # -- lifecycle and controls ---------------------------------------------------------------------
    def start(self) -> FakeAzureManagement:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def account_path(self) -> str:
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers/{_PROVIDER}"
                f"/accounts/{self.account}")

    def expect_invalid(self, count: int = 1) -> None:
        self._invalid_expected += count

    def assert_no_violations(self) -> None:
        assert not self.violations, "the fake Azure management API saw violations:\n" + "\n".join(self.violations)

    def age(self, name: str, hours: float) -> None:
        """Make a deployment as old as ``hours`` (its ``systemData.createdAt``)."""
        with self.lock:
            created = datetime.now(UTC) - timedelta(hours=hours)
            self.deployments[name]["systemData"]["createdAt"] = created.isoformat().replace("+00:00", "Z")

    def serving(self, name: str) -> bool:
        """Whether the data plane serves chat for deployment ``name``: it exists, its creation has Succeeded, and
        the test did not hold it back (``never_serving``, or the first ``warm_up`` chats). Otherwise the data plane
        answers 404 ``DeploymentNotFound``, as Azure does."""
        # No lock: the data-plane fake asks under its own, and a create here asks that fake (``model_source``)
        # under this one; one dict read is atomic.
        if self.state(name) != "Succeeded" or name in self.never_serving:
            return False
        if self.warm_up.get(name, 0) > 0:  # Succeeded, and still refusing requests for a while (as Azure does)
            self.warm_up[name] -= 1
            return False
        return True

    def deployable(self) -> set[str]:
        return set(self.models) | (set(self.model_source()) if self.model_source else set())

    def state(self, name: str) -> str | None:
        record = self.deployments.get(name)
        return record["properties"]["provisioningState"] if record else None

    # -- routes -------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers: Any, body: Any, has_body: bool) -> tuple:
        self.requests.append((method, path))
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}}, {}
        if "/operationResults/" in path:
            return self._poll(path.rsplit("/", 1)[1], query)
        found = check.match(method, path)
        if found is None:
            return 404, _error("NotFound", f"No route for {method} {path}."), {}
        operation, params = found
        problems = check.check_request(operation, params, query, body, has_body)
        if query.get("api-version") != check.api_version():
            problems.append(f"api-version {query.get('api-version')!r} is not {check.api_version()}")
        if problems:
            return self._invalid(problems)
        answer = self._dispatch(operation.name, params, body or {})
        status, payload = answer[0], answer[1]
        if status == "drop":
            return answer
        for problem in check.check_response(operation, status, payload):
            self.violations.append(problem)
        return answer

    def _invalid(self, problems: list[str]) -> tuple:
        if self._invalid_expected:
            self._invalid_expected -= 1
            self.refused += problems
        else:
            self.violations += problems
        return 400, _error("InvalidRequestContent", "; ".join(problems)), {}

    def _dispatch(self, name: str, params: dict, body: dict) -> tuple:
        with self.lock:
            if name == "Accounts_List":
                if params["subscriptionId"] != self.subscription:
                    return 200, {"value": []}, {}
                return 200, {"value": [self._account()]}, {}
            if (params["subscriptionId"], params["resourceGroupName"].lower(), params["accountName"].lower()) != (
                    self.subscription, self.resource_group.lower(), self.account.lower()):
                return 404, _error("ResourceNotFound", f"The Resource '{_PROVIDER}/accounts/{params['accountName']}' "
                                   f"under resource group '{params['resourceGroupName']}' was not found."), {}
            deployment = params.get("deploymentName")
            if name == "Deployments_List":
                return 200, {"value": [_public(d) for d in self.deployments.values()]}, {}
            if name == "Deployments_Get":
                if deployment not in self.deployments:
                    return 404, _error("DeploymentNotFound", f"Deployment '{deployment}' not found."), {}
                return 200, _public(self.deployments[deployment]), {}
            if name == "Deployments_CreateOrUpdate":
                return self._create(deployment, body)
            if name == "Deployments_Delete":
                return self._delete(deployment)
        raise AssertionError(name)

    def _account(self) -> dict:
        return {"id": self.account_path, "name": self.account, "type": f"{_PROVIDER}/accounts", "kind": "OpenAI",
                "location": self.location, "sku": {"name": "S0"},
                "properties": {"provisioningState": "Succeeded", "endpoint": self.endpoint + "/",
                               "customSubDomainName": self.account}}

    def _create(self, name: str, body: dict) -> tuple:
        model = (body.get("properties") or {}).get("model") or {}
        sku = body.get("sku") or {}
        sku_name = SKUS.get(str(sku.get("name", "")).lower())
        if model.get("format") != "OpenAI":
            return 400, _error("InvalidResourceProperties", "The model format is required and must be 'OpenAI'."), {}
        if model.get("name") not in self.deployable():
            return 400, _error("DeploymentModelNotSupported",
                               f"The model '{model.get('name')}' is not available in this resource."), {}
        if sku_name is None:
            return 400, _error("InvalidResourceProperties", f"The specified SKU '{sku.get('name')}' for model "
                               f"'{model.get('name')}' is not supported in this region '{self.location}'."), {}
        if sku_name == "DeveloperTier" and ".ft-" not in model["name"]:
            return 400, _error("InvalidResourceProperties", "The Developer deployment type is for fine-tuned models."), {}
        if not isinstance(sku.get("capacity"), int) or sku["capacity"] < 1:
            return 400, _error("InvalidCapacity", "The capacity must be at least 1."), {}
        existing = self.deployments.get(name)
        created = existing["systemData"]["createdAt"] if existing else _now()
        record = {"id": f"{self.account_path}/deployments/{name}", "name": name,
                  "type": f"{_PROVIDER}/accounts/deployments", "sku": {"name": sku_name, "capacity": sku["capacity"]},
                  "systemData": {"createdAt": created, "createdBy": "fake-user@example.com", "createdByType": "User",
                                 "lastModifiedAt": _now()},
                  "properties": {"model": {"format": "OpenAI", "name": model["name"],
                                           "version": model.get("version") or "1"},
                                 "provisioningState": "Creating"}}
        self.deployments[name] = record
        op = uuid.uuid4().hex
        self.operations[op] = {"deployment": name, "polls": self.polls_to_finish, "kind": "create"}
        status = 200 if existing else 201
        headers = {"Azure-AsyncOperation": self._op_url(op), "Retry-After": "0"}
        if f"PUT {name}" in self.lose_answer:
            self.lose_answer.discard(f"PUT {name}")
            return "drop", None, {}
        return status, _public(record), headers

    def _delete(self, name: str) -> tuple:
        if name not in self.deployments:
            return 204, None, {}
        self.deployments[name]["properties"]["provisioningState"] = "Deleting"
        op = uuid.uuid4().hex
        self.operations[op] = {"deployment": name, "polls": self.polls_to_finish, "kind": "delete"}
        return 202, None, {"Location": self._op_url(op), "Retry-After": "0"}

    def _op_url(self, op: str) -> str:
        return (f"{self.base_url}/subscriptions/{self.subscription}/providers/{_PROVIDER}/locations/{self.location}"
                f"/operationResults/{op}?api-version={check.api_version()}")

    def _poll(self, op: str, query: dict) -> tuple:
        with self.lock:
            record = self.operations.get(op)
            if record is None:
                return 404, _error("NotFound", "No such operation."), {}
            record["polls"] -= 1
            name, done = record["deployment"], record["polls"] <= 0
            if record["kind"] == "delete":  # Location polling: 202 while under way, then 200
                if not done:
                    return 202, None, {"Location": self._op_url(op), "Retry-After": "0"}
                self.deployments.pop(name, None)
                return 200, None, {}
            body: dict = {"id": op, "name": op, "status": "InProgress", "startTime": _now()}
            if done:
                failure = self.fail.get(name)
                state = "Failed" if failure else "Succeeded"
                self.deployments[name]["properties"]["provisioningState"] = state
                body.update(status=state, endTime=_now())
                if failure:
                    body["error"] = {"code": failure[0], "message": failure[1]}
            for problem in check.check_operation_status(body):
                self.violations.append(problem)
            return 200, body, {"Retry-After": "0"}


def _public(record: dict) -> dict:
    return json.loads(json.dumps(record))


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a dropped answer's own connection: expected
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        fake: FakeAzureManagement = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            fake.violations.append(f"{self.command} {url.path}: the body is not JSON")
            body = None
        status, payload, headers = fake.handle(self.command, url.path, dict(parse_qsl(url.query)), self.headers,
                                               body, bool(raw))
        if status == "drop":  # the work is done and the connection closes without an answer
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", uuid.uuid4().hex)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_DELETE = do_POST = do_PATCH = _serve  # noqa: N815 - http.server's names
