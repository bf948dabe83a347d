"""Hub models through Inference Providers: huggingface_hub's InferenceClient, streaming from an
OpenAI-compatible server on 127.0.0.1 (the fake OpenAI service stands in for the Hugging Face router)."""

from __future__ import annotations

import pytest

from backend import chat
from backend.cancel import CancelToken
from backend.errors import CredentialsError, NetworkError
from backend.models import Account, AccountKind, ChatMessage, ChatParams, ProviderKind
from backend.providers.hf_inference import InferenceProvider

HUB_MODEL = "gpt-4o-mini-2024-07-18"  # a name the fake serves; the router would take "org/model"


@pytest.fixture
def provider(fake_openai, monkeypatch):
    from huggingface_hub import constants

    # The test session runs the Hub offline (no downloads); this client talks only to 127.0.0.1.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    account = Account(name="hf", kind=AccountKind.HUGGINGFACE, base_url=fake_openai.base_url)
    return InferenceProvider(account, fake_openai.api_key)


def _reply(provider, cancel=None, **params):
    ref = chat.ModelRef(provider=ProviderKind.HF_INFERENCE, model=HUB_MODEL)
    return list(chat.stream_reply(ref, [ChatMessage(role="user", content="Hi")], ChatParams(**params), cancel,
                                  provider=provider))


def test_hub_model_streams_with_the_parameters(provider, fake_openai):
    fake_openai.set_reply("Hello from a Hub model.", chunks=5)
    *deltas, stats = _reply(provider, temperature=0.3, seed=4, stop=["END"], max_tokens=20)
    assert "".join(deltas) == "Hello from a Hub model." and stats.tokens == 5
    sent = fake_openai.state.chat_requests[-1]
    assert sent["stream"] and sent["model"] == HUB_MODEL
    assert (sent["temperature"], sent["seed"], sent["stop"], sent["max_tokens"]) == (0.3, 4, ["END"], 20)


def test_stop_ends_a_hub_reply(provider, fake_openai):
    fake_openai.set_reply("x " * 200, chunks=200)
    fake_openai.state.stream_delay = 0.01
    cancel = CancelToken()
    ref = chat.ModelRef(provider=ProviderKind.HF_INFERENCE, model=HUB_MODEL)
    received = []
    for item in chat.stream_reply(ref, [ChatMessage(role="user", content="Hi")], ChatParams(), cancel,
                                  provider=provider):
        if isinstance(item, str):
            received.append(item)
            if len(received) == 3:
                cancel.cancel()
        else:
            stats = item
    assert len(received) == 3 and stats.stopped


def test_hub_errors_are_sentences(provider, fake_openai):
    fake_openai.inject("POST /chat/completions", "500", times=1)
    with pytest.raises(NetworkError, match="HTTP 500"):
        _reply(provider)
    refused = InferenceProvider(Account(name="hf", kind=AccountKind.HUGGINGFACE, base_url=fake_openai.base_url),
                                "hf_wrong_token_000")
    with pytest.raises(CredentialsError, match="refused the token"):
        _reply(refused)
    with pytest.raises(CredentialsError, match="need a token"):  # no Hugging Face account saved
        chat.provider_for(chat.ModelRef(provider=ProviderKind.HF_INFERENCE, model=HUB_MODEL))


def test_offline_mode_is_named_when_it_blocks_a_hub_model(fake_openai):
    offline = InferenceProvider(Account(name="hf", kind=AccountKind.HUGGINGFACE, base_url=fake_openai.base_url), "t")
    with pytest.raises(NetworkError, match="HF_HUB_OFFLINE"):
        _reply(offline)


def test_a_conversation_saved_when_hub_chat_borrowed_the_jobs_kind_opens_and_chats(qtbot, fake_openai, monkeypatch,
                                                                                   tmp_path):
    """A file saved before Hub chat had its own kind (``hf-jobs`` + ``hub``) opens in the page, is headed by
    Inference Providers and its account, and its next reply goes through the saved account's token."""
    import json

    from huggingface_hub import constants

    from backend import accounts
    from backend.chat_catalog import group_title
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    account = accounts.save_account(Account(name="my hub", kind=AccountKind.HUGGINGFACE,
                                            base_url=fake_openai.base_url), fake_openai.api_key)
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps({"id": "c1", "title": "Old", "panes": [{
        "model": {"provider": "hf-jobs", "account_id": account.id, "model": HUB_MODEL, "label": HUB_MODEL,
                  "kind": "hub"},
        "turns": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}]}),
        encoding="utf-8")
    page = PlaygroundPage(AppContext())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page._catalog_task.running, timeout=10000)  # offline: the Hub's list is a problem
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the client talks only to 127.0.0.1
    page.open_from(saved)
    pane = page.panes[0]
    assert len(page.panes) == 1 and pane.state.model.provider is ProviderKind.HF_INFERENCE
    assert [v.text for v in pane.views] == ["Hi", "Hello."]
    assert group_title(pane.state.model) == "Hugging Face Inference Providers · my hub"
    assert pane.picker.currentText() == f"{HUB_MODEL} (Hugging Face Inference Providers · my hub)"
    assert isinstance(chat.provider_for(pane.state.model), InferenceProvider)

    fake_openai.set_reply("Hello again.", chunks=3)
    page.prompt.setPlainText("Again?")
    page.send()
    qtbot.waitUntil(lambda: not pane.busy and pane.state.turns[-1].role == "assistant", timeout=15000)
    assert not pane.state.turns[-1].error, pane.state.turns[-1].error
    assert pane.state.turns[-1].content == "Hello again."
    assert fake_openai.state.chat_requests[-1]["model"] == HUB_MODEL
