"""Reading primitives: a file's lines in bounded memory, one JSON line as a record, and the line formats
(JSONL, plain text, CSV/TSV) as streams of ``(line, record | ReadError)``.

Line numbers are 1-based physical lines. Bad bytes become ReadErrors, never exceptions. This module imports
nothing else of the package: the container readers (containers.py) and the dispatcher (readers.py) build on it.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20
#: The longest line the JSONL and text readers take (a finding names any longer one); tests lower it.
MAX_LINE_BYTES = 32 << 20


_decode = json.JSONDecoder().decode  # json.loads minus its per-call argument checks
try:  # orjson parses a line in a third of json's time; anything it refuses goes to json for the exact finding
    from orjson import JSONDecodeError as _FastError
    from orjson import loads as fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency, but the reader must not need it
    fast_loads = None


class ReadError(NamedTuple):
    check: str
    message: str
    column: int | None = None


def parse_jsonl_line(raw: bytes) -> Any:
    """One JSONL line (without its newline) as a record, or a ReadError."""
    if fast_loads is not None:
        try:
            return fast_loads(raw)
        except _FastError:
            pass  # blank, invalid, not UTF-8, NaN, huge ints, deep nesting: the standard path decides
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ReadError("encoding", f"Byte {exc.start + 1} is not valid UTF-8 ({raw[exc.start:exc.start + 1]!r}).",
                         exc.start + 1)
    if not text or (text[0] in " \t\r\f\v" and not text.strip()):  # strip() would copy every line
        return ReadError("blank_line", "The line is blank.")
    try:
        return _decode(text)
    except json.JSONDecodeError as exc:
        return ReadError("invalid_json", f"{exc.msg}.", exc.colno)
    except RecursionError:
        return ReadError("invalid_json", "The JSON is nested too deeply.")


def jsonl_lines(path: str | Path, start: int = 0, end: int | None = None,
                on_block: Callable[[int], None] | None = None,
                max_line: int | None = None) -> Iterator[tuple[int, bytes | int]]:
    """(local line number, line bytes) for the lines starting in [start, end), read in 1 MB blocks;
    ``on_block`` gets the bytes read so far after each block (progress).

    A line longer than ``max_line`` bytes (default ``MAX_LINE_BYTES``) comes as its length, an ``int``, in
    place of its bytes: it is skipped, not held, so time stays linear and memory bounded by the cap whatever
    the input (a 2 GB file without a newline is one such line). A line's pieces are kept in a list and joined
    once, when its end arrives: growing one bytes object block by block copied it for every block."""
    cap = MAX_LINE_BYTES if max_line is None else max_line
    with open(path, "rb") as f:
        f.seek(start)
        remaining = (end if end is not None else os.fstat(f.fileno()).st_size) - start
        line, pending, pending_len, skipped = 0, [], 0, 0  # skipped: length of an over-long line, while in it
        while remaining > 0:
            block = f.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            if on_block is not None:
                on_block(f.tell() - start)
            parts = block.split(b"\n")
            last = parts.pop()
            if parts:
                first = parts[0]
                length = skipped + pending_len + len(first)
                line += 1
                if skipped or length > cap:
                    yield line, length
                else:
                    if pending:
                        pending.append(first)
                        raw = b"".join(pending)  # one copy of the line, not one per block
                        pending = []
                    else:
                        raw = first
                    yield line, raw[:-1] if raw.endswith(b"\r") else raw
                pending, pending_len, skipped = [], 0, 0
                for raw in itertools.islice(parts, 1, None):
                    line += 1
                    if len(raw) > cap:
                        yield line, len(raw)
                    else:
                        yield line, raw[:-1] if raw.endswith(b"\r") else raw
            if skipped:
                skipped += len(last)
            elif pending_len + len(last) > cap:
                skipped, pending, pending_len = pending_len + len(last), [], 0
            elif last:
                pending.append(last)
                pending_len += len(last)
        if skipped:
            yield line + 1, skipped
        elif pending:
            raw = b"".join(pending)
            yield line + 1, raw[:-1] if raw.endswith(b"\r") else raw


def too_long(length: int, cap: int | None = None, unit: str = "bytes") -> ReadError:
    """The finding for a line over the cap (the finding's line names the line): its length and the cap."""
    limit = _size(MAX_LINE_BYTES if cap is None else cap, unit)
    return ReadError("line_too_long",
                     f"The line is {length:,} {unit} long; lines over {limit} are not read (the file's other lines are).")


def _size(n: int, unit: str = "bytes") -> str:
    if unit == "bytes" and n >= 1 << 20:
        return f"{n / (1 << 20):g} MiB"
    return f"{n:,} {unit}"


def jsonl_records(path: Path) -> Iterator[tuple[int, Any]]:
    for line, raw in jsonl_lines(path):
        if type(raw) is int:
            yield line, too_long(raw)
            continue
        if line == 1 and raw.startswith(BOM):
            raw = raw[3:]
            yield 0, ReadError("byte_order_mark", "The file starts with a UTF-8 byte-order mark.")
        elif line == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            yield 0, ReadError("encoding", "The file is UTF-16, not UTF-8.")
            return
        yield line, parse_jsonl_line(raw)


def plain_text_records(path: Path) -> Iterator[tuple[int, Any]]:
    for line, raw in _jsonl_raw(path):
        if type(raw) is int:
            yield line, too_long(raw)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield line, ReadError("encoding", f"Byte {exc.start + 1} is not valid UTF-8.", exc.start + 1)
            continue
        if text.strip():  # blank lines separate documents in plain text
            yield line, {"text": text}


def _jsonl_raw(path: Path) -> Iterator[tuple[int, bytes]]:
    for line, raw in jsonl_lines(path):
        yield line, raw[3:] if line == 1 and type(raw) is bytes and raw.startswith(BOM) else raw


def decoded_text(path: Path) -> Iterator[str]:
    """The file's text as UTF-8 (a byte-order mark dropped), in pieces of about ``CHUNK`` characters."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)


def delimited_records(path: Path, delimiter: str) -> Iterator[tuple[int, Any]]:
    """Rows of a CSV/TSV file as dicts by header; cells beyond the header come back in ``Row.extra``."""
    skipped: list[tuple[int, int]] = []
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))  # a cell may be as long as a line
    try:
        text = (chunk for chunk in decoded_text(path))
        reader = csv.DictReader(_lines_of(text, skipped), delimiter=delimiter, restkey=_REST)
        for row in reader:
            while skipped:
                line, length = skipped.pop(0)
                yield line, too_long(length, unit="characters")
            record = Row((k, v) for k, v in row.items() if k is not _REST and k is not None)
            extra = row.get(_REST)
            if extra:
                record.extra = [str(cell) for cell in extra]
            yield reader.line_num, record
        for line, length in skipped:
            yield line, too_long(length, unit="characters")
    except UnicodeDecodeError as exc:
        yield 0, ReadError("encoding", f"The file is not valid UTF-8 (byte {exc.start + 1} of a block).")
    except csv.Error as exc:
        yield 0, ReadError("invalid_json", f"The file is not valid {'CSV' if delimiter == ',' else 'TSV'}: {exc}.")


_REST = object()  # csv's key for the cells beyond the header (an object no header can be)


class Row(dict):
    """A CSV/TSV row by header; ``extra`` holds the cells beyond the header's columns, which the row's
    finding names (they are not read as any column)."""

    __slots__ = ("extra",)

    def __init__(self, *args):
        super().__init__(*args)
        self.extra: list[str] = []


def _lines_of(chunks: Iterator[str], skipped: list[tuple[int, int]]) -> Iterator[str]:
    """Lines of decoded text for the csv module. A line over the cap is left out (an empty line in its
    place keeps csv's line count) and noted in ``skipped`` as (line, length); pieces of a line are joined
    once, when its end arrives, as in ``jsonl_lines``."""
    cap = MAX_LINE_BYTES
    line, pending, pending_len, skipping = 0, [], 0, 0
    for chunk in chunks:
        parts = chunk.split("\n")
        last = parts.pop()
        if parts:
            first = parts[0]
            length = skipping + pending_len + len(first)
            line += 1
            if skipping or length > cap:
                skipped.append((line, length))
                yield "\n"
            else:
                pending.append(first)
                pending.append("\n")
                yield "".join(pending)
                pending = []
            pending, pending_len, skipping = [], 0, 0
            for part in itertools.islice(parts, 1, None):
                line += 1
                if len(part) > cap:
                    skipped.append((line, len(part)))
                    yield "\n"
                else:
                    yield part + "\n"
        if skipping:
            skipping += len(last)
        elif pending_len + len(last) > cap:
            skipping, pending, pending_len = pending_len + len(last), [], 0
        elif last:
            pending.append(last)
            pending_len += len(last)
    if skipping:
        skipped.append((line + 1, skipping))
    elif pending:
        yield "".join(pending)
