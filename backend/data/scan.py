"""The validation pass over a stream of items: problems, token counts and the per-example figures
statistics need, kept in compact arrays (18 bytes per example) so memory stays nearly flat. ``scan`` takes
any items; ``scan_jsonl``, validation's hot loop over JSON lines, takes the plain chat record apart itself.

A ``Tally`` is plain picklable data: each process of a parallel pass fills one per chunk and the caller
merges them (see ``parallel.py``).
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from backend.data.checks import CHECKS, MAX_FINDINGS_PER_CHECK, Severity
from backend.data.examples import Item, record_key
from backend.data.formats import DataFormat
from backend.data.tokens import (TOKENS_PER_NAME, TOKENS_PER_REPLY, load_hf_tokenizer, message_text,
                                 ordinary_counter, tools_text)

LONGEST = 10
MEMO_ENTRIES = 1024
_ERRORS = frozenset(name for name, c in CHECKS.items() if c.severity is Severity.ERROR)
_NO_SYSTEM = "The example has no system message; others have one."
_NO_USER = "The example has no user message."
_PLAIN_ROLES = frozenset({"system", "developer", "user", "assistant"})
#: Records of the general path scanned together (scan's set-up is paid once per batch).
_BATCH = 64
#: Plain chat records whose contents are encoded together.
_ENCODE_BATCH = 256


class TokenCounter:
    """Counts one canonical example's tokens: tiktoken (cookbook framing) or a local HF chat template."""

    def __init__(self, encoding: str = "o200k_base", tokenizer_path: str | None = None):
        self.name = tokenizer_path or encoding
        self._hf = load_hf_tokenizer(tokenizer_path) if tokenizer_path else None
        self._tokens_in = None if self._hf else ordinary_counter(encoding)  # text -> token count
        # Counts of repeated strings (system prompts, tool lists); bounded so memory stays flat.
        self._memo: dict[str, int] = {}

    def _count(self, text: str) -> int:
        n = self._memo.get(text)
        if n is None:
            n = self._tokens_in(text)
            if len(self._memo) < MEMO_ENTRIES:
                self._memo[text] = n
        return n

    def example(self, ex) -> int:
        if self._hf is not None:
            messages = ex.messages + (ex.chosen or []) + (ex.rejected or [])
            text = ex.text if ex.text is not None else self._hf.apply_chat_template(
                [_plain(m) for m in messages], tokenize=False)
            return len(self._hf(text, add_special_tokens=False)["input_ids"])
        tokens_in = self._tokens_in
        if ex.text is not None:
            return tokens_in(ex.text)
        n = self._messages(ex.messages)
        if ex.chosen is not None:
            n += self._messages(ex.chosen) + self._messages(ex.rejected or [])
        if ex.tools:
            n += self._count(tools_text(ex.tools))
        return n

    def _messages(self, messages: list) -> int:
        """The cookbook's count: 3 framing tokens per message, the role, the content, 1 more for a name;
        3 for the reply. Same figure as ``tokens.example_parts``, inlined for speed."""
        tokens_in = self._tokens_in
        n = TOKENS_PER_REPLY
        for m in messages:
            content = m.get("content")
            if type(content) is str and len(m) == 2:
                if m.get("role") == "system":
                    n += 4 + self._count(content)
                else:
                    n += 4 + tokens_in(content)
            else:
                n += 4 + tokens_in(message_text(m))
                if isinstance(m.get("name"), str):
                    n += TOKENS_PER_NAME + tokens_in(m["name"])
        return n


def _plain(message: dict) -> dict:
    return {"role": message.get("role", "user"), "content": message_text(message)}


@dataclass
class Tally:
    examples: int = 0
    valid: int = 0
    preference: int = 0
    last_line: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[tuple[int, int | None, str, str]] = field(default_factory=list)
    tokens: array = field(default_factory=lambda: array("I"))
    messages: array = field(default_factory=lambda: array("H"))
    keys: array = field(default_factory=lambda: array("Q"))
    key_lines: array = field(default_factory=lambda: array("I"))
    longest: list[tuple[int, int]] = field(default_factory=list)  # min-heap of (tokens, line)
    billed: int = 0
    total_tokens: int = 0
    with_system: int = 0  # valid conversations with a system (or developer) message
    cancelled: bool = False
    pid: int = 0  # the process that scanned it, in a parallel pass
    kept_last: dict[str, int] = field(default_factory=dict)  # check -> last line among its kept findings

    def add(self, line: int, check: str, message: str, column: int | None = None) -> None:
        """Count a finding; keep it if it is among the first MAX_FINDINGS_PER_CHECK of its check by line,
        whatever order the findings come in (the hot loop tallies some records a batch later)."""
        n = self.counts.get(check, 0)
        self.counts[check] = n + 1
        if n < MAX_FINDINGS_PER_CHECK:
            self.findings.append((line, column, check, message))
            if line > self.kept_last.get(check, -1):
                self.kept_last[check] = line
        elif line < self.kept_last.get(check, -1):
            self._replace_last(line, column, check, message)

    def _replace_last(self, line: int, column: int | None, check: str, message: str) -> None:
        """The finding of ``check`` on the last line kept gives way to one on an earlier line."""
        last = self.kept_last[check]
        at = next(i for i, f in enumerate(self.findings) if f[2] == check and f[0] == last)
        self.findings[at] = (line, column, check, message)
        self.kept_last[check] = max(f[0] for f in self.findings if f[2] == check)


