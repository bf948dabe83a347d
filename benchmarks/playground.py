"""Playground benchmark, in one run; every figure it prints has a target and is part of "pass".

1. Time to first token and tokens/s on the tiny local model: the playground's code path
   (``backend.chat.stream_reply`` -> LocalProvider -> ``backend.local_chat``) against raw transformers
   streaming (``TextIteratorStreamer`` + ``generate`` in a thread). Targets: at most +30 ms TTFT, at least
   0.95 of the tokens/s, for the best run of each path and for the medians (runs alternate). Also the time
   from Stop to the end of a local reply (target: 100 ms).
2. The GUI thread's longest stall (a 5 ms heartbeat QTimer, Send included) while four panes of the
   real page each stream 2,000 chunks from the fake OpenAI server (run in a child process, through the
   real SDK). Budget: 50 ms, idle, in the process's first Send (which also pays Qt's one-off costs) and in
   a second one. Every chunk must arrive, no reply may fail, and the page may add at most 0.5 ms per chunk
   to the time the SDK alone takes to read the same four streams in four threads.

Ends with one JSON line of figures, targets and "pass"; the exit status is 0 only when everything passes.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["FTS_HOME"] = tempfile.mkdtemp(prefix="fts-bench-")

RUNS = 9
TTFT_OVERHEAD_MAX_MS, TPS_RATIO_MIN, STOP_MAX_MS, STALL_MAX_MS = 30, 0.95, 100, 50
# What the page adds to each streamed chunk beyond the SDK's own reading: 0.5 ms keeps four panes at a fast
# provider's 100 chunks/s each under a fifth of a core.
CHUNK_OVERHEAD_MAX_MS = 0.5
NEW_TOKENS = 200
PANES, CHUNKS = 4, 2000
QUESTION = "What is the capital of France?"


def raw_stream(model, tokenizer) -> tuple[float, float]:
    """(TTFT s, tokens/s) with bare transformers streaming, timed the way the playground times replies."""
    import torch
    from transformers import TextIteratorStreamer

    start = time.perf_counter()
    encoded = tokenizer.apply_chat_template([{"role": "user", "content": QUESTION}], add_generation_prompt=True,
                                            return_tensors="pt", return_dict=True)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=60)
    result = {}

    def generate():
        with torch.inference_mode():
            result["out"] = model.generate(**encoded, streamer=streamer, max_new_tokens=NEW_TOKENS, do_sample=False,
                                           temperature=None, top_p=None, top_k=None,
                                           pad_token_id=tokenizer.pad_token_id)

    thread = threading.Thread(target=generate)
    thread.start()
    first = last = None
    for text in streamer:
        if text:
            last = time.perf_counter()
            first = first or last
    thread.join()
    tokens = result["out"].shape[1] - encoded["input_ids"].shape[1]
    return first - start, (tokens - 1) / (last - first)


def app_stream(ref) -> tuple[float, float]:
    from backend import chat
    from backend.models import ChatMessage, ChatParams

    stats = None
    for item in chat.stream_reply(ref, [ChatMessage(role="user", content=QUESTION)],
                                  ChatParams(max_tokens=NEW_TOKENS, temperature=0)):
        if isinstance(item, chat.ReplyStats):
            stats = item
    return stats.first_token_s, stats.tokens_per_s


def stop_latency(ref) -> float:
    """Worst time, over a few replies, from Stop to the end of the reply's stream."""
    from backend import chat
    from backend.cancel import CancelToken
    from backend.models import ChatMessage, ChatParams

    worst = 0.0
    for _ in range(5):
        cancel = CancelToken()
        deltas = chat.stream_reply(ref, [ChatMessage(role="user", content=QUESTION)], ChatParams(max_tokens=100000),
                                   cancel)
        for count, _item in enumerate(deltas):
            if count == 20:
                stopped = time.perf_counter()
                cancel.cancel()
        worst = max(worst, time.perf_counter() - stopped)
    return worst * 1000


