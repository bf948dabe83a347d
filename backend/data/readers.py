"""The readers' dispatcher: every source format as a stream of ``(line, record | ReadError)``, never holding
the file, plus what the data page asks of a source (its columns, one record's text, a guessed mapping).

Line numbers are 1-based physical lines for line formats (JSONL, text, CSV: lines.py) and record numbers for
container formats (Parquet, JSON arrays, dataset folders, Hub datasets: containers.py). Bad bytes become
ReadErrors, never exceptions; only a source that cannot be opened at all (a missing file, the Hub while
offline) raises InvalidInput.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from backend.data import containers
from backend.data.formats import DataFormat, detect_format
from backend.data.lines import (ReadError, delimited_records, jsonl_lines, jsonl_records, plain_text_records,
                                too_long)
from backend.errors import InvalidInput

COLUMN_ROLES = ("system", "user", "assistant", "rejected")
_GUESSES = {"system": ("system", "system_prompt", "instructions"),
            "user": ("user", "prompt", "question", "input", "instruction", "query"),
            "assistant": ("assistant", "completion", "answer", "output", "response", "chosen"),
            "rejected": ("rejected",)}
#: The token for private and gated Hub datasets, or how to get it: a callable is called only when a Hub
#: dataset is read, on the caller's thread (``backend.accounts.hub_dataset_token`` reads the keyring: never the GUI's).
HubToken = str | Callable[[], str | None] | None


def iter_records(path: str | Path, format: DataFormat | str | None = None, *,
                 hub_token: HubToken = None) -> Iterator[tuple[int, Any]]:
    """Every record of a source with its line; ``line`` 0 marks a problem of the whole file. ``hub_token``:
    for a Hub dataset only (see ``HubToken``)."""
    fmt = DataFormat(format) if format else detect_format(path)
    p = Path(path)
    if fmt is DataFormat.HUB_DATASET:
        yield from containers.hub(str(path), hub_token() if callable(hub_token) else hub_token)
        return
    if fmt is not DataFormat.HF_DATASET_DIR and not p.is_file():
        raise InvalidInput(f"{p} is not a file.", hint="Choose a data file.")
    if fmt is DataFormat.HF_DATASET_DIR:
        yield from _dataset_folder(p)
    elif fmt is DataFormat.TEXT and p.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        yield from plain_text_records(p)
    elif fmt in (DataFormat.CSV, DataFormat.TSV):
        yield from delimited_records(p, "," if fmt is DataFormat.CSV else "\t")
    elif fmt is DataFormat.PARQUET:
        yield from containers.parquet(p)
    elif fmt is DataFormat.JSON_ARRAY:
        yield from containers.json_array(p)
    else:
        yield from jsonl_records(p)


def _dataset_folder(path: Path) -> Iterator[tuple[int, Any]]:
    """A folder written by ``datasets``' save_to_disk, or one of data files (its train files, read in turn and
    numbered as one table)."""
    if containers.is_saved_dataset(path):
        yield from containers.saved_dataset(path)
        return
    index = 0
    for file in containers.dataset_folder_files(path):
        for line, record in iter_records(file):
            if line == 0:  # a problem of that whole file (not UTF-8, damaged): said of it, not of a row
                yield 0, record._replace(message=f"{file.name}: {record.message}")
                continue
            index += 1
            yield index, record


def read_columns(path: str | Path, format: DataFormat | str | None = None) -> list[str]:
    """Column names of a table file, for the column-mapping dialog (first record's keys)."""
    for line, record in iter_records(path, format):
        if isinstance(record, dict):
            return [str(k) for k in record]
        if line:
            break
    return []


def guess_mapping(columns: list[str]) -> dict[str, str] | None:
    """A role -> column mapping from familiar column names, or None if user and assistant are not both found."""
    lowered = {c.lower().strip(): c for c in columns}
    mapping = {}
    for role, names in _GUESSES.items():
        for name in names:
            if name in lowered and lowered[name] not in mapping.values():
                mapping[role] = lowered[name]
                break
    return mapping if "user" in mapping and "assistant" in mapping else None


def record_text(path: str | Path, line: int, format: DataFormat | str | None = None, limit: int = 20_000) -> str:
    """The source text of the record at ``line`` (shown when the user clicks a finding), at most ``limit``
    characters; streamed, so a record near the end of a large file costs one read, not memory."""
    if line <= 0:
        return ""
    fmt = DataFormat(format) if format else detect_format(path)
    if fmt.is_jsonl or (fmt is DataFormat.TEXT and Path(path).is_file()):
        for number, raw in jsonl_lines(path):
            if number == line:
                if type(raw) is int:
                    return too_long(raw).message
                return raw[:limit * 4].decode("utf-8", errors="replace")[:limit]
        return ""
    for number, record in iter_records(path, fmt):
        if number == line:
            if isinstance(record, ReadError):
                return record.message
            return json.dumps(record, ensure_ascii=False, indent=1, default=str)[:limit]
    return ""