def scan(items: Iterable[Item], counter: TokenCounter, *, context_length: int | None = None,
         tally: Tally | None = None, should_stop: Callable[[], bool] | None = None,
         every: int = 2048, on_item: Callable[[Item], Any] | None = None) -> Tally:
    """Run every per-example check and count tokens; ``should_stop`` is polled every ``every`` items.

    The hot loop of validation: the running sums are kept in locals and the arrays' methods bound
    once (written back to the Tally when the loop ends, however it ends)."""
    t = tally or Tally()
    cap = context_length or 1 << 62
    errors = _ERRORS
    add_key, add_key_line = t.keys.frombytes, t.key_lines.append
    add_tokens, add_messages, count, longest = t.tokens.append, t.messages.append, counter.example, t.longest
    examples = valid = preference = total = billed = with_system = 0
    last_line = t.last_line
    try:
        for i, item in enumerate(items):
            if should_stop is not None and i % every == 0 and should_stop():
                t.cancelled = True
                break
            line = item.line
            if line > last_line:
                last_line = line
            problems = item.problems
            if problems:
                for check, message, column in problems:
                    t.add(line, check, message, column)
                if line == 0 or (item.example is None and item.key is None and problems[0][0] == "blank_line"):
                    continue
            elif line == 0:
                continue
            examples += 1
            if item.key is not None:
                add_key(item.key)  # 8 raw bytes: no int object per example
                add_key_line(line)
            ex = item.example
            if ex is None or (problems and any(c in errors for c, _, _ in problems)):
                continue
            valid += 1
            if ex.chosen is not None:
                preference += 1
            if ex.text is None:  # the cookbook's counts: no system message, no user message (also in scan_jsonl)
                system = user = False
                for m in ex.messages:
                    role = m.get("role")
                    if role == "user":
                        user = True
                    elif role == "system" or role == "developer":
                        system = True
                if system:
                    with_system += 1
                else:  # dropped in the report when no example has one: a consistent choice, not a slip
                    t.add(line, "missing_system_message", _NO_SYSTEM)
                if not user:
                    t.add(line, "missing_user_message", _NO_USER)
            n = count(ex)
            if n > cap:
                t.add(line, "too_long", f"The example has {n:,} tokens; the model's context holds {cap:,}.")
            add_tokens(n if n < 0xFFFFFFFF else 0xFFFFFFFF)
            m = len(ex.messages) + (len(ex.chosen) if ex.chosen is not None else 0)
            add_messages(m if m < 0xFFFF else 0xFFFF)
            total += n
            billed += n if n < cap else cap
            if len(longest) < LONGEST:
                heapq.heappush(longest, (n, -line))
            elif n >= longest[0][0] and (n, -line) > longest[0]:  # ties: the earlier line, in any order
                heapq.heapreplace(longest, (n, -line))
            if on_item is not None:
                on_item(item)
    finally:
        t.examples += examples
        t.valid += valid
        t.preference += preference
        t.total_tokens += total
        t.billed += billed
        t.with_system += with_system
        t.last_line = last_line
    return t


