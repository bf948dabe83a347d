"""Benchmark: the app's GGUF conversion against calling llama.cpp's converter directly, on the same merged folder.

The tiny test model is trained briefly by the app and merged once by the app's own export step; then, in fresh
processes, interleaved, best of ``REPEATS`` each, for each quantization this computer can write:
- the app: ``backend.training.gguf_run.convert`` (the child process, its progress lines and cancel polling);
- direct: ``convert_hf_to_gguf.main()`` of the vendored llama.cpp (then ``llama_model_quantize`` for Q4_K_M).
The direct call gets the one addition the app makes to the converter (an unlisted plain byte-level BPE tokenizer
is given llama.cpp's "gpt-2" pre-tokenizer), without which llama.cpp refuses the tiny model's own tokenizer.
Time is the wall clock of the whole conversion (process start included), memory the converter process's peak
RSS. Targets: app/direct at most ``TARGET`` for both, and byte-identical GGUF files. Exits 1 on any miss.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPEATS = 3
TARGET = 1.10

# Each measurement runs in a wrapper process: its RUSAGE_CHILDREN peak is the converter's alone.
APP = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from backend.cancel import CancelToken
from backend.training.gguf_run import convert

class Steps:
    def step(self, message, units=0, *, stoppable=True):
        pass

start = time.perf_counter()
convert(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], steps=Steps(), units=0, cancel=CancelToken())
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
'''

DIRECT_CHILD = r'''
import sys
from pathlib import Path
vendored = Path(sys.argv[1]) / "third_party" / "llama_cpp"
sys.path[:0] = [str(vendored), str(vendored / "gguf-py")]
import convert_hf_to_gguf
from conversion.base import TextModel
original = TextModel.get_vocab_base_pre
def pre(self, tokenizer):
    try:
        return original(self, tokenizer)
    except NotImplementedError:
        return "gpt-2"
TextModel.get_vocab_base_pre = pre
model, out, quant = sys.argv[2:5]
first = out + ".f16" if quant == "Q4_K_M" else out
sys.argv = ["convert_hf_to_gguf.py", model, "--outfile", first, "--outtype", {"F16": "f16", "Q8_0": "q8_0"}.get(quant, "f16")]
convert_hf_to_gguf.main()
if quant == "Q4_K_M":
    import ctypes, os, llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.nthread = 15, os.cpu_count() or 1
    assert llama_cpp.llama_model_quantize(first.encode(), out.encode(), ctypes.byref(params)) == 0
    os.unlink(first)
'''

DIRECT = r'''
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.executable, sys.argv[5], *sys.argv[1:5]], check=True, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL, env={**__import__("os").environ, "TQDM_DISABLE": "1"})
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
'''


def measure(script: str, *args: str) -> dict:
    run = subprocess.run([sys.executable, "-c", script, str(ROOT), *args], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        raise SystemExit(f"a conversion failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def merged_model(work: Path) -> Path:
    """Train the tiny model briefly with the app and merge it with the export's own step."""
    from backend.cancel import CancelToken
    from backend.models import Job, ProviderKind, TrainingConfig
    from backend.providers.hf_local import LocalProvider
    from backend.training import export, process
    from backend.training.spec import RunFolder
    from tests.tiny_model import build_tiny_model, sample_chats

    model = build_tiny_model(work / "tiny")
    data = work / "chats.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in sample_chats(40)))
    provider = LocalProvider()
    config = TrainingConfig(provider=ProviderKind.HF_LOCAL, base_model=str(model), training_file=str(data),
                            options={"adapter": "lora", "max_steps": 5, "batch_size": 8, "save_steps": 100_000})
    job = provider.create_job(config, provider.prepare_data(config), Job(provider=ProviderKind.HF_LOCAL))
    process.wait(job.run_dir, timeout=1800)
    folder = RunFolder(job.run_dir)
    merged = work / "merged"
    merged.mkdir()
    export._stage_model(folder.read_spec(), folder, merged, export._Steps(1, None, CancelToken()), 0)
    from backend.training.gguf import strip_training_markers

    strip_training_markers(merged)
    return merged


def main() -> int:
    from backend.training.gguf import QUANTS, quant_missing

    missed, results = [], {}
    with tempfile.TemporaryDirectory(prefix="fts-bench-gguf-") as tmp:
        work = Path(tmp)
        os.environ["FTS_HOME"] = str(work / "home")
        os.environ["HF_HUB_OFFLINE"] = "1"
        merged = merged_model(work)
        direct_child = work / "direct_child.py"
        direct_child.write_text(DIRECT_CHILD)
        for quant in [q for q in QUANTS if quant_missing(q) is None]:
            apps, directs = [], []
            for i in range(REPEATS):
                app_out, direct_out = work / f"app-{quant}-{i}.gguf", work / f"direct-{quant}-{i}.gguf"
                pair = [lambda: apps.append(measure(APP, str(merged), str(app_out), quant)),
                        lambda: directs.append(measure(DIRECT, str(merged), str(direct_out), quant,
                                                       str(direct_child)))]
                for run in (pair if i % 2 == 0 else pair[::-1]):  # alternate which goes first
                    run()
                same = app_out.read_bytes() == direct_out.read_bytes()
                if not same:
                    missed.append(f"{quant}: the app's GGUF differs from the direct converter's")
            app_s, direct_s = min(a["seconds"] for a in apps), min(d["seconds"] for d in directs)
            app_m, direct_m = min(a["peak_rss_kib"] for a in apps), min(d["peak_rss_kib"] for d in directs)
            time_ratio, memory_ratio = app_s / direct_s, app_m / direct_m
            print(f"{quant}: app {app_s:.2f} s, direct {direct_s:.2f} s (ratio {time_ratio:.3f}, target <= {TARGET}); "
                  f"peak RSS app {app_m / 1024:.0f} MiB, direct {direct_m / 1024:.0f} MiB "
                  f"(ratio {memory_ratio:.3f}, target <= {TARGET}); identical files: {same}", flush=True)
            results[quant] = {"time_ratio": round(time_ratio, 3), "memory_ratio": round(memory_ratio, 3),
                              "app_seconds": round(app_s, 2), "direct_seconds": round(direct_s, 2)}
            if time_ratio > TARGET:
                missed.append(f"{quant}: time ratio {time_ratio:.3f} > {TARGET}")
            if memory_ratio > TARGET:
                missed.append(f"{quant}: memory ratio {memory_ratio:.3f} > {TARGET}")
        for quant in QUANTS:
            if quant not in results:
                print(f"{quant}: not measured: {quant_missing(quant)}")
    print(json.dumps({"results": results, "missed": missed, "pass": not missed}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
