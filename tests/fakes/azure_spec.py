"""Azure OpenAI's own API description for the fake's Azure routes (``/openai/...``), as ``SpecChecker`` reads it.

The vendored file (``specs/azure-openai-authoring-2025-04-01-preview.json``: where it comes from is in its
``info.x-vendored``) is Swagger 2.0, trimmed to the fine-tuning operations and the models list. It is read
into the OpenAPI 3 shape the checker knows: a ``body`` parameter becomes the request body, a response's
``schema`` its JSON content, ``#/definitions/`` becomes ``#/components/schemas/``, a simple parameter's type
its ``schema``. One reading is Azure's and not the file's: a property that is not required may be ``null``
(AutoRest, which generates Azure's SDKs from these files, reads optional properties so, and the service sends
``null`` for them: a running job's ``fine_tuned_model``, a new job's ``finished_at``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "azure-openai-authoring-2025-04-01-preview.json"
_SIMPLE = ("type", "format", "enum", "default", "items", "minimum", "maximum", "minLength", "maxLength")


def _schema(node: Any) -> Any:
    """A Swagger schema as JSON Schema: references moved, optional properties nullable."""
    if isinstance(node, list):
        return [_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/definitions/", "#/components/schemas/")
        elif key == "properties" and isinstance(value, dict):
            required = set(node.get("required") or ())
            out[key] = {name: (_schema(prop) if name in required else {"anyOf": [_schema(prop), {"type": "null"}]})
                        for name, prop in value.items()}
        elif key == "discriminator" and isinstance(value, str):
            continue  # Swagger's discriminator is a property name, not JSON Schema
        else:
            out[key] = _schema(value)
    return out


def _parameter(param: dict, shared: dict) -> dict:
    if "$ref" in param:
        param = shared[param["$ref"].rsplit("/", 1)[1]]
    schema = {k: param[k] for k in _SIMPLE if k in param}
    return {"in": param["in"], "name": param["name"], "required": bool(param.get("required")), "schema": schema}


def _operation(op: dict, shared: dict) -> dict:
    params = [p if "$ref" not in p else shared[p["$ref"].rsplit("/", 1)[1]] for p in op.get("parameters", [])]
    body = next((p for p in params if p["in"] == "body"), None)
    out: dict[str, Any] = {"operationId": op.get("operationId"),
                           "parameters": [_parameter(p, shared) for p in params if p["in"] in ("query", "header", "path")],
                           "responses": {}}
    if body is not None:
        out["requestBody"] = {"required": bool(body.get("required")),
                              "content": {"application/json": {"schema": _schema(body["schema"])}}}
    for status, answer in op.get("responses", {}).items():
        out["responses"][status] = ({"description": answer.get("description", ""),
                                     "content": {"application/json": {"schema": _schema(answer["schema"])}}}
                                    if "schema" in answer else {"description": answer.get("description", "")})
    return out


@functools.lru_cache(maxsize=1)
def load_spec(path: str = str(SPEC_PATH)) -> dict:
    with open(path, encoding="utf-8") as fh:
        swagger = json.load(fh)
    shared = swagger.get("parameters", {})
    return {"openapi": "3.0.0", "info": swagger["info"],
            "paths": {path: {method: _operation(op, shared) for method, op in ops.items()}
                      for path, ops in swagger["paths"].items()},
            "components": {"schemas": _schema(swagger["definitions"])}}


def checker():
    """A ``SpecChecker`` over Azure's description (no bearer scheme: Azure's routes take ``api-key``)."""
    from tests.fakes.openapi_check import SpecChecker

    return SpecChecker(load_spec(), closed=frozenset())
