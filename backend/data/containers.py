"""Readers of container formats: JSON arrays (decoded incrementally), Parquet (in record batches), Hugging
Face dataset folders and Hub datasets. Each yields ``(record number, record | ReadError)``."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend import paths
from backend.data import lines
from backend.data.lines import ReadError, decoded_text
from backend.errors import InvalidInput, StudioError

log = logging.getLogger(__name__)


def json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """Elements of a top-level JSON array, decoded incrementally (one element in memory at a time)."""
    decoder, chunks = json.JSONDecoder(), decoded_text(path)
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
                yield from _after_array(buf, pos + 1, chunks, newlines)
                return
            final = eof
            try:
                value, end = decoder.raw_decode(buf, pos)
                problem = None if (end < len(buf) or eof) else "incomplete"
            except json.JSONDecodeError as exc:
                problem = exc.msg
                # Text cut off by the block's end fails at its end (or in a string left open): decoded again
                # with more text. An error well before the end is the element's own.
                final = eof or (exc.pos < len(buf) - 16 and not exc.msg.startswith("Unterminated string"))
            except RecursionError:
                problem, final = "nested too deeply", True
            if problem is not None:
                line = newlines + buf.count("\n", 0, pos) + 1
                if final:
                    yield index + 1, ReadError("invalid_json", f"Element {index + 1} (line {line}): {problem}.")
                    return
                if len(buf) - pos > lines.MAX_LINE_BYTES:
                    yield index + 1, ReadError("line_too_long", f"Element {index + 1} (line {line}) is longer than "
                                               f"{lines.MAX_LINE_BYTES:,} characters, or its JSON is invalid; "
                                               "the rest of the file is not read.")
                    return
                # Decode again only once the element's text has doubled: the work stays linear in its length.
                newlines += buf.count("\n", 0, pos)
                pieces, have = [buf[pos:]], len(buf) - pos
                while have < 2 * (len(buf) - pos) and not eof:
                    more = next(chunks, None)
                    eof = more is None
                    pieces.append(more or "")
                    have += len(more or "")
                buf, pos = "".join(pieces), 0
                continue
            index += 1
            yield index, value
            pos = end
    except UnicodeDecodeError:
        yield 0, ReadError("encoding", "The file is not valid UTF-8.")


def _after_array(buf: str, pos: int, chunks: Iterator[str], newlines: int) -> Iterator[tuple[int, Any]]:
    """Nothing but white space may follow the array's ']': anything else is not read, and said so."""
    while True:
        rest = buf[pos:].lstrip(" \t\r\n")
        if rest:
            line = newlines + buf.count("\n", 0, len(buf) - len(rest)) + 1
            yield 0, ReadError("invalid_json", f"Text follows the array's closing ']' (line {line}) and is not "
                               "read: a JSON array file holds one array.")
            return
        newlines += buf.count("\n")
        buf, pos = next(chunks, None), 0
        if buf is None:
            return


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
                yield index, _without_nulls(row)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        yield 0, ReadError("unreadable", f"The Parquet file cannot be read: {str(exc)[:200]}.")


def is_saved_dataset(path: Path) -> bool:
    """A folder written by ``datasets``' save_to_disk (a dataset or a dataset dict)."""
    return (path / "dataset_dict.json").is_file() or (path / "state.json").is_file()


def saved_dataset(path: Path) -> Iterator[tuple[int, Any]]:
    """The rows of a saved dataset folder: its train split, else its first."""
    load_from_disk = _optional("datasets", "Hugging Face dataset folders").load_from_disk

    index = 0
    try:
        dataset = load_from_disk(str(path))
        if hasattr(dataset, "keys"):  # a DatasetDict: train split, else the first
            dataset = dataset["train"] if "train" in dataset else dataset[next(iter(dataset.keys()))]
        for index, row in enumerate(dataset, 1):
            yield index, _without_nulls(row)
    except Exception as exc:  # noqa: BLE001 - datasets and pyarrow raise many types for a damaged folder
        after = f" after record {index}" if index else ""
        yield 0, ReadError("unreadable", f"The dataset folder cannot be read{after}: {str(exc)[:200]}.")


