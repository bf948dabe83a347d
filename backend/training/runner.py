"""The child process: read the run's spec, train with TRL, report every step to ``events.jsonl``.

Runs as ``python -m backend.training RUN_DIR [--resume]`` in its own session, so it outlives
the app. Its stdout and stderr go to ``output.log``; its own log to ``train.log``; everything the
app shows comes from the events file. Every failure ends with an ``error`` event holding a
sentence the user can act on, and a ``finished`` event.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

from backend.errors import InvalidInput, StudioError
from backend.training import events as ev
from backend.training import process
from backend.training.recipe import DATA_FILES, lora_arguments, model_init_kwargs, trainer_arguments
from backend.training.spec import RunFolder, RunSpec

log = logging.getLogger("backend.training")


def _quiet_libraries() -> None:
    """No progress bars or banners: the events file is the only progress report."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_warning()


def _setup_log(folder: RunFolder) -> None:
    handler = logging.FileHandler(folder.log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    logging.captureWarnings(True)


def plain_sentence(exc: BaseException) -> str:
    """What went wrong, in words a user can act on."""
    if isinstance(exc, StudioError):
        return str(exc)
    text = str(exc)
    if "out of memory" in text.lower() or type(exc).__name__ == "OutOfMemoryError":
        return ("The GPU ran out of memory. Choose a smaller batch size, a shorter maximum length, "
                "LoRA or QLoRA instead of full fine-tuning, or a smaller model.")
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory. Choose a smaller batch size, LoRA, or a smaller model."
    if isinstance(exc, OSError) and exc.errno == 28:
        return "The disk is full. Free some space, then resume the run."
    return f"Training stopped with an unexpected error: {text or type(exc).__name__}. Details are in train.log."


def peak_memory() -> dict[str, int]:
    """This process's peak resident memory, and peak GPU memory when training on CUDA (for the monitor)."""
    figures = {}
    try:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
        figures["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    except ImportError:  # Windows
        import psutil

        figures["peak_rss_bytes"] = int(getattr(psutil.Process().memory_info(), "peak_wset", 0))
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        figures["peak_gpu_bytes"] = int(torch.cuda.max_memory_allocated())
    return figures


def _check_data(dataset, method: str, where: str) -> bool:
    """Raise InvalidInput unless the columns fit the method; return whether rows are conversations."""
    columns = set(dataset.column_names)
    if method == "dpo":
        if not {"chosen", "rejected"} <= columns:
            raise InvalidInput(f"The {where} data has the columns {', '.join(sorted(columns))}, but DPO needs "
                               "“prompt”, “chosen” and “rejected”.",
                               hint="Give each row a prompt, a preferred answer and a rejected answer.")
        sample = dataset[0]["chosen"]
    elif "messages" in columns:
        sample = dataset[0]["messages"]
    elif {"prompt", "completion"} <= columns:
        sample = dataset[0]["prompt"]
    elif "text" in columns:
        return False
    else:
        raise InvalidInput(f"The {where} data has the columns {', '.join(sorted(columns))}, but supervised "
                           "fine-tuning needs “messages” (a list of chat turns), “prompt” and “completion”, or “text”.",
                           hint="Convert it on the Data page first.")
    return isinstance(sample, list)


def _load_data(folder: RunFolder, spec: RunSpec):
    from datasets import load_dataset

    data_dir = folder.path / "data"
    files = {split: str(data_dir / name) for split, name in DATA_FILES.items() if (data_dir / name).exists()}
    try:
        data = load_dataset("json", data_files=files, cache_dir=str(folder.path / ".cache"))
    except Exception as exc:  # noqa: BLE001 - datasets raises many types for a bad file
        raise InvalidInput(f"The training data in {data_dir} could not be read as JSON lines: {exc}",
                           hint="Prepare the data again on the Data page.") from exc
    chat = _check_data(data["train"], spec.settings.method, "training")
    if "test" in data:
        _check_data(data["test"], spec.settings.method, "validation")
    return data["train"], data.get("test"), chat


def _tokenizer(spec: RunSpec, chat: bool, log_events: ev.EventLog):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(spec.model_path)
    if chat and not tokenizer.chat_template:
        raise InvalidInput(f"The model “{spec.config.base_model}” has no chat template, so its tokenizer cannot "
                           "turn conversations into training text.",
                           hint="Choose an instruct or chat model, or give the data as plain “text”.")
    if not chat:
        spec.settings.assistant_only_loss = False  # plain text or string prompts: TRL masks completions itself
    elif spec.settings.assistant_only_loss and "generation" not in (tokenizer.chat_template or ""):
        spec.settings.assistant_only_loss = False
        log_events.emit(ev.WARNING, "This model's chat template does not mark assistant turns, so the loss "
                        "covers whole conversations.", level="warning")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _trainer(spec: RunSpec, folder: RunFolder, train, test, tokenizer, callback):
    s = spec.settings
    peft_config = None
    if s.adapter != "full":
        from peft import LoraConfig

        peft_config = LoraConfig(**lora_arguments(s))
    init = model_init_kwargs(s)
    quantization = None
    if s.adapter == "qlora":  # 4-bit NF4 base weights, computed in the GPU's half precision
        import torch
        from transformers import BitsAndBytesConfig

        quantization = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                          bnb_4bit_compute_dtype=torch.bfloat16 if s.precision == "bf16" else torch.float16)
    args = trainer_arguments(s, str(folder.checkpoints), evaluate=test is not None)
    common = dict(model=spec.model_path, train_dataset=train, eval_dataset=test, processing_class=tokenizer,
                  peft_config=peft_config, quantization_config=quantization, callbacks=[callback])
    if s.method == "dpo":
        from trl import DPOConfig, DPOTrainer

        trainer = DPOTrainer(args=DPOConfig(**args, model_init_kwargs=init), **common)
    else:
        from trl import SFTConfig, SFTTrainer

        trainer = SFTTrainer(args=SFTConfig(**args, model_init_kwargs=init), **common)
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)  # metrics go to the events file, not to stdout
    trainer.remove_callback(ProgressCallback)
    return trainer


