"""Benchmark: the app's child-process trainer against a bare TRL SFTTrainer script, same model, data, settings.

Both train the tiny test model (LoRA, the app's resolved settings passed verbatim to the bare
script, and the same ``model_init_kwargs``: dtype and attention implementation) in fresh processes,
interleaved, best of ``REPEATS`` each. Speed is trained tokens over the time from the first step to
the end of training, measured by a callback in both. Every figure printed is checked, and the JSON on
the last line has ``pass`` only when all are met: the speed ratio (target >= 0.97), the same number of
trained tokens, the same attention implementation as transformers resolved it in each process, and the
app's extra peak memory (RSS, and GPU memory on CUDA) at most ``EXTRA_MEMORY`` of the bare script's.
Exits 1 when any misses. Uses CUDA (bf16) when present, else the CPU.
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

REPEATS = 4
TARGET = 0.97
EXTRA_MEMORY = 0.10  # the app's path (events callback, backend modules) may cost up to 10% more peak memory

BARE_SCRIPT = r'''
import json, sys, time
spec = json.load(open(sys.argv[1]))
from datasets import load_dataset
from peft import LoraConfig
from transformers import AutoTokenizer, TrainerCallback
from trl import SFTConfig, SFTTrainer

class Clock(TrainerCallback):
    def on_train_begin(self, args, state, control, **kwargs):
        self.begin = time.perf_counter()
    def on_train_end(self, args, state, control, **kwargs):
        self.end = time.perf_counter()

clock = Clock()
trainer = SFTTrainer(
    model=spec["model"], args=SFTConfig(**spec["args"], model_init_kwargs=spec["init"]),
    train_dataset=load_dataset("json", data_files=spec["data"], split="train"),
    processing_class=AutoTokenizer.from_pretrained(spec["model"]), peft_config=LoraConfig(**spec["lora"]),
    callbacks=[clock])
trainer.train()
tokens = [h["num_tokens"] for h in trainer.state.log_history if "num_tokens" in h][-1]
from backend.training.runner import peak_memory  # the same measurement as the app's trainer reports
attention = trainer.model.config._attn_implementation  # as transformers resolved it, like the app's train.log
print(json.dumps({"tokens": tokens, "seconds": clock.end - clock.begin, "attention": attention, **peak_memory()}))
'''


def app_run(model: Path, data: Path, options: dict) -> tuple[dict, Path]:
    from backend.models import Job, ProviderKind, TrainingConfig
    from backend.providers.hf_local import LocalProvider
    from backend.training import events as ev
    from backend.training import process

    provider = LocalProvider()
    config = TrainingConfig(provider=ProviderKind.HF_LOCAL, base_model=str(model), training_file=str(data),
                            options=options)
    job = provider.create_job(config, provider.prepare_data(config), Job(provider=ProviderKind.HF_LOCAL))
    process.wait(job.run_dir, timeout=1800)
    events = ev.read_events(Path(job.run_dir) / "events.jsonl")
    finished = events[-1]
    if finished.status != "succeeded":
        raise SystemExit(f"the app's run failed: {finished.message}")
    tokens = [e.tokens for e in events if e.tokens][-1]
    extra = finished.model_extra or {}
    log = (Path(job.run_dir) / "train.log").read_text(encoding="utf-8")
    attention = log.split("attention implementation: ")[1].split()[0]  # what the runner logged it resolved
    return {"tokens": tokens, "seconds": extra["train_seconds"], "attention": attention,
            "peak_rss_bytes": extra.get("peak_rss_bytes"), "peak_gpu_bytes": extra.get("peak_gpu_bytes")}, \
        Path(job.run_dir)


def bare_run(run_dir: Path, work: Path) -> dict:
    from backend.training.recipe import lora_arguments, model_init_kwargs, trainer_arguments
    from backend.training.spec import RunFolder

    spec = RunFolder(run_dir).read_spec()
    args = trainer_arguments(spec.settings, str(work / "bare-out"), evaluate=False)
    spec_file = work / "bare.json"
    spec_file.write_text(json.dumps({"model": spec.model_path, "data": str(run_dir / "data" / "train.jsonl"),
                                     "args": args, "lora": lora_arguments(spec.settings),
                                     "init": model_init_kwargs(spec.settings)}))  # the app's dtype and attention
    script = work / "bare_sft.py"
    script.write_text(BARE_SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(spec_file)], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    if result.returncode != 0:
        raise SystemExit(f"the bare TRL script failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    import torch

    from tests.tiny_model import build_tiny_model, sample_chats

    cuda = torch.cuda.is_available()
    with tempfile.TemporaryDirectory(prefix="fts-bench-") as tmp:
        work = Path(tmp)
        os.environ["FTS_HOME"] = str(work / "home")
        os.environ["HF_HUB_OFFLINE"] = "1"
        model = build_tiny_model(work / "tiny")
        data = work / "chats.jsonl"
        data.write_text("".join(json.dumps(c) + "\n" for c in sample_chats(2000)))
        options = {"adapter": "lora", "max_steps": 300 if cuda else 120, "batch_size": 32 if cuda else 8,
                   "gradient_accumulation_steps": 1, "max_length": 128, "save_steps": 100_000}
        apps, bares = [], []
        app, run_dir = app_run(model, data, options)  # the first app run also writes the settings the bare one uses
        for i in range(REPEATS):
            if i % 2:  # alternate which goes first, so a slow spell of the machine hits both alike
                bares.append(bare_run(run_dir, work))
                apps.append(app_run(model, data, options)[0])
            else:
                apps.append(app if i == 0 else app_run(model, data, options)[0])
                bares.append(bare_run(run_dir, work))
            app = apps[-1]
            print(f"round {i + 1}: app {app['tokens'] / app['seconds']:,.0f} tokens/s, "
                  f"bare TRL {bares[-1]['tokens'] / bares[-1]['seconds']:,.0f} tokens/s", flush=True)
    device = torch.cuda.get_device_name(0) if cuda else f"CPU ({torch.get_num_threads()} threads)"
    return report(apps, bares, cuda, device)


def report(apps: list[dict], bares: list[dict], cuda: bool, device: str) -> int:
    """Print every figure beside its target; the JSON's ``pass`` is all of them; 0 when all are met."""
    app = max(apps, key=lambda r: r["tokens"] / r["seconds"])
    bare = max(bares, key=lambda r: r["tokens"] / r["seconds"])
    app_speed, bare_speed = app["tokens"] / app["seconds"], bare["tokens"] / bare["seconds"]
    ratio = app_speed / bare_speed
    mib = 2**20
    rss = {"app": max(r["peak_rss_bytes"] for r in apps) / mib, "bare": max(r["peak_rss_bytes"] for r in bares) / mib}
    gpu = {"app": max(r["peak_gpu_bytes"] for r in apps) / mib,
           "bare": max(r["peak_gpu_bytes"] for r in bares) / mib} if cuda else None
    attention = {"app": sorted({r["attention"] for r in apps}), "bare": sorted({r["attention"] for r in bares})}
    checks = {  # name: (met, what was measured against what)
        "fast_enough": (ratio >= TARGET, f"app/bare speed {ratio:.3f} (target >= {TARGET})"),
        "same_tokens": (len({r["tokens"] for r in apps + bares}) == 1,  # every run, not only the fastest
                        f"tokens per run: app {app['tokens']:,}, bare {int(bare['tokens']):,}"),
        "same_attention": (attention["app"] == attention["bare"] and len(attention["app"]) == 1,
                           f"attention: app {', '.join(attention['app'])}, bare {', '.join(attention['bare'])}"),
        "rss_within": (rss["app"] - rss["bare"] <= EXTRA_MEMORY * rss["bare"],
                      f"extra peak RSS {rss['app'] - rss['bare']:+.1f} MiB of {rss['bare']:.0f} "
                      f"(target <= +{EXTRA_MEMORY:.0%})"),
    }
    if gpu is not None:
        checks["gpu_within"] = (gpu["app"] - gpu["bare"] <= EXTRA_MEMORY * gpu["bare"],
                               f"extra peak GPU memory {gpu['app'] - gpu['bare']:+.1f} MiB of {gpu['bare']:.0f} "
                               f"(target <= +{EXTRA_MEMORY:.0%})")
    print(f"device: {device}")
    print(f"app (child process, events file): {app_speed:,.0f} tokens/s")
    print(f"bare TRL SFTTrainer script:        {bare_speed:,.0f} tokens/s")
    for name, (met, text) in checks.items():
        print(f"{'ok  ' if met else 'MISS'} {text}")
    figures = {"device": device, "app_tokens_per_s": round(app_speed, 1), "bare_tokens_per_s": round(bare_speed, 1),
               "ratio": round(ratio, 3), "target_min": TARGET, "app_tokens": app["tokens"], "bare_tokens": int(bare["tokens"]),
               "attention": attention, "extra_peak_rss_mib": round(rss["app"] - rss["bare"], 1),
               "extra_peak_gpu_mib": None if gpu is None else round(gpu["app"] - gpu["bare"], 1),
               "extra_memory_max": EXTRA_MEMORY, **{name: met for name, (met, _) in checks.items()},
               "pass": all(met for met, _ in checks.values())}
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