def scan_jsonl(path, fmt: DataFormat, counter: TokenCounter, *, start: int = 0, end: int | None = None,
               on_block: Callable[[int], None] | None = None, max_line: int | None = None,
               context_length: int | None = None, should_stop: Callable[[], bool] | None = None,
               every: int = 2048) -> Tally:
    """``scan(jsonl_items(...))``, with the common chat record taken apart in one place: a record that is
    only a "messages" list of plain {"role", "content"} messages with an assistant turn is checked and
    counted here, with no CanonicalExample, Item or second walk over its messages (validation's hot loop:
    the checks and counts are those of ``check_messages`` and ``TokenCounter``, and the tests hold the two
    paths to the same Tally). Every other line (tool calls, tools, weights, errors, the first line's BOM)
    goes through ``line_item`` and ``scan``, in batches."""
    from backend.data.examples import first_line, jsonl_items, line_item
    from backend.data.lines import fast_loads, jsonl_lines

    if fmt is not DataFormat.OPENAI_CHAT or counter._hf is not None or fast_loads is None:
        return scan(jsonl_items(path, fmt, start, end, on_block, max_line), counter,
                    context_length=context_length, should_stop=should_stop, every=every)
    t, loads, batch = Tally(), fast_loads, []
    cap = context_length or 1 << 62
    tokens_in, cached, plain = counter._tokens_in, counter._count, _PLAIN_ROLES
    add_key, add_key_line = t.keys.frombytes, t.key_lines.append
    examples = valid = with_system = 0
    last_line, first, texts, waiting = 0, start == 0, [], []
    try:
        for i, (line, raw) in enumerate(jsonl_lines(path, start, end, on_block, max_line)):
            if should_stop is not None and i % every == 0 and should_stop():
                t.cancelled = True
                break
            last_line = line
            if first or type(raw) is int:
                if first and type(raw) is bytes:
                    raw, note, stop = first_line(raw)
                    if note is not None:
                        batch.append(note)
                    if stop:
                        break
                first = False
                batch.append(line_item(fmt, line, raw, max_line))
                continue
            try:
                record = loads(raw)
            except Exception:  # noqa: BLE001 - not JSON (or not orjson's): line_item says what is wrong
                batch.append(line_item(fmt, line, raw, max_line))
                continue
            messages = record.get("messages") if type(record) is dict and len(record) == 1 else None
            if type(messages) is list and messages:
                # One walk checks the record (only plain messages), notes its roles as the cookbook counts
                # them, and counts it as TokenCounter does: the system prompt from its cache, the other
                # contents set aside to be encoded a batch at a time (_count_waiting), not between parsing
                # one line and the next. A record that is not plain leaves nothing set aside.
                system = user = assistant = False
                n, mark = TOKENS_PER_REPLY + 4 * len(messages), len(texts)
                for m in messages:
                    if type(m) is not dict or len(m) != 2:
                        break
                    role, content = m.get("role"), m.get("content")
                    if type(role) is not str or role not in plain or type(content) is not str:
                        break
                    if role == "assistant":
                        assistant = True
                        texts.append(content)
                    elif role == "user":
                        user = True
                        texts.append(content)
                    elif role == "system":
                        system = True
                        n += cached(content)
                    else:  # developer
                        system = True
                        texts.append(content)
                else:
                    if assistant:
                        waiting.append((line, n, len(texts), len(messages)))
                        examples += 1
                        valid += 1
                        add_key(record_key(raw))
                        add_key_line(line)
                        if system:
                            with_system += 1
                        else:
                            t.add(line, "missing_system_message", _NO_SYSTEM)
                        if not user:
                            t.add(line, "missing_user_message", _NO_USER)
                        if len(waiting) >= _ENCODE_BATCH:
                            _count_waiting(t, texts, waiting, tokens_in, cap)
                        continue
                del texts[mark:]
            batch.append(line_item(fmt, line, raw, max_line, record))
            if len(batch) >= _BATCH:
                scan(batch, counter, context_length=context_length, tally=t)
                batch.clear()
    finally:
        t.examples += examples
        t.valid += valid
        t.with_system += with_system
    if waiting:
        _count_waiting(t, texts, waiting, tokens_in, cap)
    if batch:
        scan(batch, counter, context_length=context_length, tally=t)
    t.last_line = max(t.last_line, last_line)
    return t


def _count_waiting(t: Tally, texts: list[str], waiting: list[tuple[int, int, int, int]], tokens_in, cap: int) -> None:
    """Encode the waiting records' contents one after another and tally each record: ``waiting`` holds
    (line, tokens known already, end of its contents in ``texts``, messages). Encoding a batch back to back
    keeps tiktoken's tables in the cache, where encoding between parsing one line and the next evicted them
    (measured: about a tenth of validation's time). Both lists are emptied."""
    counts = list(map(tokens_in, texts))
    add_tokens, add_messages, longest = t.tokens.append, t.messages.append, t.longest
    total = billed = at = 0
    for line, n, end, messages in waiting:
        n += sum(counts[at:end])
        at = end
        if n > cap:
            t.add(line, "too_long", f"The example has {n:,} tokens; the model's context holds {cap:,}.")
        add_tokens(n if n < 0xFFFFFFFF else 0xFFFFFFFF)
        add_messages(messages if messages < 0xFFFF else 0xFFFF)
        total += n
        billed += n if n < cap else cap
        if len(longest) < LONGEST:
            heapq.heappush(longest, (n, -line))
        elif n >= longest[0][0] and (n, -line) > longest[0]:  # ties: the earlier line, in any order
            heapq.heapreplace(longest, (n, -line))
    t.total_tokens += total
    t.billed += billed
    texts.clear()
    waiting.clear()