def train(run_dir: Path | str, *, resume: bool = False) -> int:
    """Run one training session in this process; return the exit code."""
    folder = RunFolder(run_dir)
    _setup_log(folder)
    log_events = ev.EventLog(folder.events)
    process.record_self(folder)
    stop = threading.Event()
    for name in ("SIGUSR1", "SIGTERM", "SIGBREAK"):  # SIGBREAK: Windows' Ctrl-Break
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: stop.set())
    try:
        spec = folder.read_spec()
        log_events.emit(ev.PHASE, "Loading the data and the model", phase="loading")
        _quiet_libraries()
        train_data, test_data, chat = _load_data(folder, spec)
        tokenizer = _tokenizer(spec, chat, log_events)
        from backend.training.callback import EventsCallback

        callback = EventsCallback(log_events, stop, folder.stop_request)
        trainer = _trainer(spec, folder, train_data, test_data, tokenizer, callback)
        # What transformers resolved (sdpa, eager, flash_attention_2): the benchmark holds its reference to it.
        log.info("attention implementation: %s", getattr(trainer.model.config, "_attn_implementation", None))
        checkpoint = folder.last_checkpoint() if resume else None
        if callback.stop_requested():
            log_events.emit(ev.FINISHED, "Stopped before training began", status="cancelled")
            return 0
        log.info("training %s (resume from %s)", spec.settings, checkpoint)
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        if callback.stopping:
            saved = folder.last_checkpoint()
            log_events.emit(ev.FINISHED, f"Stopped and saved at step {trainer.state.global_step}", status="paused",
                            step=trainer.state.global_step, checkpoint=str(saved) if saved else None)
            return 0
        log_events.emit(ev.PHASE, "Saving the trained model", phase="saving")
        trainer.save_model(str(folder.final))
        tokenizer.save_pretrained(str(folder.final))
        log_events.emit(ev.FINISHED, "Training finished", status="succeeded", step=trainer.state.global_step,
                        checkpoint=str(folder.final), train_seconds=callback.train_seconds, **peak_memory())
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the events file
        log.exception("training failed")
        log_events.emit(ev.ERROR, plain_sentence(exc), level="error")
        log_events.emit(ev.FINISHED, plain_sentence(exc), status="failed", level="error")
        return 1
    finally:
        log_events.close()
        folder.stop_request.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    resume = "--resume" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        print("usage: python -m backend.training RUN_DIR [--resume]", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model was downloaded before launch
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return train(paths[0], resume=resume)
