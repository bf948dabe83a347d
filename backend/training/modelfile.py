"""An Ollama Modelfile for an exported GGUF, and "Add to Ollama" (``ollama create``).

Ollama's TEMPLATE is a Go template, not the model's Jinja chat template, and no general translation exists. So
the Modelfile carries a TEMPLATE (and its stop tokens) for the chat formats it recognises in the Jinja template
(ChatML, Llama 3, Gemma, Mistral's [INST], Phi-3), written as Ollama's own library writes them; for any other it
leaves TEMPLATE out, and Ollama reads the chat template that the GGUF's metadata carries. The system prompt the
training data used (the one most of its examples start with) becomes SYSTEM, so the model is asked as it was
taught; the context length is the training's maximum length.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from backend.cancel import CancelToken
from backend.errors import Cancelled, InvalidInput, NotFound

OLLAMA_URL = "https://ollama.com/download"
OLLAMA_API = "http://localhost:11434/v1"  # Ollama's OpenAI-compatible endpoint

_HISTORY = "{{- range .Messages }}"
TEMPLATES = {  # the chat format's marker in the Jinja template -> (Go template, stop tokens)
    "<|im_start|>": ("{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}" + _HISTORY +
                     "<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n",
                     ["<|im_start|>", "<|im_end|>"]),
    "<|start_header_id|>": ("{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>"
                            "{{ end }}" + _HISTORY + "<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
                            "{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
                            ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
    "<start_of_turn>": (_HISTORY + "<start_of_turn>{{ if eq .Role \"assistant\" }}model{{ else }}{{ .Role }}{{ end }}"
                        "\n{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n",
                        ["<start_of_turn>", "<end_of_turn>"]),
    "[INST]": ("{{- if .System }}[INST] {{ .System }} [/INST]{{ end }}" + _HISTORY + "{{ if eq .Role \"user\" }}"
               "[INST] {{ .Content }} [/INST]{{ else }}{{ .Content }}</s>{{ end }}{{ end }}", ["[INST]", "[/INST]"]),
    "<|assistant|>": ("{{- if .System }}<|system|>\n{{ .System }}<|end|>\n{{ end }}" + _HISTORY +
                      "<|{{ .Role }}|>\n{{ .Content }}<|end|>\n{{ end }}<|assistant|>\n", ["<|end|>", "<|user|>"]),
}


@dataclass(frozen=True)
class ModelfileParts:
    gguf_name: str
    chat_template: str | None
    eos_token: str | None = None
    system: str | None = None
    context_length: int | None = None


def modelfile_text(parts: ModelfileParts) -> str:
    lines = ["# Written by Fine-Tune Studio. Create the model with:  ollama create NAME -f Modelfile",
             f"FROM ./{parts.gguf_name}"]
    template, stops = next(((t, s) for marker, (t, s) in TEMPLATES.items() if marker in (parts.chat_template or "")),
                           (None, []))
    if template:
        lines.append(f'TEMPLATE """{template}"""')
    else:
        lines.append("# TEMPLATE: not a chat format written here; Ollama uses the chat template inside the GGUF.")
    for stop in dict.fromkeys(stops + ([parts.eos_token] if parts.eos_token else [])):
        lines.append(f"PARAMETER stop {json.dumps(stop)}")
    if parts.context_length:
        lines.append(f"PARAMETER num_ctx {parts.context_length}")
    lines.append("PARAMETER temperature 0.7")
    if parts.system:
        lines.append(f'SYSTEM """{parts.system.replace(chr(34) * 3, chr(39) * 3)}"""')
    return "\n".join(lines) + "\n"


def training_system_prompt(train_file: Path) -> str | None:
    """The system message most of the training examples start with (at least half of them), else None."""
    counts, total = Counter(), 0
    try:
        with open(train_file, encoding="utf-8") as lines:
            for line in lines:
                messages = (json.loads(line) or {}).get("messages") or [] if line.strip() else None
                if messages is None:
                    continue
                total += 1
                if messages and messages[0].get("role") == "system" and isinstance(messages[0].get("content"), str):
                    counts[messages[0]["content"]] += 1
    except (OSError, ValueError, AttributeError):
        return None
    prompt, n = counts.most_common(1)[0] if counts else (None, 0)
    return prompt if total and 2 * n >= total else None


def ollama_missing() -> str:
    return f"Ollama is not installed (no “ollama” on the PATH). Get it from {OLLAMA_URL}, then run:"


def create_command(name: str, modelfile: Path) -> list[str]:
    return ["ollama", "create", name, "-f", str(modelfile)]


def add_to_ollama(name: str, modelfile: Path, cancel: CancelToken | None = None) -> str:
    """``ollama create NAME -f Modelfile`` in the Modelfile's folder; returns the model's name in Ollama.
    Without Ollama: InvalidInput that says where to get it and which command to run."""
    cancel = cancel or CancelToken()
    command = create_command(name, modelfile)
    exe = shutil.which("ollama")
    if exe is None:
        raise NotFound(ollama_missing(), hint=" ".join(command))
    with subprocess.Popen([exe, *command[1:]], cwd=modelfile.parent, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as process:
        while process.poll() is None:
            if cancel.wait(0.2):
                process.terminate()
                process.wait(10)
                raise Cancelled()
        output = process.stdout.read() if process.stdout else ""
    if process.returncode:
        last = output.strip().splitlines()[-1] if output.strip() else f"exit status {process.returncode}"
        raise InvalidInput(f"Ollama could not create “{name}”: {last}", hint="Run the command yourself to see more: "
                           + " ".join(command))
    return name if ":" in name else f"{name}:latest"
