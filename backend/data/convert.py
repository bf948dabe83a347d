"""Converters from every record shape to the canonical form, and the checks that need the whole example.

``to_canonical`` never raises on bad data: it returns the example it could build (or None) and the
problems it found, as ``(check, message, column)``. An example is valid when none of its problems is an error.
"""

from __future__ import annotations

from typing import Any

from backend.data.canonical import CanonicalExample
from backend.data.formats import DataFormat

Problem = tuple[str, str, "int | None"]
_CHAT = DataFormat.OPENAI_CHAT

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call",
                          "refusal", "thinking"})
SIMPLE_ROLES = frozenset({"system", "developer", "user", "assistant"})
SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "model": "assistant", "chatgpt": "assistant", "bard": "assistant", "bing": "assistant",
                  "function_call": "assistant", "observation": "user", "tool": "user"}


def _is_text(content: Any) -> bool:
    if isinstance(content, str):
        return True
    return isinstance(content, list) and bool(content) and all(
        isinstance(p, dict) and (isinstance(p.get("text"), str) or p.get("type") == "image_url") for p in content)


def check_messages(messages: Any, problems: list[Problem], *, need_assistant: bool = True) -> bool:
    """The cookbook's per-message checks plus weights and tool calls; True if the list is usable at all.

    The common message ({"role": "user", "content": "..."}) takes one short branch: this loop runs for
    every message of files with millions of examples."""
    if type(messages) is not list or not messages:
        problems.append(("missing_messages_list", "The example has no \"messages\" list, or it is empty.", None))
        return False
    calls: dict[str, int] | None = None  # tool call id -> index of the assistant message that made it
    answered: set[str] | None = None
    assistants = weighted_zero = 0
    for i, m in enumerate(messages, 1):
        if type(m) is not dict:
            problems.append(("message_missing_key", f"Message {i} is not an object.", None))
            continue
        role = m.get("role")
        if len(m) == 2 and type(role) is str and role in SIMPLE_ROLES and type(m.get("content")) is str:
            assistants += role == "assistant"
            continue  # the common case, nothing more to check
        if role == "assistant":
            assistants += 1
            weighted_zero += m.get("weight", 1) == 0
        if "role" not in m or ("content" not in m and not m.get("tool_calls") and not m.get("function_call")):
            missing = "role" if "role" not in m else "content"
            problems.append(("message_missing_key", f"Message {i} has no \"{missing}\".", None))
        extra = m.keys() - MESSAGE_KEYS
        if extra:
            problems.append(("message_unrecognized_key",
                             f"Message {i} has {'an unrecognized key' if len(extra) == 1 else 'unrecognized keys'}: "
                             f"{', '.join(sorted(map(str, extra)))}.", None))
        if "role" in m and (type(role) is not str or role not in ROLES):
            problems.append(("unrecognized_role", f"Message {i} has role {str(role)[:40]!r}.", None))
        content = m.get("content")
        if not (m.get("tool_calls") or m.get("function_call")) and "content" in m and not _is_text(content):
            problems.append(("missing_content", f"Message {i}'s content is {type(content).__name__}, not text.", None))
        if "weight" in m and (m["weight"] not in (0, 1) or isinstance(m["weight"], bool) or role != "assistant"):
            problems.append(("invalid_weight", f"Message {i} has weight {str(m['weight'])[:20]} on a {role} message.", None))
        tool_calls = m.get("tool_calls")
        if tool_calls is not None:
            if not isinstance(tool_calls, list) or not all(
                    isinstance(c, dict) and isinstance(c.get("function"), dict) for c in tool_calls):
                problems.append(("invalid_tools", f"Message {i}'s tool_calls is not a list of function calls.", None))
            else:
                calls = calls or {}
                for c in tool_calls:
                    calls[str(c.get("id"))] = i
        if role == "tool":
            call_id = str(m.get("tool_call_id"))
            if not calls or call_id not in calls:
                problems.append(("tool_result_without_call",
                                 f"Message {i} answers tool call {call_id[:40]!r}, which no earlier message made.", None))
            answered = answered or set()
            answered.add(call_id)
    if calls:
        for call_id, i in calls.items():
            if (not answered or call_id not in answered) and i < len(messages):  # a final call needs no result
                problems.append(("tool_call_without_result",
                                 f"Tool call {call_id[:40]!r} in message {i} has no tool result.", None))
    if need_assistant and not assistants:
        problems.append(("example_missing_assistant_message", "The example has no assistant message.", None))
    elif assistants and weighted_zero == assistants:
        problems.append(("all_weights_zero", "Every assistant message has weight 0.", None))
    return True


