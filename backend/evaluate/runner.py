"""Runs an evaluation: every candidate answers every test question, then the judge compares pairs.

Remote candidates share a pool of ``spec.concurrency`` workers (the provider's rate limit is honoured by
``calls.Pacer``); a local model answers in batches of ``spec.batch_size`` from one ``generate`` call each
(``CompletesBatch``). Each answer is stored as it arrives (``spec.ResultLog``), and what is stored is not
asked again, so running a stopped or crashed evaluation again finishes it. Called off the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.errors import Cancelled, CredentialsError, NotFound, StudioError
from backend.evaluate.calls import Pacer, paced_call
from backend.evaluate.judge import judge_messages, parse_verdict
from backend.evaluate.prompts import PromptBuilder
from backend.evaluate.spec import Candidate, EvalSpec, ResultLog, save_spec
from backend.evaluate.testset import TestExample, load_examples
from backend.models import ChatParams, ModelRef
from backend.providers.base import Completes, CompletesBatch

log = logging.getLogger(__name__)

#: Failures that concern the whole candidate (a refused key, a model that is gone): the run stops and says so.
FATAL = (CredentialsError, NotFound)
#: The judge's own settings: deterministic, and room for one word.
JUDGE_PARAMS = ChatParams(temperature=0, max_tokens=8)
ORDERS = ("anchor-first", "anchor-second")


def _default_open(ref: ModelRef):
    from backend.chat import provider_for

    return provider_for(ref)


class Evaluation:
    """One run of ``spec``; ``run()`` does what is left and returns the result log."""

    def __init__(self, spec: EvalSpec, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                 open_provider: Callable[[ModelRef], object] = _default_open):
        spec.check()
        self.spec = spec
        self.progress = progress or (lambda p: None)
        self.cancel = cancel or CancelToken()
        self.open_provider = open_provider
        self.pacer = Pacer(self.cancel)
        self.results = ResultLog(spec.id)
        self.examples = load_examples(spec.test_path)
        self.training = load_examples(spec.train_path) if spec.train_path else []
        self._builders: dict[int, PromptBuilder] = {}
        self._providers: dict[tuple, object] = {}
        self._done = 0
        self._clock: EtaClock | None = None

    # -- plumbing -----------------------------------------------------------------------------------------
    def provider(self, ref: ModelRef):
        if ref.key not in self._providers:
            self._providers[ref.key] = self.open_provider(ref)
        return self._providers[ref.key]

    def messages(self, candidate: Candidate, example: TestExample):
        shots = candidate.shots if candidate.strategy != "zero-shot" else 0
        if shots not in self._builders:
            self._builders[shots] = PromptBuilder(self.training, shots, seed=self.spec.seed)
        return self._builders[shots].messages(candidate.strategy, example)

    def _tick(self, what: str) -> None:
        self._done += 1
        if self._clock is not None:
            self.progress(self._clock.progress(self._done, what))

    # -- the run ------------------------------------------------------------------------------------------
    def run(self) -> ResultLog:
        save_spec(self.spec)
        answers = [(c, e) for c in self.spec.candidates for e in self.examples
                   if not self.results.answered(c.id, e.index)]
        judging = self._judge_work(assume_answered=True)
        self._clock = EtaClock(len(answers) + len(judging) or None)
        log.info("evaluation %s: %d answers and %d judgments to do", self.spec.id, len(answers), len(judging))
        batched = {c.id for c in self.spec.candidates if isinstance(self.provider(c.ref), CompletesBatch)
                   and not isinstance(self.provider(c.ref), Completes)}
        local = [(c, e) for c, e in answers if c.id in batched]
        remote = [(c, e) for c, e in answers if c.id not in batched]
        self._pool([lambda c=c, e=e: self._answer(c, e) for c, e in remote])
        self._local(local)
        self._pool([lambda w=w: self._judge(*w) for w in self._judge_work(assume_answered=False)])
        return self.results

    def _pool(self, work: list[Callable[[], None]]) -> None:
        if not work:
            return
        with ThreadPoolExecutor(max_workers=self.spec.concurrency, thread_name_prefix="eval") as pool:
            futures = [pool.submit(item) for item in work]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in done:
                if future.exception() is not None:
                    self.cancel.cancel()  # the others stop at their next call; what they stored stays
                    for other in pending:
                        other.cancel()
                    raise future.exception()
        self.cancel.raise_if_cancelled()

    def _store_answer(self, candidate: Candidate, example: TestExample, reply, seconds: float,
                      error: str | None = None) -> None:
        self.results.add({"kind": "answer", "candidate": candidate.id, "example": example.index,
                          "text": reply.text if reply else "", "tool_calls": reply.tool_calls if reply else None,
                          "prompt_tokens": reply.prompt_tokens if reply else None,
                          "completion_tokens": reply.completion_tokens if reply else None,
                          "latency_s": round(seconds, 4), "error": error})
        self._tick(f"Answers from {candidate.title}")

    def _answer(self, candidate: Candidate, example: TestExample) -> None:
        provider = self.provider(candidate.ref)
        try:
            reply, seconds = paced_call(provider, candidate.ref.model, self.messages(candidate, example),
                                        self.spec.params, example.tools, self.pacer)
        except (Cancelled, *FATAL):
            raise
        except StudioError as exc:  # this example's failure; the run goes on and a later run asks again
            log.warning("evaluation %s: %s on example %d: %s", self.spec.id, candidate.id, example.index, exc)
            return self._store_answer(candidate, example, None, 0.0, error=str(exc))
        self._store_answer(candidate, example, reply, seconds)

    def _local(self, work: list[tuple[Candidate, TestExample]]) -> None:
        """Local models: ``batch_size`` questions per ``generate`` call, one candidate at a time."""
        size = self.spec.batch_size
        for candidate in {c.id: c for c, _ in work}.values():
            todo = [e for c, e in work if c.id == candidate.id]
            provider = self.provider(candidate.ref)
            for start in range(0, len(todo), size):
                self.cancel.raise_if_cancelled()
                batch = todo[start:start + size]
                began = time.perf_counter()
                replies = provider.complete_batch(candidate.ref.model, [self.messages(candidate, e) for e in batch],
                                                  self.spec.params, self.cancel)
                seconds = (time.perf_counter() - began) / len(batch)
                for example, reply in zip(batch, replies):
                    self._store_answer(candidate, example, reply, seconds)

    # -- the judge ----------------------------------------------------------------------------------------
    def _judge_work(self, *, assume_answered: bool) -> list[tuple[Candidate, TestExample, str]]:
        anchor = self.spec.anchor
        if self.spec.judge is None or anchor is None or len(self.spec.candidates) < 2:
            return []
        work = []
        for other in (c for c in self.spec.candidates if c.id != anchor.id):
            for example in self.examples:
                if not assume_answered and not (self.results.answered(anchor.id, example.index)
                                                and self.results.answered(other.id, example.index)):
                    continue
                for order in ORDERS:
                    if (other.id, example.index, order) not in self.results.judgments:
                        work.append((other, example, order))
        return work

    def _judge(self, other: Candidate, example: TestExample, order: str) -> None:
        """Asks the judge about the anchor against ``other`` in one order; stores the anchor's side of it."""
        anchor = self.spec.anchor
        mine = self.results.answers[(anchor.id, example.index)]["text"]
        theirs = self.results.answers[(other.id, example.index)]["text"]
        first, second = (mine, theirs) if order == "anchor-first" else (theirs, mine)
        messages = judge_messages(example.question, example.reference, first, second)
        judge = self.spec.judge
        try:
            reply, _ = paced_call(self.provider(judge), judge.model, messages, JUDGE_PARAMS, None, self.pacer)
        except (Cancelled, *FATAL):
            raise
        except StudioError as exc:
            log.warning("evaluation %s: the judge failed on example %d: %s", self.spec.id, example.index, exc)
            self._tick("Judging")
            return
        self.results.add({"kind": "judge", "candidate": other.id, "example": example.index, "order": order,
                          "verdict": parse_verdict(reply.text), "prompt_tokens": reply.prompt_tokens,
                          "completion_tokens": reply.completion_tokens})
        self._tick("Judging")


def run_evaluation(spec: EvalSpec, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                   open_provider: Callable[[ModelRef], object] = _default_open) -> ResultLog:
    """Runs (or finishes) ``spec``; see ``Evaluation``."""
    return Evaluation(spec, progress=progress, cancel=cancel, open_provider=open_provider).run()
