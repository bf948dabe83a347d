"""What each candidate is sent: the test question as it is (zero-shot, and every fine-tuned model), or with
training examples put in front of it as earlier turns (few-shot: the same N for every question; retrieval:
the N most similar to this question by BM25). Shots are user/assistant pairs after the system prompt, the
layout chat models are tuned on, so the prompt costs what a real few-shot deployment would."""

from __future__ import annotations

import random
from typing import Literal

from backend.evaluate.retrieve import BM25
from backend.evaluate.testset import TestExample
from backend.models import ChatMessage

Strategy = Literal["zero-shot", "few-shot", "retrieval"]
STRATEGIES: tuple[str, ...] = ("zero-shot", "few-shot", "retrieval")


def _shot_turns(shot: TestExample) -> list[ChatMessage]:
    turns = [ChatMessage(role=m["role"], content=m.get("content") or "") for m in shot.prompt
             if m.get("role") in ("user", "assistant")]
    return turns + [ChatMessage(role="assistant", content=shot.reference)]


def _turn(message: dict) -> ChatMessage:
    """A turn of the test conversation as sent: the fields the chat API takes, nothing of the data's own."""
    extra = {k: message[k] for k in ("name", "tool_calls", "tool_call_id") if message.get(k)}
    return ChatMessage(role=message["role"], content=message.get("content") or "", **extra)


class PromptBuilder:
    """Builds a candidate's messages for a test question from the training examples (``shots``: how many)."""

    def __init__(self, training: list[TestExample], shots: int, seed: int = 0):
        self.training = training
        self.shots = shots
        pool = list(range(len(training)))
        random.Random(seed).shuffle(pool)
        self.fixed = [training[i] for i in pool[:shots]]  # few-shot: one fixed set, chosen once by seed
        self._index: BM25 | None = None

    def retrieved(self, example: TestExample) -> list[TestExample]:
        if self._index is None:
            self._index = BM25([t.question for t in self.training])
        return [self.training[i] for i in self._index.top(example.question, self.shots)]

    def messages(self, strategy: Strategy, example: TestExample) -> list[ChatMessage]:
        if strategy == "zero-shot" or not self.shots:
            shots: list[TestExample] = []
        elif strategy == "few-shot":
            shots = self.fixed
        else:
            shots = self.retrieved(example)
        system = [ChatMessage(role="system", content=example.system)] if example.system else []
        body = [_turn(m) for m in example.prompt if m.get("role") != "system"]
        return system + [t for shot in shots for t in _shot_turns(shot)] + body
