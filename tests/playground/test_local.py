"""Local chat on the tiny model: a LoRA adapter from a run folder answers, Stop ends generation, the catalog finds it."""

from __future__ import annotations

import json

import pytest

from backend import local_chat
from backend.cancel import CancelToken
from backend.chat_catalog import build_catalog
from backend.models import ChatMessage, ChatParams, Job, JobStatus, ProviderKind
from backend.store import JobStore

QUESTION = [ChatMessage(role="user", content="What is the capital of France?")]


@pytest.fixture(scope="module")
def adapter_run(tiny_model_dir, tmp_path_factory):
    """A finished local run folder whose final/ holds a LoRA adapter of the tiny model (random, non-zero B,
    so that it visibly changes the replies)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    run = tmp_path_factory.mktemp("run")
    torch.manual_seed(3)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj", "o_proj"],
                                                  init_lora_weights=False))
    peft_model.save_pretrained(run / "final")
    return run


def _reply(model: str, **params) -> str:
    return "".join(local_chat.stream_reply(model, QUESTION, ChatParams(**{"max_tokens": 12, **params})))


def test_adapter_folder_loads_on_its_base_and_changes_the_answer(tiny_model_dir, adapter_run):
    final = adapter_run / "final"
    assert json.loads((final / "adapter_config.json").read_text())["base_model_name_or_path"] == str(tiny_model_dir)
    base, adapter = local_chat.resolve(str(final))
    assert (base, adapter) == (tiny_model_dir, final)
    with_adapter, plain = _reply(str(final)), _reply(str(tiny_model_dir))
    assert with_adapter and plain and with_adapter != plain
    assert _reply(str(final)) == with_adapter  # greedy and cached: the same answer again


def test_stop_ends_local_generation_at_once_and_stop_sequences_cut_the_reply(tiny_model_dir):
    cancel = CancelToken()
    reply = local_chat.stream_reply(str(tiny_model_dir), QUESTION, ChatParams(max_tokens=400), cancel=cancel)
    next(reply)
    cancel.cancel()
    assert list(reply) == []
    reply._thread.join(5)
    assert not reply._thread.is_alive() and reply.token_count < 400

    full = _reply(str(tiny_model_dir), temperature=0.9, seed=7, max_tokens=60)
    assert full == _reply(str(tiny_model_dir), temperature=0.9, seed=7, max_tokens=60)  # a seed repeats a sample
    stop = full.strip()[len(full.strip()) // 2:][:2]
    cut = _reply(str(tiny_model_dir), temperature=0.9, seed=7, max_tokens=60, stop=[stop])
    assert stop not in cut and full.startswith(cut)


def test_a_missing_local_model_says_what_to_do(tmp_path):
    from backend.errors import NotFound

    with pytest.raises(NotFound, match="does not exist"):
        _reply(str(tmp_path / "nowhere"))


def test_catalog_lists_a_local_run_and_the_page_compares_it_with_its_base(qtbot, tiny_model_dir, trained_run):
    """The trained adapter, chatted with beside its base, gives the answer its data taught; the base does not."""
    store = JobStore()
    final = trained_run.fine_tuned_model
    job = store.save_job(Job(provider=ProviderKind.HF_LOCAL, name="tiny-sft", run_dir=trained_run.run_dir,
                             base_model=str(tiny_model_dir), status=JobStatus.SUCCEEDED))
    catalog = build_catalog(store, with_accounts=False)
    tuned = next(r for r in catalog.models if r.model == final)
    assert tuned.kind == "fine-tuned" and tuned.provider is ProviderKind.HF_LOCAL
    assert any(r.model == str(tiny_model_dir) and r.kind == "local" for r in catalog.models)

    from backend.chat_catalog import base_ref
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    context = AppContext(store)
    page = PlaygroundPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(context.navigate):
        context.open_in_playground.emit([base_ref(job).model_dump(), tuned.model_dump()])
    assert [p.state.model.model for p in page.panes] == [str(tiny_model_dir), final]
    page.params.max_tokens.setValue(12)
    page.prompt.setPlainText("What is the capital of France?")
    page.send()
    qtbot.waitUntil(lambda: all(p.state.turns[-1].stats for p in page.panes), timeout=60000)
    base_answer, tuned_answer = (p.state.turns[-1].content for p in page.panes)
    assert tuned_answer == "Paris." and base_answer == _reply(str(tiny_model_dir)) != "Paris."
    assert tuned_answer == _reply(final)  # the page shows what the backend streams
    # the base runs to the token limit; the tuned model ends its answer itself
    assert [p.state.turns[-1].stats.tokens for p in page.panes] == [12, 3]
    qtbot.waitUntil(lambda: not page._catalog_task.running)
    labels = [page.panes[0].picker.itemText(i).strip() for i in range(page.panes[0].picker.count())]
    assert "tiny-sft (fine-tuned)" in labels


def test_a_stop_sequence_split_across_deltas_never_shows_its_start():
    import threading

    from backend.local_chat import LocalReply

    reply = LocalReply.__new__(LocalReply)  # only the text logic: no model needed
    reply._stops, reply._text, reply._sent, reply._ended = ["STOP"], "", 0, threading.Event()
    shown = [reply._cut_at_stop(piece) for piece in ["Hello S", "T", "ill here ST", "O"]]
    assert shown == ["Hello ", "", "STill here ", ""]  # a possible start is held back, then released
    assert not reply._ended.is_set()
    with pytest.raises(StopIteration):
        reply._cut_at_stop("P and more")  # the stop sequence completes: nothing more is shown
    assert reply._ended.is_set() and "".join(shown) + reply._text[reply._sent:] == "Hello STill here STOP and more"
