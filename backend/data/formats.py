"""The data formats the app reads, and how a file's format is recognised from its name and first records."""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path

from backend.errors import InvalidInput


class DataFormat(str, Enum):
    OPENAI_CHAT = "openai_chat"  # {"messages": [...], "tools": [...]}
    OPENAI_PREFERENCE = "openai_preference"  # {"input": {...}, "preferred_output": [...], "non_preferred_output": [...]}
    PROMPT_COMPLETION = "prompt_completion"  # {"prompt": "...", "completion": "..."}
    ALPACA = "alpaca"  # {"instruction": "...", "input": "...", "output": "..."}
    SHAREGPT = "sharegpt"  # {"conversations": [{"from": "human", "value": "..."}]}
    TEXT = "text"  # plain text, one document per line (or JSONL {"text": ...})
    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"
    JSON_ARRAY = "json_array"  # one JSON array of records in any of the record shapes above
    HF_DATASET_DIR = "hf_dataset_dir"  # a folder written by datasets' save_to_disk, or of data files
    HUB_DATASET = "hub_dataset"  # "owner/name" on the Hugging Face Hub

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_jsonl(self) -> bool:
        return self in JSONL_FORMATS

    @property
    def place(self) -> str:
        """What a finding's number counts: physical lines of a text file, else records ("row")."""
        return "row" if self in (DataFormat.PARQUET, DataFormat.JSON_ARRAY, DataFormat.HF_DATASET_DIR,
                                 DataFormat.HUB_DATASET) else "line"


_LABELS = {
    DataFormat.OPENAI_CHAT: "OpenAI chat (JSONL)",
    DataFormat.OPENAI_PREFERENCE: "OpenAI preference / DPO (JSONL)",
    DataFormat.PROMPT_COMPLETION: "Prompt-completion (JSONL)",
    DataFormat.ALPACA: "Alpaca (JSONL)",
    DataFormat.SHAREGPT: "ShareGPT (JSONL)",
    DataFormat.TEXT: "Plain text",
    DataFormat.CSV: "CSV (columns mapped)",
    DataFormat.TSV: "TSV (columns mapped)",
    DataFormat.PARQUET: "Parquet",
    DataFormat.JSON_ARRAY: "JSON array",
    DataFormat.HF_DATASET_DIR: "Hugging Face dataset folder",
    DataFormat.HUB_DATASET: "Hugging Face Hub dataset",
}

#: Formats whose records are one JSON object per line (the fast, parallel path).
JSONL_FORMATS = frozenset({DataFormat.OPENAI_CHAT, DataFormat.OPENAI_PREFERENCE, DataFormat.PROMPT_COMPLETION,
                           DataFormat.ALPACA, DataFormat.SHAREGPT})

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")
_SNIFF_BYTES = 1 << 16


def record_format(record: object) -> DataFormat | None:
    """The record shape of one parsed JSON record, or None if it matches none."""
    if not isinstance(record, dict):
        return None
    keys = set(record)
    if "messages" in keys:
        return DataFormat.OPENAI_CHAT
    if "preferred_output" in keys or "non_preferred_output" in keys or {"chosen", "rejected"} <= keys:
        return DataFormat.OPENAI_PREFERENCE
    if "conversations" in keys:
        return DataFormat.SHAREGPT
    if "instruction" in keys and "output" in keys:
        return DataFormat.ALPACA
    if "prompt" in keys and "completion" in keys:
        return DataFormat.PROMPT_COMPLETION
    if "text" in keys:
        return DataFormat.TEXT
    return None


def looks_like_hub_id(path: str) -> bool:
    return bool(_HUB_ID.match(path)) and not Path(path).exists()


def _complete_line(head: bytes) -> bool:
    """True when the first line of ``head`` is a whole JSON value by itself."""
    first, newline, _ = head.partition(b"\n")
    try:
        json.loads(first)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return bool(newline)


def detect_format(path: str | Path) -> DataFormat:
    """Guess a file's format from its extension and its first records; raises InvalidInput if it cannot."""
    text = str(path)
    if looks_like_hub_id(text):
        return DataFormat.HUB_DATASET
    p = Path(path)
    if not p.exists():
        raise InvalidInput(f"{p} does not exist.", hint="Choose an existing file or folder.")
    if p.is_dir():
        return DataFormat.HF_DATASET_DIR
    suffix = p.suffix.lower()
    by_suffix = {".csv": DataFormat.CSV, ".tsv": DataFormat.TSV, ".parquet": DataFormat.PARQUET,
                 ".txt": DataFormat.TEXT, ".md": DataFormat.TEXT}
    if suffix in by_suffix:
        return by_suffix[suffix]
    with open(p, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return DataFormat.PARQUET
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"[") and not (suffix in (".jsonl", ".ndjson") and _complete_line(stripped)):
        return DataFormat.JSON_ARRAY  # (a JSON lines file may start with a line that is an array)
    for raw in stripped.split(b"\n")[:50]:
        try:
            shape = record_format(json.loads(raw))
        except (ValueError, UnicodeDecodeError, RecursionError):  # the reader says what is wrong, on its line
            continue
        if shape is not None:
            return shape
    if suffix in (".jsonl", ".json", ".ndjson"):
        return DataFormat.OPENAI_CHAT  # validation will say what is missing
    return DataFormat.TEXT
