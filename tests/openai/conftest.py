"""Fixtures for the OpenAI tests: a provider on the fake service, data files, a job store."""

from __future__ import annotations

import json

import pytest

from backend.models import Account, AccountKind


def chats(n: int = 16) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"What is {i} plus {i}?"},
                          {"role": "assistant", "content": f"{2 * i}."}]} for i in range(n)]


def preferences(n: int = 12) -> list[dict]:
    return [{"input": {"messages": [{"role": "user", "content": f"Greet person {i}."}]},
             "preferred_output": [{"role": "assistant", "content": f"Hello, person {i}!"}],
             "non_preferred_output": [{"role": "assistant", "content": "Go away."}]} for i in range(n)]


def write_jsonl(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


@pytest.fixture
def chat_file(tmp_path):
    return write_jsonl(tmp_path / "chats.jsonl", chats())


@pytest.fixture
def dpo_file(tmp_path):
    return write_jsonl(tmp_path / "prefs.jsonl", preferences())


@pytest.fixture
def account(fake_openai):
    return Account(name="Fake OpenAI", kind=AccountKind.OPENAI, base_url=fake_openai.base_url)


@pytest.fixture
def provider(fake_openai, account, monkeypatch):
    from backend.providers.openai import OpenAIProvider

    monkeypatch.setattr(OpenAIProvider, "poll_seconds", 0.01)
    monkeypatch.setattr(OpenAIProvider, "retry_pause", 0.01)
    # A lost create answer is looked for until create_timeout + in_flight_margin after it was sent; the fake
    # answers in milliseconds. Tests that need the window to close (or to stay open) set these themselves.
    monkeypatch.setattr(OpenAIProvider, "create_timeout", 5.0)
    monkeypatch.setattr(OpenAIProvider, "in_flight_margin", 0.3)
    return OpenAIProvider(account=account, secret=fake_openai.api_key)


@pytest.fixture
def store(tmp_path):
    from backend.store import JobStore

    job_store = JobStore(tmp_path / "jobs.sqlite3")
    yield job_store
    job_store.close()
