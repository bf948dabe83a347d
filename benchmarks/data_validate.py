"""Benchmark: the project's validator against a straightforward reference of the cookbook procedure, and
against the limit that token counting sets.

Generates chat JSONL of each size (mixed lengths and languages, tool calls, 1 invalid line in 5000) in a
temporary folder, then runs in separate subprocesses, one after another:
- the validator: ``backend.data.validate_file``;
- the limit: the validator's own encode call (``tokens.ordinary_counter``: tiktoken's core, ids in one
  buffer) over exactly the strings the validator encodes: the file is parsed once and each example goes
  through the validator's ``TokenCounter`` with a recorder in place of the encoder, so strings the validator
  serves from its cache (a shared system prompt, tool lists) are not encoded by the limit either; the strings
  are saved, and a fresh process times only their encoding. Single-core tokens/s x cores is the limit (it
  assumes the cores scale perfectly, which no machine quite does: the share is a lower bound);
- the reference: read all lines, json.loads each, check each message, tiktoken-encode each string.
The validator and the limit run ``--repeat`` times in turn (so both meet the same moments of the machine),
the reference as often, and the best time of each counts: every side is treated alike.
Peak RSS is the largest sum over a process tree (sampled with psutil every 100 ms; the process list is
refreshed every second so the sampler itself stays under a few % of a core), so the validator's worker
processes count.

Every figure printed is checked, and all of them make ``pass`` (exit 1 when any misses):
- examples and errors: the validator's counts equal what was generated (every line, one error per 5000);
- same_tokens: its token total equals ``count_tokens`` (tiktoken's ``encode_ordinary`` and the cookbook's
  framing, an independent path) over the same examples: no line lost or counted twice across ranges;
- share of the limit >= 70%, the reference's time / the validator's >= 1.6, validator peak RSS < 300 MB;
- quiet machine: other programs kept at most 10% of the cores busy during the runs (system CPU time minus
  this benchmark's and its children's); on a busier machine the timings say nothing either way.
Ends with one JSON line of figures, targets and "pass".

    .venv/bin/python benchmarks/data_validate.py [--sizes 200] [--repeat 2]   # a few minutes
    .venv/bin/python benchmarks/data_validate.py --sizes 200,1024            # with the 1 GB run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
#: Figures taken while other programs keep more of the cores busy than this are not evidence either way.
MAX_OTHERS = 0.10

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

STRINGS = r'''
import json, marshal, sys
from backend.data.canonical import CanonicalExample
from backend.data.scan import TokenCounter
from backend.data.tokens import count_tokens
strings, expected_total, size = [], 0, 0
recorder = TokenCounter("o200k_base")  # the validator's counter, its cache included; it records instead of encoding
recorder._tokens_in = lambda text: strings.append(text) or 0
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for raw in f:
        try:
            ex = json.loads(raw)
        except ValueError:
            continue
        example = CanonicalExample(0, ex["messages"], ex.get("tools"))
        recorder.example(example)
        expected_total += count_tokens(example)  # independent: encode_ordinary and example_parts
        size += len(raw)
        if size > 64 << 20:  # in slices, so that neither this run nor the limit's holds them all
            marshal.dump(strings, out)
            strings, size = [], 0
    marshal.dump(strings, out)
print(json.dumps({"expected_total": expected_total}))
'''

LIMIT = r'''
import json, marshal, sys, time
from backend.data.tokens import ordinary_counter
count = ordinary_counter("o200k_base")  # the validator's encode call, the validator's encoding
for s in ("warm", "up"):
    count(s)
tokens, seconds = 0, 0.0
with open(sys.argv[2], "rb") as f:
    while True:
        try:
            strings = marshal.load(f)
        except EOFError:
            break
        t0 = time.perf_counter()  # only the encoding is timed
        for s in strings:
            tokens += count(s)
        seconds += time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "tokens": tokens}))
'''

VALIDATOR = r'''
import json, sys, time
from backend.data.validate import validate_file  # app start-up, like the reference's tiktoken import
from backend.providers.openai import OpenAIProvider
t0 = time.perf_counter()
r = validate_file(sys.argv[1], profile=OpenAIProvider.data, model="gpt-4o-mini")
from backend.data.parallel import usable_cores
print(json.dumps({"seconds": time.perf_counter() - t0, "examples": r.stats.examples,
                  "tokens": r.stats.total_tokens, "errors": r.error_count, "cores": usable_cores()}))
'''


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle, all cores together."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _own_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (their workers included)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_measured(code: str, path: Path, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; return its JSON output, the peak RSS of its process tree, and
    the share of the machine's cores that other programs kept busy meanwhile (``others``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FTS_HOME": os.environ["FTS_HOME"]}
    busy0, own0, wall0 = _busy_seconds(), _own_seconds(), time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), *args], stdout=subprocess.PIPE, cwd=ROOT,
                            env=env)
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
    others = (_busy_seconds() - busy0) - (_own_seconds() - own0)
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak / 2**20
    result["others"] = max(0.0, others) / ((time.monotonic() - wall0) * (psutil.cpu_count() or 1))
    return result


def check(row: dict, name: str, ok: bool) -> bool:
    row.setdefault("checks", {})[name] = bool(ok)
    return bool(ok)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200", help="file sizes in MB, comma-separated (1024: the 1 GB run)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of the validator, the limit and the "
                        "reference, of which the best of each counts (every side alike)")
    parser.add_argument("--reference-max-mb", type=int, default=1024,
                        help="skip the reference (it holds the whole file) above this size")
    args = parser.parse_args()
    figures: dict = {"sizes_mb": [], "target_ratio": TARGET_RATIO, "target_share_of_limit": TARGET_SHARE_OF_LIMIT,
                     "target_rss_mb": TARGET_RSS_MB, "max_others_busy": MAX_OTHERS}
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
            strings = Path(tmp) / "strings.marshal"
            expected = run_measured(STRINGS, path, str(strings))["expected_total"]
            runs, limits = [], []
            for _ in range(max(1, args.repeat)):  # in turn, so that both sides meet the same moments of the machine
                runs.append(run_measured(VALIDATOR, path))
                limits.append(run_measured(LIMIT, path, str(strings)))
            strings.unlink()
            v, lim = min(runs, key=lambda r: r["seconds"]), min(limits, key=lambda r: r["seconds"])
            peak = max(r["peak_rss_mb"] for r in runs)
            cores = v["cores"]
            errors = lines // 5000
            print(f"validator : {v['seconds']:7.2f} s (best of {len(runs)}) on {cores} cores; {v['examples']:,} "
                  f"examples (expected {lines:,}), {v['errors']:,} errors (expected {errors:,}); peak RSS "
                  f"{peak:4.0f} MB (target < {TARGET_RSS_MB})", flush=True)
            row.update(validator_s=round(v["seconds"], 3), cores=cores, validator_examples=v["examples"],
                       validator_errors=v["errors"], validator_tokens=v["tokens"], validator_peak_rss_mb=round(peak, 1))
            ok &= check(row, "examples", v["examples"] == lines and all(r["examples"] == lines for r in runs))
            ok &= check(row, "errors", v["errors"] == errors and all(r["errors"] == errors for r in runs))
            ok &= check(row, "rss", peak < TARGET_RSS_MB)
            same = v["tokens"] == expected and all(r["tokens"] == v["tokens"] for r in runs)
            print(f"tokens    : {v['tokens']:,} counted; count_tokens over the same examples: "
                  f"{expected:,} ({'same' if same else 'DIFFERENT'})", flush=True)
            row.update(expected_tokens=expected)
            ok &= check(row, "same_tokens", same)
            single = lim["tokens"] / lim["seconds"]
            limit_tps = single * cores
            validator_tps = lim["tokens"] / v["seconds"]  # the same strings, which it encodes with the same call
            share = validator_tps / limit_tps
            print(f"limit     : the {lim['tokens']:,} tokens of the strings the validator encodes, encoded "
                  f"in {lim['seconds']:.2f} s (best of {len(limits)}) on one core = {single:12,.0f} tokens/s x {cores} = "
                  f"{limit_tps:12,.0f} "
                  f"tokens/s; the validator's {validator_tps:12,.0f} reach {share:.1%} (target >= "
                  f"{TARGET_SHARE_OF_LIMIT:.0%})", flush=True)
            row.update(limit_tokens=lim["tokens"], limit_single_core_s=round(lim["seconds"], 3),
                       limit_tokens_per_s=round(limit_tps), validator_encoded_tokens_per_s=round(validator_tps),
                       share_of_limit=round(share, 3))
            ok &= check(row, "share_of_limit", share >= TARGET_SHARE_OF_LIMIT)
            others = [r["others"] for r in runs + limits]
            if size_mb <= args.reference_max_mb:
                refs = [run_measured(REFERENCE, path) for _ in range(max(1, args.repeat))]
                others += [r["others"] for r in refs]
                ref = min(refs, key=lambda r: r["seconds"])
                ratio = ref["seconds"] / v["seconds"]
                print(f"reference : {ref['seconds']:7.2f} s (best of {max(1, args.repeat)}); the validator is "
                      f"{ratio:.2f}x as fast "
                      f"(target >= {TARGET_RATIO})", flush=True)
                row.update(reference_s=round(ref["seconds"], 3), ratio=round(ratio, 3))
                ok &= check(row, "ratio", ratio >= TARGET_RATIO)
            else:
                print(f"reference : skipped above {args.reference_max_mb} MB (it reads the whole file into memory)")
            busiest = max(others)
            print(f"machine   : other programs kept up to {busiest:.0%} of the cores busy during the runs "
                  f"(at most {MAX_OTHERS:.0%} for the figures to count)", flush=True)
            row.update(others_busy=round(busiest, 3))
            ok &= check(row, "quiet_machine", busiest <= MAX_OTHERS)
            figures["sizes_mb"].append(row)
            path.unlink()
    figures["pass"] = bool(ok)
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
