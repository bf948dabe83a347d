"""The trainer's child process inherits an allow-list of variables: never a credential, still all it needs."""

from __future__ import annotations

import os

import pytest

from backend.providers.hf_local import LocalProvider
from backend.training import process
from tests.local.conftest import launch, quick_config

SECRETS = {"HUGGINGFACEHUB_API_TOKEN": "hf_leaked", "OPENAI_ADMIN_KEY": "sk-admin-leaked",
           "AZURE_OPENAI_AD_TOKEN": "eyJ-leaked", "MY_SERVICE_SECRET": "s3cr3t-leaked",
           "HF_TOKEN": "hf_also_leaked", "FTS_DB_PASSWORD": "pw-leaked", "XDG_AUTH_COOKIE": "c-leaked"}


def test_the_environment_is_an_allow_list():
    parent = {**SECRETS, "PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
              "HF_HOME": "/cache/hf", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error",
              "CUDA_VISIBLE_DEVICES": "0", "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
              "OMP_NUM_THREADS": "2", "XDG_CACHE_HOME": "/cache", "FTS_HOME": "/fts", "PYTHONPATH": "/extra",
              "DISPLAY": ":0", "SSH_AUTH_SOCK": "/tmp/agent", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/bus",
              "AWS_REGION": "eu-west-1", "MY_SERVICE_URL": "https://internal"}
    child = process.child_environment(parent)
    assert not set(SECRETS) & set(child)
    assert {"DISPLAY", "SSH_AUTH_SOCK", "DBUS_SESSION_BUS_ADDRESS", "AWS_REGION", "MY_SERVICE_URL"}.isdisjoint(child)
    for name in ("PATH", "HOME", "LANG", "LC_ALL", "HF_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_VERBOSITY",
                 "CUDA_VISIBLE_DEVICES", "PYTORCH_CUDA_ALLOC_CONF", "OMP_NUM_THREADS", "XDG_CACHE_HOME", "FTS_HOME"):
        assert child[name] == parent[name], name
    assert child["PYTHONPATH"].split(os.pathsep)[1:] == ["/extra"]  # this project first, then the parent's
    assert child["PYTHONUNBUFFERED"] == "1"


@pytest.mark.slow
def test_a_running_trainer_holds_no_secret_of_the_app(qtbot, monkeypatch, tiny_model_dir, chats_file):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    provider = LocalProvider()
    job = launch(provider, quick_config(tiny_model_dir, chats_file, max_steps=300, save_steps=1000, max_length=32,
                                        batch_size=2))
    try:
        qtbot.waitUntil(lambda: (provider.get_job(job).step or 0) >= 1, timeout=120_000)  # it trains
        trainer = process.find(job.run_dir)
        assert trainer is not None
        environment = trainer.environ()  # what the running process holds (/proc/PID/environ on Linux)
    finally:
        provider.cancel(job)
    names = sorted(environment)  # only names in a failure's message: the environment is not printed
    leaked = [name for name in names if name in SECRETS or environment[name] in SECRETS.values()]
    assert leaked == []
    needed = ["PATH", "HOME", "FTS_HOME", "HF_HOME", "HF_HUB_OFFLINE"]
    assert [name for name in needed if environment.get(name) != os.environ[name]] == []
