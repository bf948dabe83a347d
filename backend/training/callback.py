"""The bridge from transformers' Trainer to the events file, and the "stop and save" switch.

A stop request (SIGUSR1, SIGTERM or the control file) sets a flag; at the next optimizer step
the callback asks the Trainer to save a checkpoint and stop, so nothing learned is lost and the
run can resume from exactly there.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from transformers import TrainerCallback

from backend.training import events as ev

_PROGRESS_EVERY = 1.0  # seconds between progress lines when no metrics are logged


class EventsCallback(TrainerCallback):
    def __init__(self, log: ev.EventLog, stop: threading.Event, stop_file: Path):
        self.log = log
        self.stop = stop
        self.stop_file = stop_file
        self.stopping = False
        self._last_progress = 0.0
        self._mark: tuple[float, float] | None = None  # (time, tokens) at the previous metrics line
        self._began: float | None = None
        self.train_seconds: float | None = None  # from the first step's start to the end of training

    def stop_requested(self) -> bool:
        if not self.stop.is_set() and self.stop_file.exists():
            self.stop.set()
        return self.stop.is_set()

    def on_train_begin(self, args, state, control, **kwargs):
        self._mark = (time.perf_counter(), 0.0)
        self._began = self._mark[0]
        self.log.emit(ev.PHASE, "Training", phase="training", step=state.global_step, total_steps=state.max_steps)

    def on_step_end(self, args, state, control, **kwargs):
        if self.stop_requested() and not self.stopping:
            self.stopping = True
            control.should_save = True
            control.should_training_stop = True
            self.log.emit(ev.PHASE, "Saving a checkpoint and stopping", phase="stopping", step=state.global_step)
        now = time.monotonic()
        if now - self._last_progress >= _PROGRESS_EVERY or state.global_step == state.max_steps:
            self._last_progress = now
            self.log.emit(ev.PROGRESS, step=state.global_step, total_steps=state.max_steps, epoch=state.epoch)

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        common = dict(step=state.global_step, total_steps=state.max_steps, epoch=logs.get("epoch", state.epoch))
        if "eval_loss" in logs:
            self.log.emit(ev.EVAL, eval_loss=logs["eval_loss"], eval_accuracy=logs.get("eval_mean_token_accuracy"),
                          **common)
        elif "loss" in logs:
            tokens = logs.get("num_tokens")
            speed = None
            if tokens is not None and self._mark is not None:
                now = time.perf_counter()
                then, before = self._mark
                if tokens > before and now > then:
                    speed = (tokens - before) / (now - then)
                self._mark = (now, float(tokens))
            extra = {k.replace("/", "_"): v for k, v in logs.items() if k.startswith("rewards/")}  # DPO
            self.log.emit(ev.LOG, loss=logs["loss"], learning_rate=logs.get("learning_rate"),
                          accuracy=logs.get("mean_token_accuracy"), tokens=int(tokens) if tokens else None,
                          tokens_per_second=speed, grad_norm=logs.get("grad_norm"), **extra, **common)

    def on_train_end(self, args, state, control, **kwargs):
        if self._began is not None:
            self.train_seconds = time.perf_counter() - self._began

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        self.log.emit(ev.CHECKPOINT, f"Checkpoint saved at step {state.global_step}", step=state.global_step,
                      total_steps=state.max_steps, checkpoint=str(folder))