def local_figures() -> dict:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from backend.chat import ModelRef
    from backend.models import ProviderKind
    from tests.tiny_model import build_tiny_model

    folder = build_tiny_model(Path(tempfile.mkdtemp(prefix="tiny-")))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    ref = ModelRef(provider=ProviderKind.HF_LOCAL, model=str(folder))
    raw_stream(model, tokenizer), app_stream(ref)  # warm-up: imports, caches, the app's model load
    raw, app = [], []
    for i in range(RUNS):  # alternate which path runs first
        pair = (raw_stream(model, tokenizer), app_stream(ref)) if i % 2 == 0 else (None, app_stream(ref))
        if pair[0] is None:
            pair = (raw_stream(model, tokenizer), pair[1])
        raw.append(pair[0])
        app.append(pair[1])
    # Other programs share this machine's cores: the best run of each path is the least disturbed,
    # so the verdict compares best with best; medians are printed beside them.
    raw_ttft, app_ttft = min(r[0] for r in raw), min(a[0] for a in app)
    raw_rate, app_rate = max(r[1] for r in raw), max(a[1] for a in app)
    med = [statistics.median(x[i] for x in runs) for runs in (raw, app) for i in (0, 1)]
    print(f"tiny local model, {NEW_TOKENS} new tokens, best of {RUNS} (median):")
    print(f"  raw transformers: TTFT {raw_ttft * 1000:.1f} ms ({med[0] * 1000:.1f}), "
          f"{raw_rate:.0f} tokens/s ({med[1]:.0f})")
    print(f"  playground path:  TTFT {app_ttft * 1000:.1f} ms ({med[2] * 1000:.1f}), "
          f"{app_rate:.0f} tokens/s ({med[3]:.0f})")
    print(f"  TTFT overhead {(app_ttft - raw_ttft) * 1000:+.1f} ms, medians {(med[2] - med[0]) * 1000:+.1f} ms "
          f"(max +{TTFT_OVERHEAD_MAX_MS}); rate ratio {app_rate / raw_rate:.3f}, medians {med[3] / med[1]:.3f} "
          f"(min {TPS_RATIO_MIN})")
    stop_ms = stop_latency(ref)
    print(f"  Stop: the reply ended {stop_ms:.1f} ms after the cancel (max {STOP_MAX_MS})")
    return {"stop_ms": round(stop_ms, 2), "stop_max_ms": STOP_MAX_MS,
            "ttft_raw_ms": round(raw_ttft * 1000, 2), "ttft_app_ms": round(app_ttft * 1000, 2),
            "ttft_overhead_ms": round((app_ttft - raw_ttft) * 1000, 2),
            "ttft_overhead_median_ms": round((med[2] - med[0]) * 1000, 2), "ttft_overhead_max_ms": TTFT_OVERHEAD_MAX_MS,
            "tps_raw": round(raw_rate, 1), "tps_app": round(app_rate, 1), "tps_ratio": round(app_rate / raw_rate, 3),
            "tps_ratio_median": round(med[3] / med[1], 3), "tps_ratio_min": TPS_RATIO_MIN}


SERVER = """
import sys
sys.path.insert(0, {root!r})
from tests.fakes.openai_server import FakeOpenAI
fake = FakeOpenAI(check_spec=False).start()
fake.set_reply("".join(f"w{{i:04d}} " for i in range({chunks})), chunks={chunks})  # exactly {chunks} chunks
print(fake.base_url, fake.api_key, flush=True)
sys.stdin.read()
"""


