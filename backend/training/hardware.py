"""What this computer can train on, and what a model needs: device, memory, model size.

Detection imports torch, so call it from a worker thread (the wizard does, through ui/tasks.py).
Model facts are read from the files alone (config.json, safetensors headers, the tokenizer's
chat template) so they are instant and need no torch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import struct
from pathlib import Path

import psutil
from pydantic import BaseModel, ConfigDict

from backend.errors import InvalidInput
from backend.training.spec import Device


class Hardware(BaseModel):
    model_config = ConfigDict(frozen=True)

    device: Device
    name: str
    memory_bytes: int  # what training can use: free GPU memory, or available RAM
    bf16: bool = False
    fp16: bool = False
    quantization: bool = False  # 4-bit QLoRA: CUDA and bitsandbytes
    flash_attention: bool = False
    cpu_threads: int = 1

    @property
    def label(self) -> str:
        kind = {"cuda": "NVIDIA GPU", "mps": "Apple GPU", "cpu": "CPU"}[self.device]
        return f"{self.name}, {self.memory_bytes / 2**30:.1f} GiB free" if kind in self.name else \
            f"{kind}: {self.name}, {self.memory_bytes / 2**30:.1f} GiB free"


def detect(prefer: str = "auto") -> Hardware:
    """The best device present (CUDA, then Apple MPS, then CPU), or ``prefer`` if it exists."""
    import torch

    threads = torch.get_num_threads()
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    choice = prefer if prefer in ("cuda", "mps", "cpu") else ("cuda" if cuda else "mps" if mps else "cpu")
    if (choice == "cuda" and not cuda) or (choice == "mps" and not mps):
        raise InvalidInput(f"This computer has no {choice.upper()} device.", hint="Choose “Automatic” or the CPU.")
    if choice == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return Hardware(device="cuda", name=torch.cuda.get_device_name(0), memory_bytes=int(free),
                        bf16=torch.cuda.is_bf16_supported(), fp16=True, cpu_threads=threads,
                        quantization=importlib.util.find_spec("bitsandbytes") is not None,
                        flash_attention=importlib.util.find_spec("flash_attn") is not None)
    available = int(psutil.virtual_memory().available)
    if choice == "mps":  # unified memory: the GPU shares the RAM
        return Hardware(device="mps", name="Apple GPU (MPS)", memory_bytes=available, fp16=True, cpu_threads=threads)
    return Hardware(device="cpu", name=f"CPU ({os.cpu_count() or 1} cores)", memory_bytes=available,
                    cpu_threads=threads)


class ModelFacts(BaseModel):
    """Sizes and template facts of a model folder, read without loading it."""

    model_config = ConfigDict(frozen=True)

    parameters: int
    hidden_size: int = 0
    layers: int = 0
    vocab_size: int = 0
    max_positions: int | None = None
    chat_template: bool = False
    assistant_masks: bool = False  # the template marks assistant turns with {% generation %}


def _safetensors_parameters(folder: Path) -> int:
    total = 0
    for file in folder.glob("*.safetensors"):
        with open(file, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for name, info in header.items():
            if name != "__metadata__":
                count = 1
                for dim in info["shape"]:
                    count *= dim
                total += count
    return total


def _template(folder: Path) -> str:
    texts = [p.read_text(encoding="utf-8") for p in folder.glob("*.jinja")]
    config = folder / "tokenizer_config.json"
    if config.exists():
        value = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        if isinstance(value, list):  # named templates: [{"name": ..., "template": ...}]
            texts += [t.get("template", "") for t in value]
        elif isinstance(value, str):
            texts.append(value)
    return "\n".join(texts)


def model_facts(folder: Path | str) -> ModelFacts:
    """Read a local model folder's size and chat template; raise InvalidInput if it is not a model."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise InvalidInput(f"“{folder}” is not a model folder: it has no config.json.",
                           hint="Choose the folder that holds config.json and the model's weights.")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config = config.get("text_config", config)  # multimodal configs nest the language model's
    hidden, layers = int(config.get("hidden_size", 0)), int(config.get("num_hidden_layers", 0))
    vocab = int(config.get("vocab_size", 0))
    parameters = _safetensors_parameters(folder) or 12 * layers * hidden * hidden + vocab * hidden
    template = _template(folder)
    return ModelFacts(parameters=parameters, hidden_size=hidden, layers=layers, vocab_size=vocab,
                      max_positions=config.get("max_position_embeddings"), chat_template=bool(template.strip()),
                      assistant_masks="generation %}" in template or "generation -%}" in template)


def facts_for(base_model: str, parameters: int | None = None) -> ModelFacts | None:
    """Facts of a local or already-downloaded model; for one not downloaded yet, a rough shape from
    its parameter count (enough for a memory estimate); None when nothing is known."""
    from backend import hub

    try:
        folder = hub.local_path(base_model)
    except Exception:  # noqa: BLE001 - a missing folder is reported when the user goes on
        folder = None
    if folder is not None:
        try:
            return model_facts(folder)
        except InvalidInput:
            return None
    known = next((m.parameters for m in hub.SUGGESTED if m.id == base_model), None) or parameters
    if not known:
        return None
    layers = 16 if known < 2e9 else 32
    hidden = int((known * 0.7 / (12 * layers)) ** 0.5)  # ~70% of a small model's weights sit in its layers
    return ModelFacts(parameters=known, hidden_size=hidden, layers=layers, vocab_size=50_000,
                      chat_template=True, assistant_masks=False)