def _check_tools(tools: Any, problems: list[Problem]) -> None:
    if tools is not None and not (isinstance(tools, list) and all(
            isinstance(t, dict) and isinstance(t.get("function", t), dict) and "name" in t.get("function", t)
            for t in tools)):
        problems.append(("invalid_tools", "\"tools\" is not a list of function definitions.", None))


def _text_field(record: dict, key: str, problems: list[Problem], *, required: bool = True) -> str:
    value = record.get(key)
    if value is None or value == "":
        if required:
            problems.append(("missing_field", f"\"{key}\" is missing or empty.", None))
        return ""
    if not isinstance(value, str):
        problems.append(("missing_field", f"\"{key}\" is {type(value).__name__}, not text.", None))
        return ""
    return value


def _as_messages(value: Any, role: str) -> list[dict]:
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    if isinstance(value, dict):
        return [value]
    return value if isinstance(value, list) else []


def _preference(record: dict, line: int, problems: list[Problem]) -> CanonicalExample | None:
    if "input" in record or "preferred_output" in record:  # OpenAI
        source = record.get("input")
        if not isinstance(source, dict):
            problems.append(("missing_field", "\"input\" must be an object with a \"messages\" list.", None))
            return None
        prompt, tools = source.get("messages"), source.get("tools")
        chosen, rejected = record.get("preferred_output"), record.get("non_preferred_output")
        names = ("preferred_output", "non_preferred_output")
    else:  # TRL: prompt / chosen / rejected
        prompt, tools = _as_messages(record.get("prompt", []), "user"), record.get("tools")
        chosen, rejected = _as_messages(record.get("chosen"), "assistant"), _as_messages(record.get("rejected"), "assistant")
        names = ("chosen", "rejected")
    if not check_messages(prompt, problems, need_assistant=False):
        return None
    _check_tools(tools, problems)
    for name, out in zip(names, (chosen, rejected)):
        if not isinstance(out, list) or not out or not all(
                isinstance(m, dict) and m.get("role") == "assistant" and _is_text(m.get("content", "")) for m in out):
            problems.append(("missing_field", f"\"{name}\" must be a non-empty list of assistant messages.", None))
            return None
    if chosen == rejected:
        problems.append(("identical_preference", "The preferred and non-preferred outputs are identical.", None))
    return CanonicalExample(line, messages=prompt, tools=tools, chosen=chosen, rejected=rejected)


def _mapped(record: dict, line: int, mapping: dict[str, str], problems: list[Problem]) -> CanonicalExample | None:
    """A CSV/TSV/Parquet row through the user's column mapping (role -> column)."""
    messages = []
    for role in ("system", "user", "assistant"):
        column = mapping.get(role)
        value = record.get(column) if column else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if role != "system":
                problems.append(("missing_field", f"Column {column!r} ({role} turn) is empty.", None))
            continue
        messages.append({"role": role, "content": str(value)})
    if len(messages) < 2 or messages[-1]["role"] != "assistant":
        return None
    if mapping.get("rejected"):
        rejected = str(record.get(mapping["rejected"]) or "")
        chosen = [messages.pop()]
        if not rejected.strip():
            problems.append(("missing_field", f"Column {mapping['rejected']!r} (rejected reply) is empty.", None))
            return None
        if rejected == chosen[0]["content"]:
            problems.append(("identical_preference", "The chosen and rejected replies are identical.", None))
        return CanonicalExample(line, messages=messages, chosen=chosen,
                                rejected=[{"role": "assistant", "content": rejected}])
    return CanonicalExample(line, messages=messages)


