"""Readers of container formats: JSON arrays (decoded incrementally), Parquet (in record batches), Hugging
Face dataset folders and Hub datasets. Each yields ``(record number, record | ReadError)``."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.data.readers import CHUNK, ReadError, _decoded_lines
from backend.errors import InvalidInput

log = logging.getLogger(__name__)


def json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """Elements of a top-level JSON array, decoded incrementally (one element in memory at a time)."""
    decoder, chunks = json.JSONDecoder(), _decoded_lines(path)
    buf, pos, eof, index, started, newlines = "", 0, False, 0, False, 0
    try:
        while True:
            while pos < len(buf) and buf[pos] in (" \t\r\n," if started else " \t\r\n"):
                pos += 1
            if pos >= len(buf):
                if eof:
                    yield 0, ReadError("invalid_json", "The JSON array is not closed with ']'." if started
                                       else "The file does not contain a JSON array.")
                    return
                newlines += buf.count("\n")
                more = next(chunks, None)
                buf, pos, eof = more or "", 0, more is None
                continue
            if not started:
                if buf[pos] != "[":
                    yield 0, ReadError("invalid_json", "The file does not start with '['.")
                    return
                started, pos = True, pos + 1
                continue
            if buf[pos] == "]":
                return
            try:
                value, end = decoder.raw_decode(buf, pos)
                problem = None if (end < len(buf) or eof) else "incomplete"
            except json.JSONDecodeError as exc:
                problem = exc.msg
            except RecursionError:
                problem = "nested too deeply"
            if problem is not None:
                more = None if eof else next(chunks, None)
                if more is None or len(buf) - pos > 64 * CHUNK:
                    line = newlines + buf.count("\n", 0, pos) + 1
                    yield index + 1, ReadError("invalid_json", f"Element {index + 1} (line {line}): {problem}.")
                    return
                newlines += buf.count("\n", 0, pos)
                buf, pos = buf[pos:] + more, 0
                continue
            index += 1
            yield index, value
            pos = end
    except UnicodeDecodeError:
        yield 0, ReadError("encoding", "The file is not valid UTF-8.")


def _optional(module: str, what: str):
    """Import a package of the ``local`` extra, or say which install brings it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise InvalidInput(f"Reading {what} needs the {module.split('.')[0]} package, which is not installed.",
                           hint="Install Fine-Tune Studio with its 'local' extra: pip install 'finetune-studio[local]'."
                           ) from exc


def parquet(path: Path) -> Iterator[tuple[int, Any]]:
    pq = _optional("pyarrow.parquet", "Parquet files")

    try:
        table = pq.ParquetFile(path)
        index = 0
        for batch in table.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                index += 1
                yield index, row
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        yield 0, ReadError("unreadable", f"The Parquet file cannot be read: {str(exc)[:200]}.")


def hf_folder(path: Path) -> Iterator[tuple[int, Any]]:
    if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
        load_from_disk = _optional("datasets", "Hugging Face dataset folders").load_from_disk

        index = 0
        try:
            dataset = load_from_disk(str(path))
            if hasattr(dataset, "keys"):  # a DatasetDict: train split, else the first
                dataset = dataset["train"] if "train" in dataset else dataset[next(iter(dataset.keys()))]
            for index, row in enumerate(dataset, 1):
                yield index, row
        except Exception as exc:  # noqa: BLE001 - datasets and pyarrow raise many types for a damaged folder
            after = f" after record {index}" if index else ""
            yield 0, ReadError("unreadable", f"The dataset folder cannot be read{after}: {str(exc)[:200]}.")
        return
    from backend.data.readers import iter_records

    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".jsonl", ".json", ".parquet", ".csv", ".tsv"))
    train = [p for p in files if "train" in p.name.lower()] or files
    if not train:
        raise InvalidInput(f"{path} holds no dataset.",
                           hint="Choose a folder written by datasets' save_to_disk, or one with .jsonl/.parquet files.")
    index = 0
    for file in train:
        for _, record in iter_records(file):
            index += 1
            yield index, record


def hub(dataset_id: str) -> Iterator[tuple[int, Any]]:
    from huggingface_hub import constants

    offline = f"{dataset_id!r} looks like a Hugging Face Hub dataset id, but"
    if constants.HF_HUB_OFFLINE:
        raise InvalidInput(f"{offline} the app is offline (HF_HUB_OFFLINE is set).",
                           hint="Connect to the internet, or download the dataset and choose the local file.")
    load_dataset = _optional("datasets", "Hub datasets").load_dataset
    try:
        stream = load_dataset(dataset_id, split="train", streaming=True, token=_hub_token())
        for index, row in enumerate(stream, 1):
            yield index, row
    except Exception as exc:  # noqa: BLE001 - datasets wraps network and lookup errors in many types
        raise InvalidInput(f"{offline} it could not be loaded: {str(exc)[:200]}",
                           hint="Check the id and your connection, or choose a local file. For a private or "
                                "gated dataset, save your Hugging Face token in Accounts.") from exc


def _hub_token() -> str | None:
    """The token for private and gated datasets: the saved Hugging Face account's when there is exactly
    one; otherwise None, and huggingface_hub uses its own (HF_TOKEN, or its login)."""
    from backend import accounts, credentials
    from backend.models import AccountKind

    if os.environ.get("HF_TOKEN"):
        return None
    try:
        saved = accounts.list_accounts(AccountKind.HUGGINGFACE)
        return credentials.get_secret(saved[0].id) if len(saved) == 1 else None
    except Exception as exc:  # noqa: BLE001 - no keyring, a damaged settings file: a public dataset still loads
        log.info("No saved Hugging Face token for the Hub dataset: %s", exc)
        return None
