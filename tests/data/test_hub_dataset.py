"""A Hub dataset id, online: ``main.py data validate owner/name`` streams it with the real ``datasets`` and
``huggingface_hub`` over HTTP from a fake Hub on 127.0.0.1 (the test session is otherwise offline).

Each run gets its own HF_HOME and an empty HOME, so nothing is read from or cached to a real home, and no
cache of one test (datasets falls back to cached modules when the Hub fails) can answer for another."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data.conftest import chats
from tests.fakes.hub import COMMIT, FakeHub

ROOT = Path(__file__).resolve().parents[2]
DATA = "data/train-00000-of-00001.jsonl"


def support_chats() -> bytes:
    """12 chats and, as row 6, one without a reply."""
    rows = chats(12)
    rows.insert(5, {"messages": [{"role": "user", "content": "A question left without a reply"}]})
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def eval_chats() -> bytes:
    """11 chats as Parquet; only row 1's reply has a "weight" and only row 2's question a "name", so in
    Arrow's struct every other message has both, as None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = chats(11, "Eval")
    rows[0]["messages"][-1]["weight"] = 1
    rows[1]["messages"][0]["name"] = "alice"
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


@pytest.fixture
def hub(tmp_path):
    files = {"README.md": b"# Support chats\n", DATA: support_chats()}
    datasets = {"acme/support-chats": files, "acme/private-chats": files, "acme/gated-chats": files,
                "acme/eval-only": {"README.md": b"# Eval\n",
                                   "data/validation-00000-of-00001.parquet": eval_chats()}}
    (tmp_path / "no-model").mkdir()
    with FakeHub(tmp_path / "no-model", datasets=datasets, private=frozenset({"acme/private-chats"}),
                 gated=frozenset({"acme/gated-chats"})) as fake:
        yield fake


