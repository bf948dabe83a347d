"""A local model answers the test set in batches: one ``generate`` call per batch, left-padded, with the
same replies as one question at a time, and the tokens it counted."""

from __future__ import annotations

from backend import local_chat, providers
from backend.evaluate.runner import run_evaluation
from backend.evaluate.spec import Candidate, EvalSpec
from backend.models import ChatMessage, ChatParams, ModelRef
from tests.evaluate.conftest import CAPITALS, chat, write_jsonl


def test_local_generation_is_batched_and_matches_one_at_a_time(tiny_model_dir, tmp_path, monkeypatch):
    test = write_jsonl(tmp_path / "test.jsonl", [chat(c) for c in list(CAPITALS)[:7]])
    model = str(tiny_model_dir)
    loaded = local_chat.load(model)
    calls = []
    real_generate = loaded.model.generate

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape)
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(loaded.model, "generate", counting)
    params = ChatParams(temperature=0, max_tokens=6)
    ref = ModelRef(provider=providers.local_runner(), model=model, label="tiny", kind="local")
    spec = EvalSpec(test_path=str(test), candidates=[Candidate(ref=ref)], batch_size=3, params=params)
    results = run_evaluation(spec)
    assert [shape[0] for shape in calls] == [3, 3, 1]  # one generate call per batch of three
    monkeypatch.setattr(loaded.model, "generate", real_generate)
    cid = spec.candidates[0].id
    for index, country in enumerate(list(CAPITALS)[:7]):
        messages = [ChatMessage(**m) for m in chat(country)["messages"][:2]]
        alone = local_chat.stream_reply(model, messages, params)
        text = "".join(alone)
        stored = results.answers[(cid, index)]
        assert stored["text"] == text
        assert stored["completion_tokens"] == alone.token_count
        assert stored["prompt_tokens"] == local_chat.prompt_ids(loaded, messages)[0].shape[1]
