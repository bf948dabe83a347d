"""Hugging Face Jobs hardware as the local plan sees it: a flavor's price per hour, memory, and whether a run fits.

``list_jobs_hardware`` gives each flavor's accelerator, RAM and price per unit (a minute, today). The local memory
plan (``backend.training.defaults.resolve``) is run against a ``Hardware`` made from the flavor, so "fits" and
the duration estimate are the same arithmetic a local run is checked with; the timeout is that estimate with a
margin, and the cost is the duration times the price.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from backend.training.hardware import Hardware

_PER_HOUR = {"second": 3600.0, "minute": 60.0, "hour": 1.0}
_NO_BF16 = ("T4",)  # Turing: fp16 only
#: Fixed time a job spends before training (image pull, installs, downloads) and after it (the final push).
OVERHEAD_SECONDS = 600.0
MARGIN = 1.5  # timeout = estimate x margin + overhead
MIN_TIMEOUT = 1800  # Hugging Face's own default: never less


def _gigabytes(text: str | None) -> float:
    found = re.search(r"([\d.]+)\s*(T|G|M)i?B", text or "", re.I)
    if not found:
        return 0.0
    return float(found.group(1)) * {"T": 1024, "G": 1, "M": 1 / 1024}[found.group(2).upper()]


@dataclass(frozen=True)
class Flavor:
    name: str
    label: str
    price_per_hour: float
    memory_bytes: int  # GPU memory (all GPUs), or RAM for a CPU flavor
    gpu: str | None
    cpus: int

    @classmethod
    def from_info(cls, info) -> Flavor:
        accelerator = info.accelerator
        cpus = int(re.match(r"\d+", info.cpu or "1").group()) if re.match(r"\d+", info.cpu or "") else 1
        if accelerator is not None:
            memory = _gigabytes(accelerator.vram) * max(1, int(accelerator.quantity or 1))
            gpu = f"{accelerator.quantity}x {accelerator.model}" if int(accelerator.quantity or 1) > 1 else accelerator.model
        else:
            memory, gpu = _gigabytes(info.ram), None
        per = _PER_HOUR.get((info.unit_label or "minute").lower(), 60.0)
        return cls(name=info.name, label=info.pretty_name, price_per_hour=float(info.unit_cost_usd) * per,
                   memory_bytes=int(memory * 2**30), gpu=gpu, cpus=cpus)

    def hardware(self) -> Hardware:
        """The flavor as a training device, for the local plan."""
        if self.gpu is None:
            return Hardware(device="cpu", name=self.label, memory_bytes=self.memory_bytes, cpu_threads=self.cpus)
        return Hardware(device="cuda", name=self.label, memory_bytes=self.memory_bytes, fp16=True,
                        bf16=not any(old in self.gpu for old in _NO_BF16), quantization=True, cpu_threads=self.cpus)

    def cost(self, seconds: float) -> float:
        return max(0.0, seconds) / 3600.0 * self.price_per_hour


def timeout_for(train_seconds: float | None) -> int:
    """The job's timeout from the plan's estimate: with a margin and the fixed overhead, in whole minutes."""
    if not train_seconds:
        return MIN_TIMEOUT * 2
    return max(MIN_TIMEOUT, int(math.ceil((train_seconds * MARGIN + OVERHEAD_SECONDS) / 60.0)) * 60)


def money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 else f"${value:,.4f}".rstrip("0").rstrip(".") if value else "$0.00"