def validate(hub: FakeHub, tmp_path: Path, dataset_id: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XDG_CACHE_HOME")} | {
        "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"), "HOME": str(home)}
    out = subprocess.run([sys.executable, "main.py", "data", "validate", dataset_id, "--provider", "openai"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_a_hub_dataset_streams_and_validates_online(hub, tmp_path):
    out = validate(hub, tmp_path, "acme/support-chats")
    assert out.returncode == 1, out.stderr  # it has an error: the example without a reply
    assert out.stdout.startswith("acme/support-chats: Hugging Face Hub dataset, 13 examples, 12 valid"), out.stdout
    assert "Errors (1):\n  row 6: [example_missing_assistant_message]" in out.stdout
    assert "Longest: row 1 (" in out.stdout and "Result: USABLE if the invalid examples are dropped" in out.stdout
    # Streamed from the data file at the commit the Hub named, over HTTP, not from any cache or local copy.
    assert ("GET", f"/datasets/acme/support-chats/resolve/{COMMIT}/{DATA}") in hub.requests
    assert ("GET", f"/api/datasets/acme/support-chats/revision/{COMMIT}") in hub.requests


def test_a_parquet_dataset_without_a_train_split_is_read_from_its_first(hub, tmp_path):
    out = validate(hub, tmp_path, "acme/eval-only")
    # All valid: the messages without "weight" or "name" are not read back with them None.
    assert out.stdout.startswith("acme/eval-only: Hugging Face Hub dataset, 11 examples, 11 valid"), out.stderr
    assert out.returncode == 0 and "Result: READY" in out.stdout
    assert ("GET", f"/datasets/acme/eval-only/resolve/{COMMIT}/data/validation-00000-of-00001.parquet") in hub.requests


def test_nothing_is_cached_outside_hf_home(hub, tmp_path):
    out = validate(hub, tmp_path, "acme/support-chats")
    assert "12 valid" in out.stdout, out.stderr
    assert list((tmp_path / "home").iterdir()) == []  # HOME: nothing, not even ~/.cache
    assert (tmp_path / "hf" / "hub" / "datasets--acme--support-chats" / "snapshots" / COMMIT / "README.md").is_file()
    streamed = [p for p in (tmp_path / "hf").rglob("*") if p.is_file() and p.stat().st_size == len(support_chats())]
    assert streamed == []  # the data were streamed, not downloaded into the cache
    # This test session's own Hugging Face folder is a throwaway one (tests/conftest.py), not ~/.cache/huggingface.
    assert os.environ["HF_HOME"] != str(Path.home() / ".cache" / "huggingface")
    assert not Path(os.environ["HF_HOME"]).resolve().is_relative_to(Path.home().resolve() / ".cache")


@pytest.mark.parametrize("dataset_id, words", [
    ("acme/no-such-set", "Dataset 'acme/no-such-set' doesn't exist on the Hub or cannot be accessed."),
    ("acme/private-chats", "Dataset 'acme/private-chats' doesn't exist on the Hub or cannot be accessed."),
    ("acme/gated-chats", "Dataset 'acme/gated-chats' is a gated dataset on the Hub. You must be authenticated"),
])
def test_a_dataset_the_hub_does_not_give_is_one_sentence(hub, tmp_path, dataset_id, words):
    out = validate(hub, tmp_path, dataset_id)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith(f"error: '{dataset_id}' looks like a Hugging Face Hub dataset id, but it could not "
                                 f"be loaded: {words}"), out.stderr
    assert "Check the id and your connection" in out.stderr and "save your Hugging Face token in Accounts" in out.stderr
    assert "http" not in out.stderr  # no URL dumps


@pytest.fixture
def saved_token():
    """save(token): a Hugging Face account in the real keyring, removed afterwards."""
    from backend import accounts
    from backend.models import Account, AccountKind

    saved = []
    yield lambda token: saved.append(accounts.save_account(Account(name="Me", kind=AccountKind.HUGGINGFACE), token))
    for account in saved:
        accounts.remove_account(account.id)


@pytest.mark.parametrize("dataset_id", ["acme/private-chats", "acme/gated-chats"])
def test_private_and_gated_datasets_load_with_the_saved_hugging_face_account(hub, tmp_path, saved_token, dataset_id):
    saved_token(hub.token)
    out = validate(hub, tmp_path, dataset_id)
    assert f"{dataset_id}: Hugging Face Hub dataset, 13 examples, 12 valid" in out.stdout, out.stderr
    assert hub.token not in out.stdout + out.stderr


def test_a_token_the_hub_refuses_is_named(hub, tmp_path, saved_token):
    wrong = "hf_" + "w" * 34
    saved_token(wrong)
    out = validate(hub, tmp_path, "acme/support-chats")  # public, but the Hub refuses a wrong token anyway
    assert out.returncode == 1 and out.stdout == ""
    assert "could not be loaded: the Hub refused the saved Hugging Face account's token (wrong or revoked)." \
        in out.stderr, out.stderr
    assert wrong not in out.stderr and "http" not in out.stderr


def test_the_fake_hub_answers_as_the_hub_does(hub, tmp_path, monkeypatch):
    """The rules the tests above rely on, through huggingface_hub's own client: a fake that accepted what the
    Hub refuses would let a bug through."""
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError
    from huggingface_hub.utils.sha import git_hash

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # tests/conftest.py set it for the rest
    api, repo = HfApi(endpoint=hub.url), "acme/support-chats"
    tree = {e.path: e for e in api.list_repo_tree(repo, repo_type="dataset", recursive=True)}
    assert sorted(tree) == ["README.md", "data", DATA] and tree[DATA].blob_id == git_hash(support_chats())
    assert [e.path for e in api.get_paths_info(repo, ["data", DATA, "nope"], repo_type="dataset")] == ["data", DATA]
    assert api.dataset_info(repo, revision=COMMIT).sha == COMMIT
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info(repo, revision="v9")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("acme/private-chats")
    with pytest.raises(HfHubHTTPError) as refused:  # a wrong token, on a public repo
        api.dataset_info(repo, token="hf_" + "w" * 34)
    assert refused.value.response.status_code == 401 and not isinstance(refused.value, RepositoryNotFoundError)
    gated = dict(repo_id="acme/gated-chats", repo_type="dataset", cache_dir=tmp_path)
    assert Path(api.hf_hub_download(filename="README.md", **gated)).read_bytes() == b"# Support chats\n"  # cards are open
    with pytest.raises(GatedRepoError):
        api.hf_hub_download(filename=DATA, **gated)
    assert Path(api.hf_hub_download(filename=DATA, token=hub.token, **gated)).read_bytes() == support_chats()
    url, size = f"{hub.url}/datasets/{repo}/resolve/main/{DATA}", len(support_chats())
    with urlopen(Request(url, headers={"Range": "bytes=-10"})) as tail:  # the last 10 bytes
        assert (tail.status, tail.read(), tail.headers["Content-Range"]) == (
            206, support_chats()[-10:], f"bytes {size - 10}-{size - 1}/{size}")
    with pytest.raises(HTTPError) as past_the_end:
        urlopen(Request(url, headers={"Range": f"bytes={size}-"}))
    assert past_the_end.value.code == 416