def to_canonical(fmt: DataFormat, record: Any, line: int,
                 mapping: dict[str, str] | None = None) -> tuple[CanonicalExample | None, list[Problem]]:
    """Convert one parsed record of shape ``fmt``; never raises on bad data."""
    problems: list[Problem] = []
    if fmt is _CHAT and type(record) is dict and "messages" in record and not mapping:  # the hot path
        messages, tools = record["messages"], record.get("tools")
        if not check_messages(messages, problems):
            return None, problems
        if tools is not None:
            _check_tools(tools, problems)
        return CanonicalExample(line, messages, tools), problems
    if not isinstance(record, dict):
        problems.append(("data_type", f"The record is {type(record).__name__}, not a JSON object.", None))
        return None, problems
    if mapping:
        return _mapped(record, line, mapping, problems), problems
    if fmt is DataFormat.OPENAI_CHAT and "messages" not in record and (
            "preferred_output" in record or "input" in record):
        fmt = DataFormat.OPENAI_PREFERENCE  # a pair in a chat file: reported as mixed methods, not as malformed
    if fmt is DataFormat.OPENAI_CHAT:
        messages, tools = record.get("messages"), record.get("tools")
        if not check_messages(messages, problems):
            return None, problems
        _check_tools(tools, problems)
        return CanonicalExample(line, messages=messages, tools=tools), problems
    if fmt is DataFormat.OPENAI_PREFERENCE:
        return _preference(record, line, problems), problems
    if fmt is DataFormat.PROMPT_COMPLETION:
        prompt, completion = record.get("prompt"), record.get("completion")
        if isinstance(prompt, list) or isinstance(completion, list):  # TRL's conversational prompt-completion
            messages = _as_messages(prompt, "user") + _as_messages(completion, "assistant")
            check_messages(messages, problems)
            return CanonicalExample(line, messages=messages), problems
        prompt, completion = _text_field(record, "prompt", problems), _text_field(record, "completion", problems)
        return CanonicalExample(line, messages=[{"role": "user", "content": prompt},
                                                {"role": "assistant", "content": completion}]), problems
    if fmt is DataFormat.ALPACA:
        instruction = _text_field(record, "instruction", problems)
        extra = _text_field(record, "input", problems, required=False)
        output = _text_field(record, "output", problems)
        system = _text_field(record, "system", problems, required=False)
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": f"{instruction}\n\n{extra}" if extra else instruction},
            {"role": "assistant", "content": output}]
        return CanonicalExample(line, messages=messages), problems
    if fmt is DataFormat.SHAREGPT:
        turns = record.get("conversations")
        if not isinstance(turns, list) or not turns:
            problems.append(("missing_field", "\"conversations\" is missing or empty.", None))
            return None, problems
        messages = []
        for i, turn in enumerate(turns, 1):
            who = turn.get("from") if isinstance(turn, dict) else None
            if type(who) is not str or who not in SHAREGPT_ROLES:
                problems.append(("unrecognized_role", f"Turn {i} is from {str(who)[:40]!r}.", None))
                continue
            if not isinstance(turn.get("value"), str):
                problems.append(("missing_content", f"Turn {i} has no text \"value\".", None))
                continue
            messages.append({"role": SHAREGPT_ROLES[who], "content": turn["value"]})
        if not any(m["role"] == "assistant" for m in messages):
            problems.append(("example_missing_assistant_message", "The conversation has no reply from the model.", None))
        return CanonicalExample(line, messages=messages), problems
    if fmt is DataFormat.TEXT:
        text = _text_field(record, "text", problems)
        return CanonicalExample(line, text=text), problems
    problems.append(("unsupported_format", f"Records of format {fmt.value} need a column mapping.", None))
    return None, problems
