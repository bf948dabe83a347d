"""Benchmark: the app's child-process trainer against a bare TRL SFTTrainer script, same model, data, settings.

Both train the tiny test model (LoRA, the app's resolved settings passed verbatim to the bare
script) in fresh processes, interleaved, best of ``REPEATS`` each. Speed is trained tokens over
the time from the first step to the end of training, measured by a callback in both. Prints the
tokens/s of each, their ratio (target >= 0.97) and the app's extra peak memory; the last line is
JSON. Uses CUDA (bf16) when present, else the CPU.
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
    model=spec["model"], args=SFTConfig(**spec["args"], model_init_kwargs={"dtype": spec["dtype"]}),
    train_dataset=load_dataset("json", data_files=spec["data"], split="train"),
    processing_class=AutoTokenizer.from_pretrained(spec["model"]), peft_config=LoraConfig(**spec["lora"]),
    callbacks=[clock])
trainer.train()
tokens = [h["num_tokens"] for h in trainer.state.log_history if "num_tokens" in h][-1]
from backend.training.runner import peak_memory  # the same measurement as the app's trainer reports
print(json.dumps({"tokens": tokens, "seconds": clock.end - clock.begin, **peak_memory()}))
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
    return {"tokens": tokens, "seconds": extra["train_seconds"], "peak_rss_bytes": extra.get("peak_rss_bytes"),
            "peak_gpu_bytes": extra.get("peak_gpu_bytes")}, Path(job.run_dir)


def bare_run(run_dir: Path, work: Path) -> dict:
    from backend.training.recipe import lora_arguments, model_dtype, trainer_arguments
    from backend.training.spec import RunFolder

    spec = RunFolder(run_dir).read_spec()
    args = trainer_arguments(spec.settings, str(work / "bare-out"), evaluate=False)
    spec_file = work / "bare.json"
    spec_file.write_text(json.dumps({"model": spec.model_path, "data": str(run_dir / "data" / "train.jsonl"),
                                     "args": args, "lora": lora_arguments(spec.settings),
                                     "dtype": model_dtype(spec.settings)}))
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
    app = max(apps, key=lambda r: r["tokens"] / r["seconds"])
    bare = max(bares, key=lambda r: r["tokens"] / r["seconds"])
    app_speed, bare_speed = app["tokens"] / app["seconds"], bare["tokens"] / bare["seconds"]
    ratio = app_speed / bare_speed
    extra_rss = (max(r["peak_rss_bytes"] for r in apps) - max(r["peak_rss_bytes"] for r in bares)) / 2**20
    extra_gpu = None
    if cuda:
        extra_gpu = (max(r["peak_gpu_bytes"] for r in apps) - max(r["peak_gpu_bytes"] for r in bares)) / 2**20
    device = torch.cuda.get_device_name(0) if cuda else f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {device}; tokens per run: app {app['tokens']:,}, bare {bare['tokens']:,}")
    print(f"app (child process, events file): {app_speed:,.0f} tokens/s")
    print(f"bare TRL SFTTrainer script:        {bare_speed:,.0f} tokens/s")
    print(f"ratio app/bare: {ratio:.3f} (target >= {TARGET})")
    print(f"extra peak memory of the app's path: {extra_rss:+.1f} MiB RSS"
          + (f", {extra_gpu:+.1f} MiB GPU" if extra_gpu is not None else ""))
    figures = {"device": device, "app_tokens_per_s": round(app_speed, 1), "bare_tokens_per_s": round(bare_speed, 1),
               "ratio": round(ratio, 3), "target_min": TARGET, "extra_peak_rss_mib": round(extra_rss, 1),
               "extra_peak_gpu_mib": None if extra_gpu is None else round(extra_gpu, 1),
               "same_tokens": app["tokens"] == bare["tokens"], "pass": ratio >= TARGET}
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
