"""Fixtures for the playground: a page whose panes reach the fake OpenAI service through the real SDK."""

from __future__ import annotations

import pytest

from backend.models import Account, AccountKind, ProviderKind

MODEL = "gpt-4o-mini-2024-07-18"
OTHER_MODEL = "gpt-4.1-mini-2025-04-14"


def openai_factory(base_url: str, api_key: str):
    """Opens providers as the app does for a saved OpenAI account (here without the keyring)."""
    from backend.providers.openai import OpenAIProvider

    account = Account(name="test", kind=AccountKind.OPENAI, base_url=base_url)
    return lambda ref: OpenAIProvider(account=account, secret=api_key)


@pytest.fixture
def page(qtbot, fake_openai):
    from backend.chat import ModelRef
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    context = AppContext()
    widget = PlaygroundPage(context)
    qtbot.addWidget(widget)
    widget.open_provider = openai_factory(fake_openai.base_url, fake_openai.api_key)
    qtbot.waitUntil(lambda: not widget._catalog_task.running)
    widget.compare([ModelRef(provider=ProviderKind.OPENAI, model=MODEL, label="base"),
                    ModelRef(provider=ProviderKind.OPENAI, model=OTHER_MODEL, label="other")])
    yield widget
    widget.stop_all()
    qtbot.waitUntil(lambda: not any(p.busy for p in widget.panes))


def ask(qtbot, page, text: str, timeout: int = 15000) -> None:
    """Types a prompt, sends it and waits until every pane's reply has ended."""
    page.prompt.setPlainText(text)
    page.send()
    qtbot.waitUntil(lambda: all(not p.busy and p.state.turns and p.state.turns[-1].role == "assistant"
                                and (p.state.turns[-1].stats or p.state.turns[-1].error) for p in page.panes),
                    timeout=timeout)
