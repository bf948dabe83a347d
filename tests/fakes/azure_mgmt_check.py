"""Checks the fake Azure management server's exchanges against Azure's published description.

The vendored, trimmed Swagger 2.0 file (``specs/azure-cognitiveservices-2025-09-01.yaml``; its header says where it
comes from) is read once. A request is checked for its path parameters (length, pattern), its ``api-version`` and
its JSON body against the operation's body schema; a response for its status code (one the operation lists, or
an error under ``default``) and its body against that status's schema. The status resource an
``Azure-AsyncOperation`` header points at is checked against the common ``OperationStatusResult``. Swagger 2.0
schemas are JSON Schema draft 4 plus ``x-`` keys and ``readOnly``, which jsonschema ignores.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "azure-cognitiveservices-2025-09-01.yaml"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict
    pattern: re.Pattern

    @property
    def name(self) -> str:
        return self.spec["operationId"]


@functools.lru_cache(maxsize=1)
def load_spec() -> dict:
    import yaml

    with open(SPEC_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def api_version() -> str:
    return load_spec()["info"]["version"]


@functools.lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    found = []
    for template, methods in load_spec()["paths"].items():
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        for method, spec in methods.items():
            found.append(Operation(method.upper(), template, spec, re.compile(f"^{regex}$", re.IGNORECASE)))
    return tuple(found)


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for operation in operations():
        found = operation.pattern.match(path)
        if found and operation.method == method:
            return operation, found.groupdict()
    return None


def _parameters(operation: Operation) -> list[dict]:
    spec = load_spec()
    out = []
    for parameter in operation.spec.get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        out.append(parameter)
    return out


def _validate(schema: dict, value: Any, where: str) -> list[str]:
    import jsonschema

    root = {**schema, "definitions": load_spec()["definitions"]}
    validator = jsonschema.Draft4Validator(root, format_checker=jsonschema.FormatChecker())
    return [f"{where}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(value)]


def check_request(operation: Operation, path_params: dict[str, str], query: dict[str, str],
                  body: Any, has_body: bool) -> list[str]:
    """What is wrong with a request for ``operation`` (empty: nothing)."""
    problems = []
    for parameter in _parameters(operation):
        name, place = parameter["name"], parameter["in"]
        if place == "body":
            if parameter.get("required") and not has_body:
                problems.append(f"{operation.name}: the request has no body")
            elif has_body:
                problems += _validate(parameter["schema"], body, f"{operation.name} request body")
            continue
        value = path_params.get(name) if place == "path" else query.get(name)
        if value is None:
            if parameter.get("required"):
                problems.append(f"{operation.name}: the {place} parameter {name} is missing")
            continue
        schema = {k: parameter[k] for k in ("type", "minLength", "maxLength", "pattern", "enum") if k in parameter}
        problems += _validate(schema, value, f"{operation.name} {place} parameter {name}")
    return problems


def check_response(operation: Operation, status: int, body: Any) -> list[str]:
    """What is wrong with a response to ``operation``: a status it does not list, or a body against its schema."""
    responses = operation.spec["responses"]
    entry = responses.get(str(status))
    if entry is None:
        if status < 400 or "default" not in responses:
            return [f"{operation.name}: status {status} is not one the operation answers with"]
        entry = responses["default"]
    if "schema" not in entry:
        return []
    return _validate(entry["schema"], body, f"{operation.name} response {status}")


def check_operation_status(body: Any) -> list[str]:
    """What is wrong with an Azure-AsyncOperation status resource."""
    return _validate({"$ref": "#/definitions/common_OperationStatusResult"}, body, "operation status")
