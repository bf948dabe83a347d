"""Saving, reopening and editing conversations; turning a corrected exchange into a training example."""

from __future__ import annotations

import json

import pytest

from backend import chat
from backend.errors import InvalidInput
from backend.models import ChatMessage, ChatParams
from tests.playground.conftest import MODEL, OTHER_MODEL, ask


def test_save_and_reopen_restores_prompt_params_models_and_turns(qtbot, page, fake_openai):
    page.system.setPlainText("Be brief.")
    page.params.temperature.setValue(0.7)
    page.params.stop.setText("END|###")
    page.params.seed.setValue(42)
    fake_openai.set_reply("Rome.")
    ask(qtbot, page, "Capital of Italy?")
    path = page.save_to()
    assert path.parent == chat.conversations_dir()

    page.new_conversation()
    page.system.clear()
    page.params.set_params(ChatParams())
    assert all(not p.state.turns for p in page.panes)
    page.open_from(path)
    assert page.system.toPlainText() == "Be brief."
    assert page.params.params() == ChatParams(temperature=0.7, max_tokens=512, stop=["END", "###"], seed=42)
    assert [p.state.model.model for p in page.panes] == [MODEL, OTHER_MODEL]
    for pane in page.panes:
        assert [v.text for v in pane.views] == ["Capital of Italy?", "Rome."]
        assert pane.state.turns[1].stats.tokens >= 1
        assert "tokens" in pane.views[1].stats.text()
    fake_openai.set_reply("Berlin.")
    ask(qtbot, page, "And Germany?")  # a reopened conversation carries on with its history
    assert fake_openai.state.chat_requests[-1]["messages"][1:3] == [
        {"role": "user", "content": "Capital of Italy?"}, {"role": "assistant", "content": "Rome."}]
    assert [c.title for _, c in chat.list_conversations()] == ["Capital of Italy?"]


def test_opening_a_file_that_is_not_a_conversation_says_so(page, tmp_path):
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"panes": "nope"}))
    page._guard(lambda: page.open_from(bad))
    assert "is not a saved conversation" in page.message.text() and "panes" in page.message.text()


def test_edit_and_regenerate_a_turn(qtbot, page, fake_openai):
    page.set_pane_count(1)
    pane = page.panes[0]
    fake_openai.set_reply("Lyon.")
    ask(qtbot, page, "Capital of France?")
    reply = pane.views[1]
    reply.start_edit()
    reply.editor.setPlainText("Paris.")
    reply.finish_edit()
    assert pane.state.turns[1].content == "Paris." and reply.text == "Paris."

    fake_openai.set_reply("Paris, of course.")
    pane.views[1].regenerate.emit(1)
    qtbot.waitUntil(lambda: pane.state.turns[-1].stats is not None, timeout=10000)
    assert [t.content for t in pane.state.turns] == ["Capital of France?", "Paris, of course."]

    question = pane.views[0]  # editing the question asks again
    question.start_edit()
    question.editor.setPlainText("Capital of Spain?")
    fake_openai.set_reply("Madrid.")
    question.finish_edit()
    qtbot.waitUntil(lambda: pane.state.turns[-1].stats is not None and not pane.busy, timeout=10000)
    assert [t.content for t in pane.state.turns] == ["Capital of Spain?", "Madrid."]
    assert len(pane.views) == 2
    assert fake_openai.state.chat_requests[-1]["messages"][-1] == {"role": "user", "content": "Capital of Spain?"}


def test_add_to_dataset_appends_the_corrected_exchange_as_chat_jsonl(qtbot, page, fake_openai, tmp_path, monkeypatch):
    from backend.data import iter_canonical

    dataset = tmp_path / "train.jsonl"
    dataset.write_text('{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}')
    monkeypatch.setattr(page, "choose_dataset_file", lambda: str(dataset))
    page.system.setPlainText("Answer in one word.")
    page.set_pane_count(1)
    fake_openai.set_reply("Lyon.")
    ask(qtbot, page, "Capital of France?")
    reply = page.panes[0].views[1]
    reply.start_edit()
    reply.editor.setPlainText("Paris.")
    reply.finish_edit()
    reply.dataset_button.click()

    lines = dataset.read_text().splitlines()
    assert len(lines) == 2  # the missing final newline did not glue two examples together
    assert json.loads(lines[1]) == {"messages": [{"role": "system", "content": "Answer in one word."},
                                                 {"role": "user", "content": "Capital of France?"},
                                                 {"role": "assistant", "content": "Paris."}]}
    assert len(list(iter_canonical(dataset))) == 2  # the data step reads both as valid chat examples
    assert "Added the exchange" in page.message.text()


def test_add_to_dataset_refuses_an_exchange_without_a_reply(tmp_path):
    with pytest.raises(InvalidInput, match="ends with the assistant"):
        chat.add_to_dataset(tmp_path / "d.jsonl", [ChatMessage(role="user", content="Hi")])
    with pytest.raises(InvalidInput, match="reply is empty"):
        chat.add_to_dataset(tmp_path / "d.jsonl", [ChatMessage(role="user", content="Hi"),
                                                   ChatMessage(role="assistant", content="  ")])
    assert not (tmp_path / "d.jsonl").exists()
