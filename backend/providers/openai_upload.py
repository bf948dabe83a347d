"""Upload a training file to OpenAI with progress and cancel, resumable when it is large.

Files up to ``simple_limit`` go in one request. Larger ones go through the Uploads API in parts;
the upload id and the parts already sent are remembered in a small state file keyed by the
file's content, so a second attempt after an interruption sends only the missing parts. An upload
expires an hour after its creation: one past its ``expires_at``, or that the service says has expired, is
started afresh (all parts again). A file with the same content that was already uploaded and processed is
reused, not sent again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from pathlib import Path
from typing import Any

from backend import paths
from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.errors import InvalidInput

SIMPLE_UPLOAD_LIMIT = 512 * 1024 * 1024  # the Files API's per-request limit
PART_SIZE = 64 * 1024 * 1024  # the Uploads API's largest part
EXPIRY_MARGIN = 60  # seconds: an upload this close to its ``expires_at`` is not continued


def content_key(path: Path, purpose: str, where: str) -> str:
    digest = hashlib.sha256(f"{purpose}\0{where}\0".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class UploadState:
    """What was sent for one file content: the upload id, its part ids, and the file id once done."""

    def __init__(self, key: str):
        self.path = paths.cache_dir() / "uploads" / f"{key}.json"
        self.data: dict[str, Any] = {}
        if self.path.exists():
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError:
                self.data = {}

    def save(self, **values: Any) -> None:
        self.data.update(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data), encoding="utf-8")
        os.replace(tmp, self.path)

    def forget(self) -> None:
        self.data = {}
        self.path.unlink(missing_ok=True)


def upload_file(client, path: str | Path, *, purpose: str = "fine-tune", progress: ProgressFn | None = None,
                cancel: CancelToken | None = None, simple_limit: int = SIMPLE_UPLOAD_LIMIT,
                part_size: int = PART_SIZE) -> str:
    """Send ``path``; return its file id (not yet processed: see ``wait_until_processed``)."""
    import openai

    path = Path(path)
    size = path.stat().st_size
    state = UploadState(content_key(path, purpose, str(client.base_url)))
    if state.data.get("file_id"):
        try:
            if client.files.retrieve(state.data["file_id"]).status != "error":
                _report(progress, EtaClock(size), size, f"{path.name} already uploaded")
                return state.data["file_id"]
        except openai.NotFoundError:
            pass
        state.forget()
    if size <= simple_limit:
        clock = EtaClock(size)
        message = f"Uploading {path.name}"
        _report(progress, clock, 0, message)
        with _ReportingFile(path, lambda done: _report(progress, clock, done, message)) as fh:
            file = client.files.create(file=(path.name, fh), purpose=purpose)
        _report(progress, clock, size, f"Uploaded {path.name}")
        state.save(file_id=file.id)
        return file.id
    return _upload_in_parts(client, path, size, purpose, state, progress, cancel, part_size)


def _upload_in_parts(client, path: Path, size: int, purpose: str, state: UploadState,
                     progress: ProgressFn | None, cancel: CancelToken | None, part_size: int) -> str:
    """Continue the remembered upload, or start one; an upload the service has let expire (an hour after its
    creation) or cancelled is started afresh once, within this call, so an interrupted launch retried later
    still completes: every part is sent again, and the expired upload never becomes a file."""
    import openai

    try:
        return _send_parts(client, path, size, purpose, state, progress, cancel, part_size)
    except openai.APIStatusError as exc:
        if exc.status_code not in (400, 404):
            raise  # a passing fault (the SDK has retried it): the next try continues this upload
        state.forget()  # expired, cancelled or refused: a later try must not continue it
        if not _upload_gone(exc):
            raise
    return _send_parts(client, path, size, purpose, state, progress, cancel, part_size)


def _send_parts(client, path: Path, size: int, purpose: str, state: UploadState,
                progress: ProgressFn | None, cancel: CancelToken | None, part_size: int) -> str:
    upload_id = state.data.get("upload_id")
    if state.data.get("part_size") != part_size:
        upload_id = None  # parts of another size cannot be continued
    expires_at = state.data.get("expires_at")
    if upload_id is not None and expires_at is not None and time.time() >= expires_at - EXPIRY_MARGIN:
        upload_id = None  # expired (or about to) by the service's own date: asking would only be refused
    if upload_id is None:
        upload = client.uploads.create(bytes=size, filename=path.name, mime_type="application/jsonl", purpose=purpose)
        state.save(upload_id=upload.id, part_size=part_size, part_ids=[], expires_at=upload.expires_at)
        upload_id = upload.id
    part_ids: list[str] = list(state.data.get("part_ids", []))
    clock = EtaClock(size)
    with open(path, "rb") as fh:
        fh.seek(len(part_ids) * part_size)
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            done = min(size, len(part_ids) * part_size)
            _report(progress, clock, done, f"Uploading {path.name}: part {len(part_ids) + 1}")
            chunk = fh.read(part_size)
            if not chunk:
                break
            part = client.uploads.parts.create(upload_id=upload_id, data=chunk)
            part_ids.append(part.id)
            state.save(part_ids=part_ids)
    completed = client.uploads.complete(upload_id=upload_id, part_ids=part_ids)
    if completed.file is None:
        state.forget()
        raise InvalidInput(f"OpenAI did not turn the upload of {path.name} into a file.", hint="Try again.")
    state.save(file_id=completed.file.id, upload_id=None, part_ids=[])
    _report(progress, clock, size, f"Uploaded {path.name}")
    return completed.file.id


def _upload_gone(exc) -> bool:
    """Whether the service refused because the upload no longer takes parts (expired or cancelled) or is gone."""
    from backend.providers.openai_sdk import api_message

    text = api_message(exc).lower()
    return exc.status_code == 404 or (exc.status_code == 400 and ("expired" in text or "cancelled" in text))


def wait_until_processed(client, file_id: str, name: str, *, cancel: CancelToken | None = None,
                         poll_seconds: float = 2.0, max_seconds: float = 30 * 60) -> None:
    """Poll until the service has processed the file; its processing error becomes a plain sentence."""
    waited = 0.0
    while True:
        file = client.files.retrieve(file_id)
        if file.status == "processed":
            return
        if file.status == "error":
            details = getattr(file, "status_details", None) or "no details given"
            raise InvalidInput(f"OpenAI could not process {name}: {details}",
                               hint="Fix the file (the data page shows each problem line by line) and launch again.")
        if waited >= max_seconds:
            raise InvalidInput(f"OpenAI is still processing {name} after {int(max_seconds // 60)} minutes.",
                               hint="Try launching again later; the upload is kept.")
        if cancel is not None and cancel.wait(poll_seconds):
            cancel.raise_if_cancelled()
        elif cancel is None:
            time.sleep(poll_seconds)
        waited += poll_seconds


class _ReportingFile(io.FileIO):
    """A file that reports how far the HTTP client has read it: progress for a one-request upload."""

    def __init__(self, path: Path, on_read):
        super().__init__(path, "rb")
        self._on_read = on_read

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        if data:
            self._on_read(self.tell())
        return data


def _report(progress: ProgressFn | None, clock: EtaClock, done: float, message: str) -> None:
    if progress is not None:
        progress(clock.progress(done, message))