def dataset_folder_files(path: Path) -> list[Path]:
    """The data files of a folder that is not a saved dataset: those named for training, else all of them (the
    dispatcher reads each in turn). Raises InvalidInput when there is none."""
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".jsonl", ".json", ".parquet", ".csv", ".tsv"))
    train = [p for p in files if "train" in p.name.lower()] or files
    if not train:
        raise InvalidInput(f"{path} holds no dataset.",
                           hint="Choose a folder written by datasets' save_to_disk, or one with .jsonl/.parquet files.")
    return train


def hub(dataset_id: str, token: str | None) -> Iterator[tuple[int, Any]]:
    """The rows of a Hub dataset's train split (else its first split), streamed: nothing is downloaded whole.
    ``token``: for private and gated datasets (the caller's, from ``backend.accounts.hub_dataset_token``); None lets
    huggingface_hub use its own (HF_TOKEN, or its login)."""
    from huggingface_hub import constants

    offline = f"{dataset_id!r} looks like a Hugging Face Hub dataset id, but"
    if constants.HF_HUB_OFFLINE:
        raise InvalidInput(f"{offline} the app is offline (HF_HUB_OFFLINE is set).",
                           hint="Connect to the internet, or download the dataset and choose the local file.")
    load_dataset = _optional("datasets", "Hub datasets").load_dataset
    index = 0
    try:
        splits = load_dataset(dataset_id, streaming=True, token=token)
        split = "train" if "train" in splits else next(iter(splits), None)
        if split is None:
            raise ValueError("The dataset has no splits.")
        if split != "train":
            log.info("Hub dataset %s has no train split; reading %r", dataset_id, split)
        for index, row in enumerate(splits[split], 1):
            yield index, _without_nulls(row)
    except Exception as exc:  # noqa: BLE001 - datasets wraps network and lookup errors in many types
        after = f" after row {index}" if index else ""
        raise _unloadable(exc, dataset_id, token, f"{offline} it could not be loaded{after}") from exc


def _without_nulls(row: dict) -> dict:
    """A row read through Arrow, with the nulls Arrow adds inside nested records dropped: a struct has every
    field any row has, so a message without "weight" or "tool_calls" comes back with ``None`` there (and
    would fail the checks a JSONL file of the same rows passes). Top-level columns stay: they are the table's."""
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {k: clean(v) if isinstance(v, (dict, list)) else v for k, v in row.items()}


def _unloadable(exc: BaseException, dataset_id: str, token: str | None, opening: str) -> InvalidInput:
    """Why a Hub dataset could not be read, after ``opening``: the Hub's answer in ``hub.hub_error``'s words
    (datasets' own where it has them), else what was raised, shortened; never a status-code dump."""
    from huggingface_hub import constants

    from backend.hub import hub_error

    whose = ("the saved Hugging Face account's token" if token else
             "the token in HF_TOKEN" if os.environ.get(paths.HF_TOKEN) else "your Hugging Face login's token")
    said = hub_error(exc, subject="dataset", name=dataset_id, token_source=whose, endpoint=constants.ENDPOINT)
    hint = ("Check the id and your connection, or choose a local file. For a private or gated dataset, save "
            "your Hugging Face token in Accounts.")
    if isinstance(said, StudioError):
        text, hint = said.message, said.hint or hint
    else:  # not the Hub's (a damaged data file, a bug): what was raised, in a sentence
        text = " ".join(str(exc).split()) or type(exc).__name__
        text = text if len(text) <= 300 else text[:300].rsplit(" ", 1)[0] + " …"
        text = text if text.endswith((".", "…")) else text + "."
    return InvalidInput(f"{opening}: {'the' + text[3:] if text.startswith('The ') else text}", hint=hint)
