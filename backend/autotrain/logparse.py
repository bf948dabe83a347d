"""AutoTrain's console output -> the app's training events, and its errors -> a sentence to act on.

AutoTrain (loguru) logs each Trainer log as ``... on_log:367 - {'loss': 6.2, 'learning_rate': 0.001, 'epoch': 0.5}``
and prints tqdm bars (``50%|█████     | 1/2 [...]``) separated by carriage returns. Only the ``on_log`` lines are
read as metrics (the same dict is printed a second time without the prefix); the bars give the step count.
"""

from __future__ import annotations

import ast
import re

from backend.training import events as ev

_ON_LOG = re.compile(r"on_log:\d+ - (\{.*\})\s*$")
_BAR = re.compile(r"\|\s*(\d+)/(\d+)\s*\[")
_BEGIN = re.compile(r"on_train_begin|Starting to train")
_LEVEL = re.compile(r"^(ERROR|CRITICAL)\s*\|")
# Known failures -> what to do. Checked in order against the log's meaningful last lines.
_ADVICE = [
    (re.compile(r"KeyError|column.*not (found|in)|Column .* not|are not in the dataset", re.I),
     "AutoTrain did not find a column it expects. Check the column mapping (messages for SFT; prompt, chosen and "
     "rejected for DPO and ORPO) and prepare the data again."),
    (re.compile(r"Unrecognized configuration class|does not appear to have a file named|is not a valid model|"
                r"model type .* not recognized|Unrecognized model", re.I),
     "AutoTrain's transformers 4.48 cannot load this model. Choose a model of an older, widely supported "
     "architecture (Llama, Qwen2, Mistral, Gemma, GPT-2), or train it with the app's own trainer."),
    (re.compile(r"out of memory|OutOfMemoryError", re.I),
     "Training ran out of memory. Choose a smaller batch size, a shorter maximum length, LoRA, or a smaller model."),
    (re.compile(r"No space left on device", re.I), "The disk is full. Free some space, then start the run again."),
    (re.compile(r"ModuleNotFoundError|ImportError|No such file or directory: .*(autotrain|accelerate)", re.I),
     "AutoTrain's environment is broken. Remove it in Settings (or let the next run rebuild it), then start again."),
    (re.compile(r"chat_template|chat template", re.I),
     "The model has no usable chat template for AutoTrain. Choose an instruct or chat model, or a named template."),
]
_NOISE = re.compile(r"^\s*(\{'.*\}|\d+%\|.*|Generating .* split.*|\s*warnings\.warn\(.*|.*UserWarning.*|super\(\)\.__init__.*)$")


class LogReader:
    """Fed AutoTrain's output chunk by chunk; turns complete lines into events on ``log``."""

    def __init__(self, log: ev.EventLog, logging_steps: int = 1):
        self.log = log
        self.logging_steps = max(1, logging_steps)
        self.step = 0
        self.total: int | None = None
        self.training = False
        self.logged = 0
        self._pending = ""
        self.lines: list[str] = []  # the meaningful lines, for the error report

    def feed(self, text: str) -> None:
        parts = re.split(r"[\r\n]", self._pending + text)
        self._pending = parts.pop()
        for part in parts:
            self.line(part)

    def close(self) -> None:
        if self._pending:
            self.line(self._pending)
            self._pending = ""

    def line(self, line: str) -> None:
        if not self.training and _BEGIN.search(line):
            self.training = True
            self.log.emit(ev.PHASE, "Training", phase="training", step=0)
        bar = _BAR.search(line) if self.training else None  # earlier bars count examples being prepared
        if bar:
            done, total = int(bar.group(1)), int(bar.group(2))
            self.total = total  # also when a loss line came before its step's bar (the step is counted already)
            if done > self.step:
                self.step = done
                self.log.emit(ev.PROGRESS, step=done, total_steps=total)
        metrics = _ON_LOG.search(line)
        if metrics:
            self._metrics(metrics.group(1))
        elif line.strip() and not _NOISE.match(line):
            self.lines = (self.lines + [line.rstrip()])[-40:]

    def _metrics(self, text: str) -> None:
        try:
            figures = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return
        if not isinstance(figures, dict):
            return
        epoch = figures.get("epoch")
        # The Trainer logs every ``logging_steps`` steps, and a log line may come before its step's bar.
        if "loss" in figures:
            self.logged += 1
            step = self.logged * self.logging_steps
            self.step = max(self.step, step)
            self.log.emit(ev.LOG, loss=float(figures["loss"]), learning_rate=figures.get("learning_rate"),
                          epoch=epoch, step=step, total_steps=self.total)
        elif "eval_loss" in figures:
            self.log.emit(ev.EVAL, eval_loss=float(figures["eval_loss"]), epoch=epoch, step=self.step or None,
                          total_steps=self.total)

    def errors(self) -> list[str]:
        return [line for line in self.lines if _LEVEL.match(line) or "Error" in line or "Traceback" in line]

    def failure(self) -> str:
        """The last meaningful lines of the log and what to do about them."""
        errors = self.errors()
        tail = (errors or self.lines)[-6:]
        text = "\n".join(tail)
        advice = next((advice for pattern, advice in _ADVICE if pattern.search(text)), None) or (
            "Read AutoTrain's log (output.log in the run folder) for the cause; fix the setting it names and "
            "start the run again.")
        said = f" AutoTrain said:\n{text[-1200:]}" if text else ""
        return f"AutoTrain stopped with an error. {advice}{said}"
