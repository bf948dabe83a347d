"""Checks requests and responses against the official OpenAI API description.

The fake server runs every request the SDK sends and every response it returns through
``SpecChecker``, so the fake cannot drift from the real service. The spec is OpenAPI 3.1 but
still says ``nullable: true`` and boolean ``exclusiveMinimum`` in places (OpenAPI 3.0 forms); those
are rewritten into JSON Schema 2020-12 before use.
Known gaps of the spec are whitelisted here, and only these: the job status enum lacks
``paused`` (the API returns it after a pause) and Azure's ``pending``.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "openai-openapi.yaml"  # vendored: see specs/refresh_openai.py
_EXTRA_JOB_STATUSES = {"paused", "pending"}  # returned by the services, missing from the spec's enum


def _nullable_to_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_to_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_schema(value) for key, value in node.items()}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool):  # OpenAPI 3.0's boolean form: the bound itself is excluded
            if node.pop(bound) and limit in node:
                node[bound] = node.pop(limit)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@functools.lru_cache(maxsize=1)
def load_spec(path: str = str(SPEC_PATH)) -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return _nullable_to_schema(yaml.load(fh, Loader=loader))


class SpecChecker:
    """Validates one HTTP exchange at a time; returns a list of violation sentences (empty = fine)."""

    def __init__(self, spec: dict | None = None):
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource

        self.spec = spec or load_spec()
        resource = Resource.from_contents(self.spec, default_specification=_draft())
        self._registry = Registry().with_resource("urn:openai-spec", resource)
        self._validator_cls = Draft202012Validator
        self._routes = [(_template_regex(path), path, ops) for path, ops in self.spec["paths"].items()]

    # -- public -----------------------------------------------------------------------------------
    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        for regex, template, ops in self._routes:
            if regex.fullmatch(path) and method.lower() in ops:
                return template, ops[method.lower()]
        return None

    def check_request(self, method: str, path: str, content_type: str, body: Any) -> list[str]:
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in the API description"]
        template, op = found
        content = (op.get("requestBody") or {}).get("content") or {}
        if not content:
            return []
        media = _media(content_type)
        if media not in content:
            if body in (None, b"", {}):
                return []
            return [f"{method} {template}: request content type {media!r} not in {sorted(content)}"]
        return self._validate(content[media]["schema"], body, f"{method} {template} request")

    def check_response(self, method: str, path: str, status: int, content_type: str, body: Any) -> list[str]:
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in the API description"]
        template, op = found
        where = f"{method} {template} response {status}"
        responses = op.get("responses", {})
        media = _media(content_type)
        if status >= 400:
            # Errors are documented once, as ErrorResponse, not per operation.
            return self._validate({"$ref": "#/components/schemas/ErrorResponse"}, body, where)
        declared = responses.get(str(status))
        if declared is None:
            return [f"{where}: status not documented"]
        content = declared.get("content") or {}
        if not content:
            return []
        if media not in content:
            if "application/json" in content and content["application/json"]["schema"] == {"type": "string"}:
                return []  # file content: the spec types the download loosely
            return [f"{where}: content type {media!r} not in {sorted(content)}"]
        schema = content[media]["schema"]
        if schema == {"type": "string"}:
            return []
        return self._validate(schema, _whitelisted(body), where)

    def check_stream_chunk(self, method: str, path: str, chunk: dict) -> list[str]:
        found = self.operation(method, path)
        template, op = found if found else (path, {})
        schema = op["responses"]["200"]["content"]["text/event-stream"]["schema"]
        return self._validate(schema, chunk, f"{method} {template} stream chunk")

    # -- internals --------------------------------------------------------------------------------
    def _validate(self, schema: dict, instance: Any, where: str) -> list[str]:
        if isinstance(schema, dict) and "$ref" in schema:
            schema = {"$ref": "urn:openai-spec" + schema["$ref"]}
        schema = _rebase_refs(schema)
        validator = self._validator_cls(schema, registry=self._registry)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{where}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors]


def _draft():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def _rebase_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ("urn:openai-spec" + v if k == "$ref" and v.startswith("#") else _rebase_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase_refs(item) for item in node]
    return node


def _template_regex(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _whitelisted(body: Any) -> Any:
    """A copy of ``body`` where the statuses the spec omits read as a documented one."""
    if isinstance(body, dict):
        out = {k: _whitelisted(v) for k, v in body.items()}
        if out.get("object") == "fine_tuning.job" and out.get("status") in _EXTRA_JOB_STATUSES:
            out["status"] = "running"
        return out
    if isinstance(body, list):
        return [_whitelisted(item) for item in body]
    return body


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw
