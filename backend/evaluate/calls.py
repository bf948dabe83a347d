"""One model call for the evaluation, whatever the provider can do, paced by the provider's 429s.

``Completes`` providers return the reply with the tokens they billed; a provider that only streams
(``Chats``) gives the text and no token counts (reported as "not reported", never guessed). A 429 is the one
refusal that proves nothing was done (and nothing billed), so it alone is retried: every worker of the run
waits out the ``Retry-After`` the provider sent (the shared ``Pacer``), then the call is sent again. Any
other failure is the example's result, not a retry: a lost answer may have been billed.
"""

from __future__ import annotations

import threading
import time

from backend.cancel import CancelToken
from backend.errors import CapabilityMissing, Cancelled, RateLimited
from backend.models import ChatMessage, ChatParams
from backend.providers.base import Chats, Completes, CompletesBatch, Completion

#: 429s in a row on one call before the example is given up (the run goes on; a later run asks again).
MAX_RATE_LIMITED = 8
#: Seconds waited after a 429 that names no Retry-After: doubled each time, up to the cap.
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 60.0


class Pacer:
    """A shared "not before" time: a 429 on any worker holds back every worker's next call."""

    def __init__(self, cancel: CancelToken, clock=time.monotonic):
        self.cancel = cancel
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()
        self.waits: list[float] = []  # each hold asked for, in seconds (tests and the log read it)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self._until = max(self._until, self.clock() + seconds)

    def wait(self) -> None:
        while True:
            with self._lock:
                left = self._until - self.clock()
            if left <= 0:
                return
            if self.cancel.wait(left):
                raise Cancelled("The evaluation was stopped.")


def call_once(provider, model: str, messages: list[ChatMessage], params: ChatParams, tools: list[dict] | None,
              cancel: CancelToken) -> Completion:
    if isinstance(provider, Completes):
        return provider.complete(model, messages, params, tools=tools)
    if isinstance(provider, CompletesBatch):
        return provider.complete_batch(model, [messages], params, cancel)[0]
    if isinstance(provider, Chats):
        return Completion(text="".join(provider.chat_stream(model, messages, params, cancel)))
    raise CapabilityMissing("This provider cannot answer chat requests, so it cannot be evaluated.")


def paced_call(provider, model: str, messages: list[ChatMessage], params: ChatParams, tools: list[dict] | None,
               pacer: Pacer) -> tuple[Completion, float]:
    """(the reply, seconds it took) once the provider accepts the call; 429s waited out as it asks."""
    backoff = FIRST_BACKOFF
    for _ in range(MAX_RATE_LIMITED):
        pacer.wait()
        pacer.cancel.raise_if_cancelled()
        start = time.perf_counter()
        try:
            return call_once(provider, model, messages, params, tools, pacer.cancel), time.perf_counter() - start
        except RateLimited as exc:
            pacer.hold(exc.retry_after if exc.retry_after is not None else backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
    raise RateLimited(f"The provider kept refusing with “slow down” ({MAX_RATE_LIMITED} times in a row).",
                      hint="Lower the concurrency, or run the evaluation again later: finished examples are kept.")
