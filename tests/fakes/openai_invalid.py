"""How the real OpenAI API refuses a request that breaks its description: the status and sentences it uses.

The fake answers every request the checker (``openapi_check.request_problems``) finds at fault with the
first fault, worded as the service words it: 400 ``invalid_request_error`` with the parameter's dotted path
in ``param`` and the fault's kind in ``code`` ("Missing required parameter: 'model'.", "Unknown parameter:
'foo'.", "Invalid type for 'limit': expected an integer, but got a string instead.", "Invalid
'n_epochs': integer above maximum value. Expected a value <= 50, but got 99 instead."). The Files API,
older, still answers an invalid enum value in jsonschema's words ("'bogus' is not one of [...] -
'purpose'"). A request without the bearer key is a 401, as the service answers it.
"""

from __future__ import annotations

from tests.fakes.openai_state import APIFailure
from tests.fakes.openapi_problems import Problem

NO_KEY = ("You didn't provide an API key. You need to provide your API key in an Authorization header using "
          "Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from "
          "https://platform.openai.com/account/api-keys.")
_TYPES = {"integer": "an integer", "number": "a decimal", "string": "a string", "boolean": "a boolean",
          "object": "an object", "array": "an array", "null": "null"}


def refusal(problem: Problem, *, multipart: bool = False) -> APIFailure:
    """The error the service answers ``problem`` with."""
    if problem.location == "security":
        return APIFailure(401, NO_KEY)
    param, value, expected = problem.param, problem.value, problem.expected
    kind = problem.kind
    if kind == "missing_required_parameter":
        message = f"Missing required parameter: '{param}'."
    elif kind == "unknown_parameter":
        message = f"Unknown parameter: '{param}'."
    elif kind == "invalid_type":
        wanted = expected if isinstance(expected, str) else "/".join(expected)
        message = (f"Invalid type for '{param}': expected {_TYPES.get(wanted, wanted)}, but got "
                   f"{_TYPES.get(_json_type(value), 'a value')} instead.")
    elif kind == "invalid_value" and isinstance(expected, list) and multipart:
        message = f"{value!r} is not one of {expected} - '{param}'"
    elif kind == "invalid_value" and isinstance(expected, list):
        message = f"Invalid value: '{value}'. Supported values are: {_listed(expected)}."
    elif kind.endswith(("_above_max_value", "_below_min_value")):
        number, _, side = kind.partition("_")
        above = side.startswith("above")
        message = (f"Invalid '{param}': {number} {'above maximum' if above else 'below minimum'} value. Expected a "
                   f"value {'<=' if above else '>='} {expected}, but got {value} instead.")
    else:
        message = f"Invalid value for '{param}': {problem.detail}."
    return APIFailure(400, message, param=param or None, code=kind)


def _listed(values: list) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "string")
