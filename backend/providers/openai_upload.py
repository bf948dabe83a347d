"""Upload a training file to OpenAI with progress and cancel, resumable when it is large, never stored twice.

Files up to ``simple_limit`` go in one request. Larger ones go through the Uploads API in parts;
the upload id and the parts already sent are remembered in a small state file keyed by the
file's content, so a second attempt after an interruption sends only the missing parts. An upload
expires an hour after its creation: one past its ``expires_at``, or that the service says has expired, is
started afresh (all parts again). A file with the same content that was already uploaded and processed is
reused, not sent again.

The two requests that store a file (``POST /files`` and completing an upload) run without the SDK's
retries, which would repeat them after a lost answer: the file is named after its content key, and
after a lost answer it is looked up by that name before anything is sent again. Parts keep the SDK's
retries: a part sent twice is stored twice but only the ids listed at completion are used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend import paths
from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.errors import InvalidInput

SIMPLE_UPLOAD_LIMIT = 512 * 1024 * 1024  # the Files API's per-request limit
PART_SIZE = 64 * 1024 * 1024  # the Uploads API's largest part
EXPIRY_MARGIN = 60  # seconds: an upload this close to its ``expires_at`` is not continued
STORE_ATTEMPTS = 3  # tries of a request that stores a file, when a failure shows it is safe to repeat
FIND_SCAN = 200  # newest files looked at when looking for a file whose upload answer was lost


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


def remote_name(path: Path, key: str) -> str:
    """The name a file is stored under: its own, marked with its content key, so that it can be found again."""
    return f"{path.stem}-{key[:12]}{path.suffix}"


def find_file(client, name: str, size: int, purpose: str) -> str | None:
    """The id of a stored file with this name and size (the newest), if there is one."""
    for count, file in enumerate(client.files.list(purpose=purpose, order="desc", limit=100)):
        if count >= FIND_SCAN:
            break
        if file.filename == name and file.bytes == size and file.status != "error":
            return file.id
    return None


def store_once(client, send: Callable, find: Callable[[], str | None], *, pause: float = 1.0) -> str:
    """``send(client)`` (a request that stores a file; returns its id) without blind repeats: after a lost
    answer, ``find()`` looks for the file first; it is sent again only when it is not there, or when the
    failure shows that nothing was stored (a 429, no connection)."""
    import openai

    from backend.providers.openai_sdk import never_sent, outcome_unknown

    once = client.with_options(max_retries=0)
    attempt = 0
    while True:
        try:
            return send(once)
        except openai.APIError as exc:
            if outcome_unknown(exc):
                try:
                    found = find()
                except openai.APIError:
                    found = None  # cannot tell: sending again may store a second copy, never a second job
                if found:
                    return found
            elif not (isinstance(exc, openai.RateLimitError) or never_sent(exc)):
                raise
            attempt += 1
            if attempt >= STORE_ATTEMPTS:
                raise
        time.sleep(pause * attempt)


def upload_file(client, path: str | Path, *, purpose: str = "fine-tune", progress: ProgressFn | None = None,
                cancel: CancelToken | None = None, simple_limit: int = SIMPLE_UPLOAD_LIMIT,
                part_size: int = PART_SIZE, pause: float = 1.0) -> str:
    """Send ``path``; return its file id (not yet processed: see ``wait_until_processed``)."""
    import openai

    path = Path(path)
    size = path.stat().st_size
    key = content_key(path, purpose, str(client.base_url))
    state = UploadState(key)
    name = remote_name(path, key)
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

        def send(once) -> str:
            with _ReportingFile(path, lambda done: _report(progress, clock, done, message)) as fh:
                return once.files.create(file=(name, fh), purpose=purpose).id

        file_id = store_once(client, send, lambda: find_file(client, name, size, purpose), pause=pause)
        _report(progress, clock, size, f"Uploaded {path.name}")
        state.save(file_id=file_id)
        return file_id
    return _upload_in_parts(client, path, name, size, purpose, state, progress, cancel, part_size, pause)


def _upload_in_parts(client, path: Path, name: str, size: int, purpose: str, state: UploadState,
                     progress: ProgressFn | None, cancel: CancelToken | None, part_size: int, pause: float) -> str:
    """Continue the remembered upload, or start one; an upload the service has let expire (an hour after its
    creation) or cancelled is started afresh once, within this call, so an interrupted launch retried later
    still completes: every part is sent again, and the expired upload never becomes a file."""
    import openai

    try:
        return _send_parts(client, path, name, size, purpose, state, progress, cancel, part_size, pause)
    except openai.APIStatusError as exc:
        if exc.status_code not in (400, 404):
            raise  # a passing fault (the SDK has retried it): the next try continues this upload
        state.forget()  # expired, cancelled or refused: a later try must not continue it
        if not _upload_gone(exc):
            raise
    return _send_parts(client, path, name, size, purpose, state, progress, cancel, part_size, pause)


def _send_parts(client, path: Path, name: str, size: int, purpose: str, state: UploadState,
                progress: ProgressFn | None, cancel: CancelToken | None, part_size: int, pause: float) -> str:
    upload_id = state.data.get("upload_id")
    if state.data.get("part_size") != part_size:
        upload_id = None  # parts of another size cannot be continued
    expires_at = state.data.get("expires_at")
    if upload_id is not None and expires_at is not None and time.time() >= expires_at - EXPIRY_MARGIN:
        upload_id = None  # expired (or about to) by the service's own date: asking would only be refused
    if upload_id is None:
        upload = client.uploads.create(bytes=size, filename=name, mime_type="application/jsonl", purpose=purpose)
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

    def complete(once) -> str | None:
        completed = once.uploads.complete(upload_id=upload_id, part_ids=part_ids)
        return completed.file.id if completed.file is not None else None

    file_id = store_once(client, complete, lambda: find_file(client, name, size, purpose), pause=pause)
    if file_id is None:
        state.forget()
        raise InvalidInput(f"OpenAI did not turn the upload of {path.name} into a file.", hint="Try again.")
    state.save(file_id=file_id, upload_id=None, part_ids=[])
    _report(progress, clock, size, f"Uploaded {path.name}")
    return file_id


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
