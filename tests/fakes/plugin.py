"""Pytest fixtures for the fake servers; tests/conftest.py imports them so every test folder can use them."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_openai():
    """A running FakeOpenAI; the test fails if any exchange broke the official API description."""
    from tests.fakes.openai_server import FakeOpenAI

    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
    server.assert_no_violations()


@pytest.fixture
def openai_client(fake_openai):
    """The real OpenAI SDK pointed at the fake, with quick retries."""
    import openai

    client = openai.OpenAI(api_key=fake_openai.api_key, base_url=fake_openai.base_url, max_retries=2, timeout=10)
    yield client
    client.close()


@pytest.fixture
def stand_in(monkeypatch):
    """The stand-in provider registered with its one registry line; its remote jobs start empty."""
    from backend import providers
    from tests.fakes import standin_provider

    standin_provider.REMOTE.clear()
    monkeypatch.setitem(providers.PROVIDERS, standin_provider.STAND_IN, standin_provider.TARGET)
    yield standin_provider.StandInProvider
    standin_provider.REMOTE.clear()
