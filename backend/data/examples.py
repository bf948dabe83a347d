"""Records turned into canonical examples with their problems: the one loop that validation, conversion
and preparation share, so they can never disagree about which example is valid."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.words import plural
from backend.data.canonical import CanonicalExample
from backend.data.checks import CHECKS, Severity
from backend.data.convert import Problem, to_canonical
from backend.data.formats import JSONL_FORMATS, DataFormat, detect_format, record_format
from backend.data.lines import BOM, ReadError, fast_loads, jsonl_lines, parse_jsonl_line, too_long
from backend.data.readers import HubToken, guess_mapping, iter_records

#: Formats whose records may come in any shape (detected from the first record) or through a column mapping.
CONTAINERS = frozenset({DataFormat.CSV, DataFormat.TSV, DataFormat.PARQUET, DataFormat.JSON_ARRAY,
                        DataFormat.HF_DATASET_DIR, DataFormat.HUB_DATASET})


@dataclass(slots=True)
class Item:
    line: int
    example: CanonicalExample | None = None
    problems: list[Problem] = field(default_factory=list)
    key: bytes | None = None  # 8-byte hash of the record, for exact duplicates; None for non-records
    record: Any = None

    @property
    def valid(self) -> bool:
        return self.example is not None and not any(CHECKS[c].severity is Severity.ERROR for c, _, _ in self.problems)

    @property
    def is_example(self) -> bool:
        """A record (valid or not), as opposed to a blank line or a whole-file note."""
        return self.line > 0 and not any(c == "blank_line" for c, _, _ in self.problems)


try:  # record_key(raw) -> 8 bytes: xxh3 hashes a line in a twentieth of blake2b's time (once per line)
    from xxhash import xxh3_64_digest as record_key
except ImportError:  # pragma: no cover - xxhash comes with datasets; without it, the standard library's
    def record_key(raw: bytes) -> bytes:
        """An 8-byte hash of a record's raw bytes, for exact duplicates."""
        return hashlib.blake2b(raw, digest_size=8).digest()


def item_from_record(fmt: DataFormat, line: int, record: Any, mapping: dict[str, str] | None,
                     raw: bytes | None = None) -> Item:
    if isinstance(record, ReadError):
        return Item(line, problems=[(record.check, record.message, record.column)])
    example, problems = to_canonical(fmt, record, line, mapping)
    extra = getattr(record, "extra", None)  # a CSV/TSV row with more cells than the header has columns
    if extra:
        shown = ", ".join(repr(cell[:30]) for cell in extra[:3]) + (", …" if len(extra) > 3 else "")
        problems.append(("extra_cells", f"The row has {plural(len(extra), 'cell')} more than the header's "
                         f"{plural(len(record), 'column')}: {shown}; they are left out.", None))
    if raw is None:
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()
    return Item(line, example, problems, record_key(raw), record)


def iter_examples(path: str | Path, format: DataFormat | str | None = None,
                  column_mapping: dict[str, str] | None = None, *, hub_token: HubToken = None) -> Iterator[Item]:
    """Every record of ``path`` as an Item, plus whole-file problems (line 0); ``hub_token``: see
    ``readers.HubToken``."""
    fmt = DataFormat(format) if format else detect_format(path)
    if is_jsonl(fmt, path) and not column_mapping:
        yield from jsonl_items(path, fmt)
        return
    shape: DataFormat | None = fmt if fmt not in CONTAINERS else None
    mapping = column_mapping or None
    for line, record in iter_records(path, fmt, hub_token=hub_token):
        if shape is None and isinstance(record, dict):
            shape = record_format(record) if not mapping else fmt
            if shape is None:
                mapping = guess_mapping([str(k) for k in record])
                if mapping is None:
                    yield Item(0, problems=[("unsupported_format",
                                             f"Records have columns {', '.join(map(str, list(record)[:8]))}; "
                                             "which is the user turn and which the assistant's is not clear.", None)])
                    return
                shape = fmt
        yield item_from_record(shape or fmt, line, record, mapping)


def iter_canonical(path: str | Path, format: DataFormat | str | None = None,
                   column_mapping: dict[str, str] | None = None, *, hub_token: HubToken = None
                   ) -> Iterator[CanonicalExample]:
    """The valid examples of a source in canonical form (invalid ones are skipped; validate_file counts them)."""
    for item in iter_examples(path, format, column_mapping, hub_token=hub_token):
        if item.example is not None and item.valid:
            yield item.example


def is_jsonl(fmt: DataFormat, path: str | Path) -> bool:
    """True when records are JSON lines (the parallel fast path applies)."""
    return fmt in JSONL_FORMATS or (fmt is DataFormat.TEXT and Path(path).suffix.lower() in (".jsonl", ".json"))


def jsonl_items(path: str | Path, fmt: DataFormat, start: int = 0, end: int | None = None,
                on_block=None, max_line: int | None = None) -> Iterator[Item]:
    """Items of the JSONL lines starting in [start, end) (lines are local to the range; the caller adds the
    range's first line). Duplicates are keyed on the raw line bytes. (Validation's own pass,
    ``scan.scan_jsonl``, takes the common chat record without making an Item, and this way for the rest.)"""
    first = start == 0
    for line, raw in jsonl_lines(path, start, end, on_block, max_line):
        if first and type(raw) is bytes:
            raw, note, stop = first_line(raw)
            if note is not None:
                yield note
            if stop:
                return
        first = False
        yield line_item(fmt, line, raw, max_line)


def first_line(raw: bytes) -> tuple[bytes, Item | None, bool]:
    """The file's first line without its byte-order mark, a whole-file note about the mark or an encoding,
    and whether to stop there (UTF-16: nothing more is readable as lines)."""
    if raw.startswith(BOM):
        note = ("byte_order_mark", "The file starts with a UTF-8 byte-order mark.", None)
        return raw[3:], Item(0, problems=[note]), False
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw, Item(0, problems=[("encoding", "The file is UTF-16, not UTF-8.", None)]), True
    return raw, None, False


_UNPARSED = object()


def line_item(fmt: DataFormat, line: int, raw: bytes | int, max_line: int | None = None,
              record: Any = _UNPARSED) -> Item:
    """The Item of one JSONL line (``raw`` an int: the length of a line over the cap); ``record`` if the
    caller has parsed it already."""
    if type(raw) is int:
        return Item(line, problems=[tuple(too_long(raw, max_line))])
    if record is _UNPARSED:
        try:
            record = fast_loads(raw)
        except Exception:  # noqa: BLE001 - orjson's error, or no orjson: the standard path decides
            record = parse_jsonl_line(raw)
            if isinstance(record, ReadError):
                return Item(line, problems=[(record.check, record.message, record.column)])
    example, problems = to_canonical(fmt, record, line)
    return Item(line, example, problems, record_key(raw), record)
