"""Upload an exported model folder to a Hugging Face Hub repository, with byte progress and cancel.

The token is the saved Hugging Face account's, read from the keyring here and handed to
``huggingface_hub`` in memory only: it never reaches a command line, a file or a log. The account's
Hub URL (``Account.endpoint``, for a private Hub) is where the repository is made.

Files go up in two calls so that a cancel can land before anything is committed: the large files
first (``preupload_lfs_files``, read through ``_ReportingFile``, which counts bytes and checks the
cancel token on every read), then one commit with everything. File objects make ``huggingface_hub``
use the plain LFS protocol rather than Xet, which reads paths in its own code where nothing could
report progress or stop it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from backend.cancel import CancelToken
from backend.errors import Cancelled
from backend.models import Account

COMMITTING = "Committing the files"  # the last step: from here on a push cannot be stopped


class _ReportingFile(io.BufferedReader):
    """A local file the upload reads: once ``on_read`` is set, each read reports its size and may raise
    Cancelled (the upload stops at its next chunk)."""

    def __init__(self, path: Path):
        super().__init__(io.FileIO(path, "rb"))
        self.on_read: Callable[[_ReportingFile, int], None] | None = None

    def read(self, size: int | None = -1) -> bytes:  # noqa: D102 - io's
        data = super().read(size)
        if self.on_read is not None:
            self.on_read(self, len(data))
        return data


def push_folder(local: Path, repo_id: str, *, account: Account, token: str, private: bool,
                report: Callable[[int, str], None], cancel: CancelToken | None = None, path_in_repo: str = "",
                message: str = "Upload a model fine-tuned with Fine-Tune Studio", repo_type: str = "model") -> str:
    """Create ``repo_id`` (private unless told otherwise) and commit every file of ``local`` to it, under
    ``path_in_repo`` (a cloud run pushes each checkpoint to its own folder); ``report(bytes_sent, message)`` follows
    the upload. Returns the repository's address."""
    from huggingface_hub import CommitOperationAdd, HfApi

    cancel = cancel or CancelToken()
    api = HfApi(endpoint=account.endpoint or None, token=token)
    paths = sorted(p for p in local.rglob("*") if p.is_file())
    sizes = {p: p.stat().st_size for p in paths}
    total = sum(sizes.values())
    files = [_ReportingFile(p) for p in paths]
    sent = dict.fromkeys(paths, 0)

    shown = [-total]

    def on_read(file: _ReportingFile, n: int) -> None:
        path = Path(file.name)
        sent[path] = min(sent[path] + n, sizes[path])  # a file read twice still counts once
        done = sum(sent.values())
        if done - shown[0] >= total / 200 or done == total:  # every half percent, not every 64 KiB read
            shown[0] = done
            report(done, f"Uploading to {repo_id}: {done / 2**20:.1f} of {total / 2**20:.1f} MB")
        cancel.raise_if_cancelled()

    try:
        cancel.raise_if_cancelled()
        report(0, f"Creating the repository {repo_id}")
        created = api.create_repo(repo_id, private=private, exist_ok=True, repo_type=repo_type)
        repo_id = created.repo_id  # OWNER/NAME: a bare NAME went under the token's user
        # Hashing reads each file once, before the upload: not counted as sent.
        prefix = path_in_repo.strip("/") + "/" if path_in_repo.strip("/") else ""
        operations = [CommitOperationAdd(path_in_repo=prefix + p.relative_to(local).as_posix(), path_or_fileobj=f)
                      for p, f in zip(paths, files)]
        for file in files:
            file.on_read = on_read
        api.preupload_lfs_files(repo_id, additions=operations, repo_type=repo_type)
        cancel.raise_if_cancelled()
        report(total, f"{COMMITTING} to {repo_id}")
        for file in files:
            file.on_read = None  # the commit reads the small files again
        api.create_commit(repo_id, operations=operations, repo_type=repo_type, commit_message=message)
    except Exception as exc:  # noqa: BLE001 - translated into a sentence
        if cancel.cancelled:
            raise Cancelled() from None
        raise push_error(repo_id, account, exc) from exc
    finally:
        for file in files:
            file.close()
    return str(created)


def push_error(repo_id: str, account: Account, exc: Exception) -> Exception:
    """The Hub's answer to a push as a StudioError that says what to do (``hub.hub_error``)."""
    from backend.hub import hub_error

    return hub_error(exc, subject="push", name=repo_id, token_source=f"the token of the account “{account.name}”",
                     endpoint=account.endpoint)
