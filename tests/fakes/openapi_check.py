"""Checks requests and responses against the official OpenAI API description.

The fake server runs every request the SDK sends and every response it returns through
``SpecChecker``, so the fake cannot drift from the real service. A request is checked whole: its body
against the operation's schema, the query and header parameters the operation describes (types, enums,
required ones; ``deepObject`` and repeated array values read as OpenAPI says), the security scheme's bearer
key, and, where the real service refuses arguments it does not know although the schema leaves the body
open (``CLOSED_BODIES``), unknown top-level fields. Each fault is a ``Problem`` named as the service names it,
so the fake can refuse the request in the service's own words (``openai_invalid``). The spec is OpenAPI 3.1 but
still says ``nullable: true`` and boolean ``exclusiveMinimum`` in places (OpenAPI 3.0 forms); those
are rewritten into JSON Schema 2020-12 before use.
Known gaps of the spec are whitelisted here, and only these: the job status enum lacks
``paused`` (the API returns it after a pause) and Azure's ``pending``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.fakes.openapi_problems import Problem, problem

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "openai-openapi.yaml"  # vendored: see specs/refresh_openai.py
_EXTRA_JOB_STATUSES = {"paused", "pending"}  # returned by the services, missing from the spec's enum
#: Operations whose request bodies the real service closes although the description leaves them open: an
#: argument it does not know is refused with 400 ``unknown_parameter`` ("Unknown parameter: 'foo'."; older
#: deployments say "Unrecognized request argument supplied: foo"). Bodies the description itself closes
#: (``additionalProperties: false``: uploads, parts, files) are refused through their schema.
CLOSED_BODIES = frozenset({("POST", "/fine_tuning/jobs"), ("POST", "/chat/completions")})


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

    def __init__(self, spec: dict | None = None, *, closed: frozenset[tuple[str, str]] = CLOSED_BODIES):
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource

        self.spec = spec or load_spec()
        self.closed = closed
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

    def check_request(self, method: str, path: str, content_type: str, body: Any, *,
                      query: list[tuple[str, str]] | None = None, headers: Mapping[str, str] | None = None,
                      bearer: bool = True) -> list[str]:
        """Sentences for every way the request breaks the description (see ``request_problems``)."""
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in the API description"]
        return [str(p) for p in self.request_problems(method, path, content_type, body, query=query,
                                                        headers=headers, bearer=bearer)]

    def request_problems(self, method: str, path: str, content_type: str, body: Any, *,
                         query: list[tuple[str, str]] | None = None, headers: Mapping[str, str] | None = None,
                         bearer: bool = True) -> list[Problem]:
        """The body against its schema, the query and header parameters the operation describes (types,
        enums, required ones), the security scheme's ``Authorization: Bearer`` (``bearer``: Azure's routes
        use ``api-key`` instead) and, for the operations in ``closed``, arguments the description does not
        know (the real service refuses them though the schema leaves them open). ``None`` for ``query`` or
        ``headers`` skips those checks (a caller that has none to give)."""
        found = self.operation(method, path)
        if found is None:
            return []
        template, op = found
        where = f"{method} {template} request"
        problems: list[Problem] = []
        if headers is not None and bearer:
            problems += self._security(op, headers, where)
        params = self._parameters(template, op)
        if query is not None:
            problems += self._query(params, query, where)
        if headers is not None:
            problems += self._headers(params, headers, where)
        content = (op.get("requestBody") or {}).get("content") or {}
        if not content:
            return problems
        media = _media(content_type)
        if media not in content:
            if body in (None, b"", {}):
                if (op.get("requestBody") or {}).get("required"):
                    problems.append(Problem(where, "body", "", "missing_required_parameter",
                                            "the request body is required"))
                return problems
            return problems + [Problem(where, "header", "Content-Type", "invalid_value",
                                       f"request content type {media!r} not in {sorted(content)}", media)]
        schema = content[media]["schema"]
        problems += self._problems(schema, body, where, "body")
        if (method.upper(), template) in self.closed and isinstance(body, dict):
            known = self._properties(schema)
            problems += [Problem(where, "body", name, "unknown_parameter",
                                 f"unknown parameter {name!r} (the service refuses arguments it does not know)", name)
                         for name in body if name not in known]
        return problems

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

    # -- parameters -------------------------------------------------------------------------------
    def _parameters(self, template: str, op: dict) -> list[dict]:
        """The operation's parameters, path-level ones included, ``$ref``s resolved."""
        listed = list(self.spec["paths"][template].get("parameters", [])) + list(op.get("parameters", []))
        return [self._resolve(p) for p in listed]

    def _query(self, params: list[dict], pairs: list[tuple[str, str]], where: str) -> list[Problem]:
        problems = []
        for param in (p for p in params if p.get("in") == "query"):
            name, schema = param["name"], param.get("schema") or {}
            present, value = _query_value(name, schema, param.get("style", "form"), pairs)
            problems += self._parameter(param, present, value, where, "query")
        return problems

    def _headers(self, params: list[dict], headers: Mapping[str, str], where: str) -> list[Problem]:
        problems = []
        lowered = {k.lower(): v for k, v in headers.items()}
        for param in (p for p in params if p.get("in") == "header"):
            raw = lowered.get(param["name"].lower())
            value = _coerce(raw, param.get("schema") or {}) if raw is not None else None
            problems += self._parameter(param, raw is not None, value, where, "header")
        return problems

    def _parameter(self, param: dict, present: bool, value: Any, where: str, location: str) -> list[Problem]:
        if not present:
            return [Problem(where, location, param["name"], "missing_required_parameter",
                            f"required {location} parameter is missing")] if param.get("required") else []
        found = self._problems(param.get("schema") or {}, value, where, location)
        return [replace(p, param=param["name"] + ("" if not p.param or p.param.startswith("[") else ".") + p.param)
                for p in found]

    def _security(self, op: dict, headers: Mapping[str, str], where: str) -> list[Problem]:
        """An operation secured by an HTTP bearer scheme needs ``Authorization: Bearer <token>``."""
        requirements = op.get("security", self.spec.get("security")) or []
        schemes = self.spec.get("components", {}).get("securitySchemes", {})
        bearer = [name for req in requirements for name in req
                  if schemes.get(name, {}).get("type") == "http" and schemes[name].get("scheme") == "bearer"]
        if not bearer or {} in requirements:
            return []
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return []
        return [Problem(where, "security", "Authorization", "missing_api_key",
                        f"the {bearer[0]} scheme needs 'Authorization: Bearer <key>'", value or None)]

    # -- schemas ----------------------------------------------------------------------------------
    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            target: Any = self.spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    def _properties(self, schema: Any) -> set[str]:
        """Every property name a schema allows, through ``$ref``, ``allOf``, ``anyOf`` and ``oneOf``."""
        schema = self._resolve(schema)
        if not isinstance(schema, dict):
            return set()
        names = set(schema.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                names |= self._properties(part)
        return names

    def _errors(self, schema: dict, instance: Any) -> list:
        if isinstance(schema, dict) and "$ref" in schema:
            schema = {"$ref": "urn:openai-spec" + schema["$ref"]}
        validator = self._validator_cls(_rebase_refs(schema), registry=self._registry)
        return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))

    def _validate(self, schema: dict, instance: Any, where: str) -> list[str]:
        return [f"{where}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
                for e in self._errors(schema, instance)]

    def _problems(self, schema: dict, instance: Any, where: str, location: str) -> list[Problem]:
        return [problem(e, where, location) for e in self._errors(schema, instance)]


