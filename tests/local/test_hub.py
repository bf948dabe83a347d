"""Model downloads through the real huggingface_hub client against a fake Hub on 127.0.0.1.

huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE once, at import, so each case runs in a fresh
interpreter pointed at the fake server and a temporary cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fakes.hub import FakeHub

_CLIENT = """
import json, sys
from backend import hub
steps = []
try:
    folder = hub.download_model(sys.argv[1], token=sys.argv[2] or None, progress=steps.append)
    print(json.dumps({"folder": str(folder), "progress": [p.fraction for p in steps],
                      "local": str(hub.local_path(sys.argv[1]))}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def download(fake: FakeHub, tmp_path, repo_id: str, token: str = "") -> dict:
    env = dict(os.environ, HF_ENDPOINT=fake.url, HF_HUB_OFFLINE="0", HF_HOME=str(tmp_path / "hf"),
               HF_HUB_DISABLE_XET="1", PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", _CLIENT, repo_id, token], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fake(tiny_model_dir):
    with FakeHub(tiny_model_dir) as hub:
        yield hub


def test_download_lands_in_the_hf_cache_with_progress(fake, tmp_path):
    result = download(fake, tmp_path, "org/tiny")
    assert result.get("error") is None, result
    assert result["folder"].startswith(str(tmp_path / "hf")) and "models--org--tiny" in result["folder"]
    assert result["local"] == result["folder"]  # found again without the network
    assert result["progress"] and result["progress"][-1] == 1.0


@pytest.mark.parametrize("repo, error, words", [
    ("org/gated", "CredentialsError", "gated model"),
    ("org/missing", "NotFound", "no model “org/missing”"),
])
def test_hub_refusals_are_explained(fake, tmp_path, repo, error, words):
    result = download(fake, tmp_path, repo, token="hf_" + "x" * 30)
    assert result["error"] == error and words in result["message"]
    assert "hf_xxxx" not in result["message"]


def test_offline_without_the_model_says_what_to_do(tiny_model_dir):
    from backend import hub
    from backend.errors import NetworkError

    with pytest.raises(NetworkError, match="cannot be reached") as caught:
        hub.download_model("org/not-downloaded")  # tests run with HF_HUB_OFFLINE=1
    assert "local model folder" in str(caught.value)
    assert hub.local_path("org/not-downloaded") is None


_WHOAMI = """
import sys
from backend.providers.hf_local import LocalProvider
try:
    print(LocalProvider(secret=sys.argv[1]).check_account())
except Exception as exc:
    print(type(exc).__name__ + ": " + str(exc))
"""


def test_check_account_with_a_token_asks_the_hub(fake, tmp_path):
    from tests.fakes.hub import GOOD_TOKEN

    env = dict(os.environ, HF_ENDPOINT=fake.url, HF_HUB_OFFLINE="0", HF_HOME=str(tmp_path / "hf"),
               PYTHONPATH=os.getcwd())
    replies = [subprocess.run([sys.executable, "-c", _WHOAMI, token], capture_output=True, text=True, env=env,
                              timeout=60).stdout.strip() for token in (GOOD_TOKEN, "hf_" + "b" * 34)]
    assert replies[0] == "Connected to the Hugging Face Hub as alice."
    assert replies[1].startswith("CredentialsError: The Hugging Face Hub refused the token.")
