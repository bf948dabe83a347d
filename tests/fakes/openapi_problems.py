"""A request's fault as the OpenAI API names it: the parameter's dotted path and the error code it answers with.

``openapi_check`` turns each jsonschema error into a ``Problem``; ``openai_invalid`` words the fake's refusal
from it. For ``anyOf``/``oneOf`` the error of the branch the value was meant for is taken, and a value every
branch refused on the same field (a message's ``role``) lists all the values allowed, as the service does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One way a request breaks the description: where it is, which parameter, and what kind of fault.

    ``kind`` is the error code the real API answers such a fault with (``missing_required_parameter``,
    ``unknown_parameter``, ``invalid_type``, ``invalid_value``, ``integer_above_max_value``...), so the fake can
    refuse the request in the service's own shape (``tests/fakes/openai_invalid.py``).
    """

    where: str  # "POST /fine_tuning/jobs request"
    location: str  # "body", "query", "header" or "security"
    param: str  # OpenAI's spelling: "method.supervised.hyperparameters.n_epochs", "messages[0].role"
    kind: str
    detail: str  # the validator's sentence
    value: Any = None
    expected: Any = None  # the enum, the bound or the type that was expected

    def __str__(self) -> str:
        where = {"body": "", "query": "query ", "header": "header ", "security": "header "}[self.location]
        return f"{self.where}: {where}{self.param or '(root)'}: {self.detail[:300]}"


def problem(error, where: str, location: str) -> Problem:
    """A jsonschema error as the fault the real API names (its error code and the parameter's dotted path)."""
    error, allowed = _branch(error)
    path, kind, value, expected = list(error.absolute_path), "invalid_value", error.instance, error.validator_value
    detail = error.message
    if allowed is not None:
        expected, detail = allowed, f"{value!r} is not one of {allowed}"
    elif error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        path, kind, value = path + missing[:1], "missing_required_parameter", None
    elif error.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = [k for k in error.instance if k not in (error.schema.get("properties") or {})]
        path, kind, value = path + extra[:1], "unknown_parameter", None
    elif error.validator == "type":
        kind = "invalid_type"
    elif error.validator in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
        number = "integer" if isinstance(error.instance, int) else "decimal"
        kind = f"{number}_{'above_max' if 'aximum' in error.validator else 'below_min'}_value"
    elif error.validator in ("maxLength", "maxItems"):
        kind = "string_above_max_length" if error.validator == "maxLength" else "array_above_max_length"
    elif error.validator in ("minLength", "minItems"):
        kind = "string_below_min_length" if error.validator == "minLength" else "empty_array"
    elif error.validator == "const":
        expected = [error.validator_value]
    return Problem(where, location, openai_param(path), kind, detail, value, expected)


def _branch(error):
    """For ``anyOf``/``oneOf``, the error that names the fault, and the allowed values when every branch
    refused the same field's value (a discriminator such as a message's ``role``: "Supported values are...")."""
    from jsonschema.exceptions import best_match

    if not error.context:
        return error, None
    by_branch: dict = {}
    for sub in error.context:
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    picks = [next((e for e in subs if e.validator in ("enum", "const")), None) for subs in by_branch.values()]
    if all(picks) and len({tuple(e.absolute_path) for e in picks}) == 1:
        allowed = [v for e in picks for v in (e.validator_value if e.validator == "enum" else [e.validator_value])]
        return picks[0], allowed
    if all(sub.validator == "type" for sub in error.context):  # "integer or null": a wrong type
        return error.context[0], None
    return best_match([error]), None


def openai_param(path: list) -> str:
    """``['messages', 0, 'role']`` as the API spells a parameter: ``messages[0].role``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