def _query_value(name: str, schema: dict, style: str, pairs: list[tuple[str, str]]) -> tuple[bool, Any]:
    """A query parameter's value as its schema and style describe it (deepObject: ``name[key]=v``)."""
    if style == "deepObject":
        prefix = name + "["
        found = {k[len(prefix):-1]: v for k, v in pairs if k.startswith(prefix) and k.endswith("]")}
        if found:
            return True, found
    values = [v for k, v in pairs if k == name]
    if not values:
        return False, None
    if _primary_type(schema) == "array":
        return True, [_coerce(v, schema.get("items") or {}) for v in values]
    return True, _coerce(values[-1], schema)


def _coerce(raw: str, schema: dict) -> Any:
    """A text value as the schema's type reads it; left as text when it does not read (the schema then says so)."""
    if raw == "null" and _nullable(schema):
        return None
    kind = _primary_type(schema)
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _primary_type(schema: dict) -> str | None:
    if isinstance(schema.get("type"), str) and schema["type"] != "null":
        return schema["type"]
    for part in schema.get("anyOf", []) + schema.get("oneOf", []):
        found = _primary_type(part)
        if found:
            return found
    return None


def _nullable(schema: dict) -> bool:
    return schema.get("type") == "null" or any(_nullable(p) for p in schema.get("anyOf", []) + schema.get("oneOf", []))


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
