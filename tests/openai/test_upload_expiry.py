"""An interrupted multipart upload whose Upload expired meanwhile: started afresh, completed, one file left.

The Uploads API lets an upload expire an hour after its creation (status ``expired``; adding a part or
completing it is refused with a 400). The fake expires uploads when told to (``expire_uploads``), so the
hour passes between two launches without waiting for it.
"""

from __future__ import annotations

import json


from backend.launch import launch
from backend.models import JobStatus
from backend.providers import openai_upload
from tests.openai.test_launch import interrupted_launch
from tests.openai.test_provider import config


def _assert_one_complete_file(fake_openai, stale: str) -> str:
    """Returns the upload that became the one file, after checking it holds every part of the data."""
    uploads = fake_openai.state.uploads
    [fresh] = [u for u in uploads if u != stale]
    assert uploads[fresh]["status"] == "completed" and uploads[stale]["status"] != "completed"
    [file_id] = fake_openai.state.files  # exactly one file: the expired upload never became one
    assert fake_openai.jobs()[0]["training_file"] == file_id
    content = fake_openai.state.file_bytes[file_id]
    parts = fake_openai.state.upload_parts[fresh]
    assert b"".join(parts.values()) == content and len(parts) == -(-len(content) // 256) > 2
    assert len([json.loads(line) for line in content.splitlines()]) == 16  # every example, once
    return fresh


def test_an_upload_the_service_expired_is_started_afresh(provider, fake_openai, chat_file, store):
    stale = interrupted_launch(provider, fake_openai, chat_file, store)
    parts_before = fake_openai.count("POST", "/uploads/*/parts")
    fake_openai.expire_uploads()  # an hour passes: the service says so only when asked
    job = launch(config(chat_file), store=store, provider=provider)
    assert job.status is JobStatus.VALIDATING_FILES
    assert fake_openai.state.uploads[stale]["status"] == "expired"
    assert fake_openai.count("POST", "/uploads") == 2
    fresh = _assert_one_complete_file(fake_openai, stale)
    # One part was offered to the expired upload (refused), then all of them to the new one.
    sent = fake_openai.count("POST", "/uploads/*/parts") - parts_before
    assert sent == 1 + len(fake_openai.state.upload_parts[fresh])


def test_an_upload_past_its_expiry_date_is_not_continued(provider, fake_openai, chat_file, store, monkeypatch):
    stale = interrupted_launch(provider, fake_openai, chat_file, store)
    parts_before = fake_openai.count("POST", "/uploads/*/parts")
    expires_at = fake_openai.state.uploads[stale]["expires_at"]
    monkeypatch.setattr(openai_upload.time, "time", lambda: expires_at + 1.0)  # the app's clock: an hour later
    launch(config(chat_file), store=store, provider=provider)
    fresh = _assert_one_complete_file(fake_openai, stale)
    # The saved expiry date was enough: nothing was offered to the old upload.
    assert fake_openai.count("POST", "/uploads/*/parts") - parts_before == len(fake_openai.state.upload_parts[fresh])
    assert fake_openai.state.uploads[stale]["status"] == "pending"


def test_an_upload_that_expires_while_it_runs_is_started_afresh_once(provider, fake_openai, chat_file, store):
    provider.simple_upload_limit, provider.part_size = 100, 256
    expired = []

    def expire_at_second_part(progress):
        if progress.message.endswith("part 2") and not expired:
            expired.append(True)
            fake_openai.expire_uploads()

    job = launch(config(chat_file), store=store, provider=provider, progress=expire_at_second_part)
    assert job.remote_id and fake_openai.count("POST", "/uploads") == 2
    [stale] = [u for u, v in fake_openai.state.uploads.items() if v["status"] == "expired"]
    _assert_one_complete_file(fake_openai, stale)
