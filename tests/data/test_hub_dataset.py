"""A Hub dataset id, online: ``main.py data validate owner/name`` streams it with the real ``datasets`` and
``huggingface_hub`` over HTTP from a fake Hub on 127.0.0.1 (the test session is otherwise offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data.conftest import chats
from tests.local.fake_hub import FakeHub

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub(tmp_path):
    rows = chats(12)
    rows.insert(5, {"messages": [{"role": "user", "content": "A question left without a reply"}]})
    files = {"README.md": b"# Support chats\n",
             "data/train-00000-of-00001.jsonl": "".join(json.dumps(r) + "\n" for r in rows).encode()}
    (tmp_path / "no-model").mkdir()
    with FakeHub(tmp_path / "no-model", datasets={"acme/support-chats": files, "acme/private-chats": files},
                 private=frozenset({"acme/private-chats"})) as fake:
        yield fake


def validate(hub: FakeHub, home: Path, dataset_id: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"} | {
        "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(home / "hf")}
    return subprocess.run([sys.executable, "main.py", "data", "validate", dataset_id, "--provider", "openai"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_a_hub_dataset_streams_and_validates_online(hub, tmp_path):
    out = validate(hub, tmp_path, "acme/support-chats")
    assert out.returncode == 1, out.stderr  # it has an error: the example without a reply
    assert out.stdout.startswith("acme/support-chats: Hugging Face Hub dataset, 13 example(s), 12 valid")
    assert "row 6: [example_missing_assistant_message]" in out.stdout and "Longest: row 1 (" in out.stdout
    assert "Result: USABLE if the invalid examples are dropped" in out.stdout and "Traceback" not in out.stderr
    # Streamed from the data file, over HTTP, not from any cache or local copy.
    assert ("GET", f"/datasets/acme/support-chats/resolve/{'0123456789abcdef' * 2 + '01234567'}"
                   "/data/train-00000-of-00001.jsonl") in hub.requests


@pytest.mark.parametrize("dataset_id, words", [
    ("acme/no-such-set", "doesn't exist on the Hub or cannot be accessed"),
    ("org/gated", "is a gated dataset on the Hub"),
])
def test_a_dataset_the_hub_does_not_give_is_one_sentence(hub, tmp_path, dataset_id, words):
    out = validate(hub, tmp_path, dataset_id)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith(f"error: '{dataset_id}' looks like a Hugging Face Hub dataset id, but it could not "
                                 "be loaded: ") and words in out.stderr
    assert "Check the id and your connection" in out.stderr and "Traceback" not in out.stderr


def test_a_private_dataset_loads_with_the_saved_hugging_face_account(hub, tmp_path):
    from backend import accounts
    from backend.models import Account, AccountKind

    out = validate(hub, tmp_path, "acme/private-chats")  # no account: the Hub hides it
    assert out.returncode == 1 and "cannot be accessed" in out.stderr
    assert "save your Hugging Face token in Accounts" in out.stderr

    saved = accounts.save_account(Account(name="Me", kind=AccountKind.HUGGINGFACE), hub.token)  # the real keyring
    try:
        out = validate(hub, tmp_path, "acme/private-chats")
        assert "acme/private-chats: Hugging Face Hub dataset, 13 example(s), 12 valid" in out.stdout, out.stderr
        assert hub.token not in out.stdout + out.stderr
    finally:
        accounts.remove_account(saved.id)