def sdk_stream_seconds(base_url: str, api_key: str) -> float:
    """The reference for the panes' streams: the SDK alone reading the same four streams, one thread each."""
    import openai

    client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)
    counts = [0] * PANES

    def read(pane: int) -> None:
        stream = client.chat.completions.create(model="gpt-4o-mini-2024-07-18", stream=True,
                                                messages=[{"role": "user", "content": "Stream."}])
        counts[pane] = sum(1 for chunk in stream if chunk.choices and chunk.choices[0].delta.content)

    best = float("inf")
    for _ in range(3):
        threads = [threading.Thread(target=read, args=(pane,)) for pane in range(PANES)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        best = min(best, time.perf_counter() - started)
        assert counts == [CHUNKS] * PANES, counts
    return best


def gui_figures() -> dict:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from backend.chat import ModelRef
    from backend.models import Account, AccountKind, ProviderKind
    from backend.providers.openai import OpenAIProvider
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), chunks=CHUNKS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    base_url, api_key = server.stdout.readline().split()
    app = QApplication.instance() or QApplication([])
    page = PlaygroundPage(AppContext())
    account = Account(name="bench", kind=AccountKind.OPENAI, base_url=base_url)
    page.open_provider = lambda ref: OpenAIProvider(account=account, secret=api_key)
    page.compare([ModelRef(provider=ProviderKind.OPENAI, model="gpt-4o-mini-2024-07-18")] * PANES)
    page.resize(1280, 800)
    page.show()
    while any(t.running for t in page.warm_tasks):  # the SDK's first import happens when a model is picked
        app.processEvents()
        time.sleep(0.005)

    clock, gaps = QElapsedTimer(), []
    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(lambda: (gaps.append(clock.restart()) if clock.isValid() else clock.start()))

    def run(seconds_idle: float | None) -> float:
        gaps.clear()
        clock.invalidate()
        heartbeat.start()
        started = time.perf_counter()
        while time.perf_counter() - started < (seconds_idle or 0.1):  # the heartbeat runs before Send too
            app.processEvents()
            time.sleep(0.001)
        if seconds_idle is None:
            started = time.perf_counter()
            page.prompt.setPlainText("Stream.")
            page.send()  # its own cost on the GUI thread is part of the measured stall
            while any(p.busy for p in page.panes):
                app.processEvents()
                time.sleep(0.001)
        heartbeat.stop()
        return time.perf_counter() - started

    run(0.5)
    idle_worst = max(gaps[1:], default=0)
    run(None)  # the process's first Send also pays Qt's one-off costs (first text widget, bindings)
    cold_worst = max(gaps[1:], default=0)
    seconds = run(None)
    worst = max(gaps[1:], default=0)
    if os.environ.get("BENCH_DEBUG"):
        print("gaps over 20 ms at tick:", [(i, g) for i, g in enumerate(gaps) if g > 20], "of", len(gaps))
    replies = [p.state.turns[-1] for p in page.panes]
    received = [r.stats.tokens if r.stats else 0 for r in replies]
    errors = [r.error for r in replies if r.error]
    assert all(len(p.state.turns) == 4 for p in page.panes)
    reference = sdk_stream_seconds(base_url, api_key)
    server.stdin.close()
    server.wait(10)
    overhead_ms = (seconds - reference) * 1000 / (PANES * CHUNKS)
    print(f"GUI: {PANES} panes x {CHUNKS} chunks in {seconds:.2f} s, the SDK alone {reference:.2f} s: the page adds "
          f"{overhead_ms:.3f} ms per chunk (at most {CHUNK_OVERHEAD_MAX_MS}); chunks received {received} (all "
          f"{CHUNKS}); failed replies: {errors or 'none'} (none allowed)")
    print(f"  longest GUI-thread stall {worst} ms while streaming, {cold_worst} ms in the process's first Send, "
          f"{idle_worst} ms idle (budget {STALL_MAX_MS} each)")
    return {"gui_stall_ms": worst, "gui_stall_first_round_ms": cold_worst, "gui_stall_idle_ms": idle_worst,
            "gui_stall_max_ms": STALL_MAX_MS, "chunks_per_pane": CHUNKS,
            "all_chunks_received": all(n == CHUNKS for n in received), "failed_replies": len(errors),
            "stream_seconds": round(seconds, 2), "sdk_stream_seconds": round(reference, 2),
            "chunk_overhead_ms": round(overhead_ms, 4), "chunk_overhead_max_ms": CHUNK_OVERHEAD_MAX_MS}


def main() -> int:
    figures = {**local_figures(), **gui_figures()}
    checks = {
        "ttft": figures["ttft_overhead_ms"] <= TTFT_OVERHEAD_MAX_MS,
        "ttft_median": figures["ttft_overhead_median_ms"] <= TTFT_OVERHEAD_MAX_MS,
        "tps": figures["tps_ratio"] >= TPS_RATIO_MIN, "tps_median": figures["tps_ratio_median"] >= TPS_RATIO_MIN,
        "stop": figures["stop_ms"] <= STOP_MAX_MS,
        "stall": max(figures["gui_stall_ms"], figures["gui_stall_first_round_ms"],
                     figures["gui_stall_idle_ms"]) <= STALL_MAX_MS,
        "chunks": figures["all_chunks_received"], "no_failed_reply": figures["failed_replies"] == 0,
        "chunk_overhead": figures["chunk_overhead_ms"] <= CHUNK_OVERHEAD_MAX_MS,
    }
    figures["missed"] = sorted(name for name, ok in checks.items() if not ok)
    figures["pass"] = all(checks.values())
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
