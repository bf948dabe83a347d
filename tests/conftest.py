"""Test-wide setup: Qt offscreen, and every app folder in a temporary directory."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"  # read once, when huggingface_hub is first imported
# Hugging Face's cache, login token and registry files in a throwaway folder, for this process and the CLI
# processes tests start, never the user's ~/.cache/huggingface (read once, at import, like HF_HUB_OFFLINE).
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="fts-test-hf-")
atexit.register(shutil.rmtree, os.environ["HF_HOME"], ignore_errors=True)
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

_CREDENTIAL_VARIABLES = [
    "OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_BASE_URL",
    "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION",
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN",
]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Config, data, cache and log folders of the app, in a fresh temporary folder per test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("FTS_HOME", str(home))
    for name in _CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny Llama chat model with a ChatML template, built once per test session."""
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def trained_run(tiny_model_dir, tmp_path_factory):
    """A LoRA run of the tiny model trained until it gives its training answers ("What is the capital of
    France?" -> "Paris."), once per session in its own app folder; returns its succeeded Job. Tests read
    its files and never change them. About 10 s on two CPU cores."""
    from backend.providers.hf_local import LocalProvider
    from tests.local.conftest import finish, launch, quick_config, write_jsonl
    from tests.tiny_model import sample_chats

    home = tmp_path_factory.mktemp("trained-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FTS_HOME", str(home))
        data = write_jsonl(home / "chats.jsonl", sample_chats(40))
        provider = LocalProvider()
        config = quick_config(tiny_model_dir, data, learning_rate=4e-3, max_steps=200, save_steps=1000,
                              batch_size=8, lora_dropout=0.0)
        job = finish(provider, launch(provider, config))
    assert job.status.value == "succeeded", job.error
    return job


from tests.fakes.plugin import fake_openai, openai_client, stand_in  # noqa: E402,F401  (shared fixtures)
