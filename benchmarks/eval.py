"""Evaluation benchmark, in one run; every figure it prints has a target and is part of "pass".

1. Remote: 200 test questions answered by the fake OpenAI server (real SDK, real HTTP) that answers each
   chat request after 200 ms, with the app's concurrency N (default 8). Target: wall time at most 1.25x the
   ideal 200 x 0.2 s / N. The fake runs in a child process with its API-description check off: both are
   the service's work, which the real service does on its own machines, not in the app's process.
2. Local: the tiny model answers 32 questions, batched (``local_chat.complete_batch``, batches of 16, one
   ``generate`` call each) against one-at-a-time ``generate`` with the same settings (greedy, 16 new tokens),
   measured in the same run. Target: at least 3x the examples per second.

Ends with one JSON line of figures, targets and "pass"; the exit status is 0 only when everything passes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["FTS_HOME"] = tempfile.mkdtemp(prefix="fts-bench-")

QUESTIONS, DELAY_S, CONCURRENCY, WALL_RATIO_MAX = 200, 0.2, int(os.environ.get("EVAL_CONCURRENCY", "8")), 1.25
LOCAL_QUESTIONS, BATCH, NEW_TOKENS, SPEEDUP_MIN = 32, 16, 16, 3.0


def _write(path: Path, n: int) -> Path:
    rows = [{"messages": [{"role": "user", "content": f"What is {i} plus two?"},
                          {"role": "assistant", "content": f"{i + 2}."}]} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


SERVER = """
import sys
sys.path.insert(0, sys.argv[1])
from tests.fakes import openai_server
from tests.fakes.openai_server import FakeOpenAI
openai_server._Handler.disable_nagle_algorithm = True  # as production servers do (TCP_NODELAY)
fake = FakeOpenAI(check_spec=False).start()
fake.state.reply_fn = lambda body: "Four."
fake.inject("POST /chat/completions", "slow", times=int(sys.argv[2]), seconds=float(sys.argv[3]))
print(fake.base_url, fake.api_key, flush=True)
sys.stdin.read()
"""


def remote(folder: Path) -> dict:
    """The fake runs in a child process, as the real service runs elsewhere: its threads must not share the
    app's interpreter lock, or the figure would measure the fake."""
    import subprocess

    from backend.evaluate.runner import run_evaluation
    from backend.evaluate.spec import Candidate, EvalSpec
    from backend.models import Account, AccountKind, ModelRef, ProviderKind
    from backend.providers.openai import OpenAIProvider

    server = subprocess.Popen([sys.executable, "-c", SERVER, str(ROOT), str(QUESTIONS), str(DELAY_S)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        base_url, key = server.stdout.readline().split()
        account = Account(name="bench", kind=AccountKind.OPENAI, base_url=base_url)
        provider = OpenAIProvider(account=account, secret=key)
        spec = EvalSpec(test_path=str(_write(folder / "remote.jsonl", QUESTIONS)), concurrency=CONCURRENCY,
                        candidates=[Candidate(ref=ModelRef(provider=ProviderKind.OPENAI,
                                                           model="gpt-4o-mini-2024-07-18"))])
        start, cpu = time.perf_counter(), time.process_time()
        results = run_evaluation(spec, open_provider=lambda ref: provider)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        server.stdin.close()
        server.wait(10)
    ideal = QUESTIONS * DELAY_S / CONCURRENCY
    answered = sum(1 for r in results.answers.values() if r["error"] is None)
    return {"remote_questions": QUESTIONS, "concurrency": CONCURRENCY, "remote_wall_s": round(wall, 2),
            "remote_ideal_s": ideal, "remote_ratio": round(wall / ideal, 3), "remote_ratio_max": WALL_RATIO_MAX,
            "app_cpu_ms_per_request": round(cpu * 1000 / QUESTIONS, 2), "load_average": os.getloadavg()[0],
            "remote_answered": answered, "remote_pass": answered == QUESTIONS and wall <= WALL_RATIO_MAX * ideal}


def local(folder: Path) -> dict:
    import torch

    from backend import local_chat
    from backend.models import ChatMessage, ChatParams
    from tests.tiny_model import build_tiny_model

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    model = str(build_tiny_model(folder / "tiny"))
    params = ChatParams(temperature=0, max_tokens=NEW_TOKENS)
    conversations = [[ChatMessage(role="user", content=f"What is {i} plus two?")] for i in range(LOCAL_QUESTIONS)]
    loaded = local_chat.load(model)
    options = local_chat.generation_kwargs(loaded, params)
    local_chat.complete_batch(model, conversations[:2], params)  # warm-up, both paths' first-call costs

    start = time.perf_counter()
    for messages in conversations:  # one at a time: the same generate() with the same settings
        ids, mask = local_chat.prompt_ids(loaded, messages)
        with torch.inference_mode():
            loaded.model.generate(input_ids=ids, attention_mask=mask, **options)
    single = time.perf_counter() - start

    start = time.perf_counter()
    for i in range(0, LOCAL_QUESTIONS, BATCH):
        local_chat.complete_batch(model, conversations[i:i + BATCH], params)
    batched = time.perf_counter() - start
    speedup = single / batched
    return {"local_questions": LOCAL_QUESTIONS, "batch": BATCH, "new_tokens": NEW_TOKENS,
            "single_per_s": round(LOCAL_QUESTIONS / single, 2), "batched_per_s": round(LOCAL_QUESTIONS / batched, 2),
            "local_speedup": round(speedup, 2), "local_speedup_min": SPEEDUP_MIN, "local_pass": speedup >= SPEEDUP_MIN}


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="fts-eval-bench-"))
    figures = {**remote(folder), **local(folder)}
    figures["pass"] = figures["remote_pass"] and figures["local_pass"]
    print(f"remote: {figures['remote_questions']} questions at concurrency {figures['concurrency']}: "
          f"{figures['remote_wall_s']} s against the ideal {figures['remote_ideal_s']} s "
          f"({figures['remote_ratio']}x, target <= {WALL_RATIO_MAX}x); the app used "
          f"{figures['app_cpu_ms_per_request']} ms of CPU per request; load average {figures['load_average']:.1f}")
    print(f"local: {figures['batched_per_s']} questions/s batched against {figures['single_per_s']} one at a time "
          f"({figures['local_speedup']}x, target >= {SPEEDUP_MIN}x)")
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
