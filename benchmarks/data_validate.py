"""Benchmark: the project's validator against a straightforward reference of the cookbook procedure.

Generates chat JSONL of each size (mixed lengths and languages, tool calls, a few invalid lines) in a
temporary folder, then runs in separate subprocesses, one after another:
- the reference: read all lines, json.loads each, check each message, tiktoken-encode each string;
- the limit: single-core ``encode_ordinary`` over the same strings, already parsed (time of encoding only);
- the validator: ``backend.data.validate_file``;
- for information, the limit's encode loop in as many processes as cores at once, over a slice of the
  file: how far this machine's cores scale together (the limit assumes they scale perfectly).
Peak RSS is the largest sum over a process tree (sampled with psutil every 100 ms; the
process list is refreshed every second so the sampler itself stays under a few % of a core), so the validator's
worker processes count. Ends with one JSON line of figures, targets and "pass".

    .venv/bin/python benchmarks/data_validate.py [--sizes 200,1024] (MB)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.6
TARGET_SHARE_OF_LIMIT = 0.70
TARGET_RSS_MB = 300

_WORDS = {
    "en": "the model answers questions about invoices shipping dates refunds and the weather in plain words".split(),
    "fr": "le modèle répond aux questions sur les factures les dates de livraison et les remboursements".split(),
    "de": "das Modell beantwortet Fragen zu Rechnungen Lieferterminen Rückerstattungen und dem Wetter".split(),
    "ja": "モデル は 請求書 配送日 返金 天気 について の 質問 に 答えます".split(),
    "zh": "模型 回答 关于 发票 发货 日期 退款 和 天气 的 问题".split(),
    "ru": "модель отвечает на вопросы о счетах датах доставки возвратах и погоде".split(),
    "code": "def f(x): return x + 1 # sum over items in list for i in range(10) print(i)".split(),
}
_TOOLS = [{"type": "function", "function": {"name": "get_order", "description": "Look up an order by id",
                                            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}]


class _Writer:
    """Unique examples, fast: messages are random picks from pools of sentences plus a serial number,
    so strings (and lines) almost never repeat, as in real data, except the shared system prompt."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.pools = [[" ".join(self.rng.choice(words) for _ in range(self.rng.randint(4, 24))) for _ in range(400)]
                      for words in _WORDS.values()]

    def text(self, n_sentences: int, i: int) -> str:
        pool = self.rng.choice(self.pools)
        return " ".join(self.rng.choice(pool) for _ in range(n_sentences)) + f" ({i})"

    def example(self, i: int) -> dict:
        rng = self.rng
        length = min(200, int(rng.lognormvariate(1.0, 1.0)) + 1)  # sentences: mostly short, a long tail
        messages = [{"role": "system", "content": "You are a helpful support assistant."}] if rng.random() < 0.5 else []
        for _ in range(1 + int(rng.random() < 0.3)):
            messages.append({"role": "user", "content": self.text(max(1, length // 3), i)})
            messages.append({"role": "assistant", "content": self.text(length, i)})
        if rng.random() < 0.1:  # a tool call answered by a tool result
            call = {"id": f"call_{i}", "type": "function",
                    "function": {"name": "get_order", "arguments": f'{{"id": "A{i}"}}'}}
            messages[-1:] = [{"role": "assistant", "tool_calls": [call]},
                             {"role": "tool", "tool_call_id": f"call_{i}", "content": '{"status": "shipped"}'},
                             messages[-1]]
            return {"messages": messages, "tools": _TOOLS}
        return {"messages": messages}


def generate(path: Path, size_bytes: int, seed: int = 0) -> int:
    """Write about ``size_bytes`` of chat JSONL with 1 invalid line in 5000; returns the line count."""
    writer, lines, written = _Writer(seed), 0, 0
    with open(path, "wb", buffering=1 << 20) as f:
        while written < size_bytes:
            lines += 1
            if lines % 5000 == 0:
                raw = b'{"messages": [{"role": "user"\n'
            else:
                raw = (json.dumps(writer.example(lines), ensure_ascii=False) + "\n").encode()
            f.write(raw)
            written += len(raw)
    return lines


REFERENCE = r'''
import json, sys, time, tiktoken
from backend.data.tokens import ensure_tiktoken_offline
ensure_tiktoken_offline()
enc = tiktoken.get_encoding("o200k_base")
t0 = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as f:
    lines = f.readlines()
errors = examples = tokens = 0
for line in lines:
    try:
        ex = json.loads(line)
    except ValueError:
        errors += 1; continue
    examples += 1
    messages = ex.get("messages")
    if not messages:
        errors += 1; continue
    for m in messages:
        if "role" not in m or ("content" not in m and "tool_calls" not in m):
            errors += 1
        if any(k not in ("role", "content", "name", "weight", "tool_calls", "tool_call_id") for k in m):
            errors += 1
        if m.get("role") not in ("system", "user", "assistant", "tool"):
            errors += 1
        for v in m.values():
            if isinstance(v, str):
                tokens += len(enc.encode(v))
    if not any(m.get("role") == "assistant" for m in messages):
        errors += 1
print(json.dumps({"seconds": time.perf_counter() - t0, "examples": examples, "tokens": tokens, "errors": errors}))
'''

LIMIT = r'''
import json, sys, time, tiktoken
from backend.data.tokens import ensure_tiktoken_offline, example_parts
ensure_tiktoken_offline()
enc = tiktoken.get_encoding("o200k_base")
budget, strings, tokens, seconds = 64 << 20, [], 0, 0.0
stop_after = int(sys.argv[2]) if len(sys.argv) > 2 else None  # bytes: the ceiling run reads only a slice
barrier = sys.argv[3:5]  # the ceiling run: a folder and a count of processes that start encoding together
def run():
    global strings, tokens, seconds
    t0 = time.perf_counter()
    for s in strings:
        tokens += len(enc.encode_ordinary(s))
    seconds += time.perf_counter() - t0
    strings = []
with open(sys.argv[1], "rb") as f:
    size = 0
    for raw in f:
        try:
            ex = json.loads(raw)
        except ValueError:
            continue
        texts, _ = example_parts(ex["messages"], ex.get("tools"))
        strings += texts
        size += len(raw)
        if size > budget:  # parse in slices so the limit run itself stays small
            run(); size = 0
        if stop_after is not None and f.tell() >= stop_after:
            break
if barrier:
    import os, tempfile
    tempfile.NamedTemporaryFile(dir=barrier[0], delete=False).close()
    while len(os.listdir(barrier[0])) < int(barrier[1]):
        time.sleep(0.001)
run()
print(json.dumps({"seconds": seconds, "tokens": tokens}))
'''

VALIDATOR = r'''
import json, sys, time
from backend.data.validate import validate_file  # app start-up, like the reference's tiktoken import
t0 = time.perf_counter()
r = validate_file(sys.argv[1], provider="openai", model="gpt-4o-mini")
from backend.data.parallel import usable_cores
print(json.dumps({"seconds": time.perf_counter() - t0, "examples": r.stats.examples,
                  "tokens": r.stats.total_tokens, "errors": r.error_count, "cores": usable_cores()}))
'''


def run_measured(code: str, path: Path) -> dict:
    """Run ``code`` in a fresh interpreter; return its JSON output plus the peak RSS of its process tree."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FTS_HOME": os.environ["FTS_HOME"]}
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, cwd=ROOT, env=env)
    parent, peak, tree, listed = psutil.Process(proc.pid), 0, [], 0.0
    try:
        while proc.poll() is None:
            try:
                if time.monotonic() - listed > 1.0:  # listing /proc is the costly part: once a second
                    tree, listed = [parent] + parent.children(recursive=True), time.monotonic()
                total = 0
                for p in tree:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        listed = 0.0
                peak = max(peak, total)
            except psutil.Error:
                pass
            time.sleep(0.1)
    finally:
        if proc.poll() is None:  # interrupted: leave nothing running
            for child in parent.children(recursive=True):
                child.kill()
            proc.kill()
    out = proc.stdout.read().decode()
    if proc.returncode:
        raise SystemExit(f"benchmark subprocess failed ({proc.returncode}): {out}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak / 2**20
    return result


CEILING_SLICE_MB = 48


def encode_ceiling(path: Path, processes: int, stop_after: int) -> float:
    """Tokens/s of ``processes`` copies of the limit's encode loop running at once over the file's first
    ``stop_after`` bytes: what the cores deliver together, which on shared or SMT cores is less than
    their number times one alone."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as barrier:  # each process parses its slice, then all encode at once
        procs = [subprocess.Popen([sys.executable, "-c", LIMIT, str(path), str(stop_after), barrier, str(processes)],
                                  stdout=subprocess.PIPE, cwd=ROOT, env=env) for _ in range(processes)]
        outs = [json.loads(p.communicate()[0].decode().strip().splitlines()[-1]) for p in procs]
    return sum(o["tokens"] / o["seconds"] for o in outs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1024", help="file sizes in MB, comma-separated")
    parser.add_argument("--reference-max-mb", type=int, default=1024,
                        help="skip the reference (it holds the whole file) above this size")
    args = parser.parse_args()
    figures: dict = {"sizes_mb": [], "target_ratio": TARGET_RATIO, "target_share_of_limit": TARGET_SHARE_OF_LIMIT,
                     "target_rss_mb": TARGET_RSS_MB}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        # One app home for every run, warmed once: the app's token caches exist after its first use.
        os.environ.setdefault("FTS_HOME", str(Path(tmp) / "home"))
        warm = Path(tmp) / "warm.jsonl"
        generate(warm, 1 << 16)
        run_measured(VALIDATOR, warm)
        for size_mb in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"chats-{size_mb}mb.jsonl"
            lines = generate(path, size_mb << 20)
            os.sync()  # the file's write-back must not run during the first measurement
            print(f"\n== {size_mb} MB, {lines:,} lines ==", flush=True)
            row: dict = {"size_mb": size_mb, "lines": lines}
            v = run_measured(VALIDATOR, path)
            cores = v["cores"]
            print(f"validator : {v['seconds']:7.2f} s  {v['examples'] / v['seconds']:10,.0f} examples/s  "
                  f"{v['tokens'] / v['seconds']:12,.0f} tokens/s (with framing)  peak RSS {v['peak_rss_mb']:6.0f} MB  ({cores} cores)")
            row.update(validator_s=round(v["seconds"], 3), validator_tokens_per_s=round(v["tokens"] / v["seconds"]),
                       validator_examples_per_s=round(v["examples"] / v["seconds"]),
                       validator_peak_rss_mb=round(v["peak_rss_mb"], 1), cores=cores)
            ok &= v["peak_rss_mb"] < TARGET_RSS_MB
            lim = run_measured(LIMIT, path)
            limit_tps = lim["tokens"] / lim["seconds"] * cores
            # Compared on the same encoded strings: the validator's own count adds the cookbook's framing
            # tokens, which are not encoded, so its tokens/s would flatter it by ~7%.
            validator_tps = lim["tokens"] / v["seconds"]
            share = validator_tps / limit_tps
            print(f"limit     : single-core encode_ordinary {lim['tokens'] / lim['seconds']:12,.0f} tokens/s x {cores} "
                  f"= {limit_tps:12,.0f} tokens/s; validator {validator_tps:12,.0f} encoded tokens/s reaches "
                  f"{share:.0%} (target >= {TARGET_SHARE_OF_LIMIT:.0%})")
            row.update(limit_tokens_per_s=round(limit_tps), validator_encoded_tokens_per_s=round(validator_tps),
                       share_of_limit=round(share, 3))
            ok &= share >= TARGET_SHARE_OF_LIMIT
            ceiling = encode_ceiling(path, cores, min(size_mb, CEILING_SLICE_MB) << 20)
            print(f"ceiling   : {cores} processes of pure encode_ordinary at once reach {ceiling:12,.0f} tokens/s = "
                  f"{ceiling / limit_tps:.0%} of the limit (how this machine's cores scale; for information)")
            row.update(encode_ceiling_tokens_per_s=round(ceiling), encode_ceiling_share=round(ceiling / limit_tps, 3))
            if size_mb <= args.reference_max_mb:
                ref = run_measured(REFERENCE, path)
                ratio = ref["seconds"] / v["seconds"]
                print(f"reference : {ref['seconds']:7.2f} s  {ref['examples'] / ref['seconds']:10,.0f} examples/s  "
                      f"{ref['tokens'] / ref['seconds']:12,.0f} tokens/s  peak RSS {ref['peak_rss_mb']:6.0f} MB")
                print(f"ratio     : validator is {ratio:.2f}x the reference (target >= {TARGET_RATIO})")
                row.update(reference_s=round(ref["seconds"], 3), reference_peak_rss_mb=round(ref["peak_rss_mb"], 1),
                           ratio=round(ratio, 3))
                ok &= ratio >= TARGET_RATIO
            else:
                print(f"reference : skipped above {args.reference_max_mb} MB (it reads the whole file into memory)")
            figures["sizes_mb"].append(row)
            path.unlink()
    figures["pass"] = bool(ok)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
