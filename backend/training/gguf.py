"""Export a finished local run as GGUF (for llama.cpp and Ollama), with an Ollama Modelfile beside it; optionally
push both to a Hub repository (so ``ollama run hf.co/USER/REPO`` works) and add the model to Ollama.

The model is merged first by the export's own step (``export._stage_model``), into a folder staged beside the
destination; llama.cpp's converter (vendored, run as a child process: ``gguf_child.py``) turns that folder into
one GGUF file; the finished folder (GGUF, Modelfile, card) is renamed into place, so a cancel or a failure leaves
nothing half-written. Everything that can be refused is checked before the merge: the architecture (the
converter's own list), the quantization's availability (Q4_K_M needs llama.cpp's C++ quantizer, which comes with
llama-cpp-python), the destination, the repository name and the free disk space.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from backend.cancel import CancelToken, ProgressFn
from backend.errors import Cancelled, CapabilityMissing, CredentialsError, InvalidInput, StudioError
from backend.training import export as _export
from backend.training.gguf_run import convert
from backend.training.spec import RunFolder, RunSpec

if TYPE_CHECKING:
    from backend.models import Account

QUANTS = ("F16", "Q8_0", "Q4_K_M")
BYTES_PER_PARAM = {"F16": 2.0, "Q8_0": 1.07, "Q4_K_M": 0.62}  # GGUF sizes per weight, metadata aside
_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
CONVERTER_MAP = Path(__file__).resolve().parents[2] / "third_party" / "llama_cpp" / "conversion" / "__init__.py"
LLAMA_CPP_PYTHON = "llama-cpp-python"


@dataclass(frozen=True)
class GgufRequest:
    out_dir: Path  # receives NAME-QUANT.gguf, Modelfile and README.md; new or empty
    quant: str = "Q4_K_M"
    repo_id: str | None = None  # also push the folder there
    private: bool = True
    account: str | None = None
    ollama_name: str | None = None  # also run ``ollama create`` with this name


@dataclass(frozen=True)
class GgufResult:
    gguf_file: Path
    modelfile: Path
    repo_url: str | None = None
    repo_id: str | None = None
    ollama_model: str | None = None

    def summary(self) -> str:
        done = [f"Wrote {self.gguf_file} and its Ollama Modelfile."]
        if self.repo_url:
            done.append(f"Pushed them to {self.repo_url}: run it with “ollama run hf.co/{self.repo_id}”.")
        if self.ollama_model:
            done.append(f"Added it to Ollama as “{self.ollama_model}”: it is in the playground.")
        return " ".join(done)


def quant_missing(quant: str) -> str | None:
    """Why ``quant`` cannot be written on this computer, or None when it can."""
    if quant not in QUANTS:
        return f"“{quant}” is not a quantization offered here: choose one of {', '.join(QUANTS)}."
    if quant == "Q4_K_M":
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is None:
            return (f"Q4_K_M needs llama.cpp's quantizer, which comes with {LLAMA_CPP_PYTHON}; it is not installed. "
                    f"Install it with “pip install {LLAMA_CPP_PYTHON}” (it compiles llama.cpp: several minutes), "
                    "or choose F16 or Q8_0, which need nothing more.")
    return None


@lru_cache(maxsize=1)
def supported_architectures() -> frozenset[str]:
    """The architectures llama.cpp's converter knows (its own table, read without importing it)."""
    tree = ast.parse(CONVERTER_MAP.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "TEXT_MODEL_MAP":
            return frozenset(ast.literal_eval(node.value))
    raise RuntimeError(f"no TEXT_MODEL_MAP in {CONVERTER_MAP}")


def check_architecture(model_dir: Path) -> dict:
    """The model's config; CapabilityMissing with a sentence when the converter does not know its architecture."""
    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    names = config.get("architectures") or []
    if not any(name in supported_architectures() for name in names):
        shown = ", ".join(names) or f"“{config.get('model_type', 'unknown')}”"
        raise CapabilityMissing(f"llama.cpp's GGUF converter does not support this model's architecture ({shown}).",
                                hint="Export the merged model instead (Export → Merged model), or train a base of a "
                                     "family llama.cpp supports (Llama, Qwen, Mistral, Gemma, Phi, SmolLM...).")
    return config


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def needed_bytes(weights: int, config: dict, quant: str) -> int:
    """The merged model, the GGUF, and for Q4_K_M the F16 file it is quantized from."""
    per = _DTYPE_BYTES.get(str(config.get("torch_dtype") or config.get("dtype") or "float32"), 4)
    params = weights / per
    gguf = params * BYTES_PER_PARAM[quant] + (params * 2 if quant == "Q4_K_M" else 0)
    return int(weights + gguf) + 16 * 2**20


def _check_disk(where: Path, need: int) -> None:
    free = free_bytes(where)
    if free < need:
        raise InvalidInput(f"The GGUF export needs about {need / 1e9:.2f} GB free on the disk of “{where}”, "
                           f"and {free / 1e9:.2f} GB are free.",
                           hint="Free some space, or choose a folder on another disk.")


def base_name(spec: RunSpec) -> str:
    name = spec.config.suffix or Path(spec.config.base_model).name
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"


def export_gguf(folder: RunFolder, request: GgufRequest, *, push_as: Callable[[], tuple[Account, str]] | None = None,
                progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> GgufResult:
    """Merge, convert (and quantize), write the Modelfile, install the folder; then push and/or add to Ollama."""
    from backend import hub
    from backend.training import modelfile, push

    cancel = cancel or CancelToken()
    spec = folder.read_spec()
    _export.trained_folder(folder)
    if request.quant not in QUANTS:
        raise InvalidInput(quant_missing(request.quant))
    if (why := quant_missing(request.quant)):
        raise CapabilityMissing(why)
    config = check_architecture(Path(spec.model_path))
    out_dir = _export._check_free(request.out_dir, folder=True)
    repo_id = hub.check_id(request.repo_id, subject="repository") if request.repo_id is not None else None
    if repo_id and push_as is None:
        raise CredentialsError("Pushing to the Hugging Face Hub needs a Hugging Face account with a token.")
    account, token = push_as() if repo_id else (None, None)
    if repo_id and "/" not in repo_id:  # the card names OWNER/NAME for `ollama run hf.co/...`: ask whose token it is
        repo_id = f"{_token_owner(account, token, repo_id)}/{repo_id}"
    weights = _export._model_bytes(spec, folder)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _check_disk(out_dir.parent, needed_bytes(weights, config, request.quant))

    gguf_bytes = int(weights / _DTYPE_BYTES.get(str(config.get("torch_dtype") or "float32"), 4)
                     * BYTES_PER_PARAM[request.quant])
    steps = _export._Steps(2 * weights + 2 * gguf_bytes + (gguf_bytes if repo_id else 0), progress, cancel)
    name = f"{base_name(spec)}-{request.quant}.gguf"
    url = None
    with tempfile.TemporaryDirectory(prefix=".fts-gguf-", dir=out_dir.parent) as work:
        merged, staged = Path(work) / "merged", Path(work) / "gguf"
        merged.mkdir()
        staged.mkdir()
        _export._stage_model(spec, folder, merged, steps, weights)
        strip_training_markers(merged)
        convert(merged, staged / name, request.quant, steps=steps, units=2 * gguf_bytes, cancel=cancel)
        parts = modelfile.ModelfileParts(gguf_name=name, chat_template=chat_template(merged),
                                         eos_token=eos_token(merged), context_length=spec.settings.max_length,
                                         system=modelfile.training_system_prompt(Path(spec.data.training)))
        (staged / "Modelfile").write_text(modelfile.modelfile_text(parts), encoding="utf-8")
        (staged / "README.md").write_text(gguf_card(spec, name, repo_id), encoding="utf-8")
        shutil.rmtree(merged)
        steps.step("Putting the GGUF in its folder")
        _export._install(staged, out_dir)
    if repo_id:
        start, scale = steps.done, gguf_bytes / max(1, _export._size(out_dir.rglob("*")))

        def report(sent: int, message: str) -> None:
            steps.at(int(sent * scale), start, message)

        try:
            url = push.push_folder(out_dir, repo_id, account=account, token=token, private=request.private,
                                   report=report, cancel=cancel)
        except StudioError as exc:  # the GGUF is saved: say so with the Hub's sentence
            if isinstance(exc, Cancelled):
                raise Cancelled(f"Cancelled: nothing was pushed; the GGUF was saved to {out_dir}.") from exc
            raise type(exc)(f"{exc.message} The GGUF itself was saved to {out_dir}.", hint=exc.hint) from exc
    ollama_model = None
    if request.ollama_name:
        steps.step(f"Adding it to Ollama as {request.ollama_name}")
        ollama_model = modelfile.add_to_ollama(request.ollama_name, out_dir / "Modelfile", cancel)
    steps.step("Exported", stoppable=False)
    return GgufResult(gguf_file=out_dir / name, modelfile=out_dir / "Modelfile", repo_url=url, repo_id=repo_id,
                      ollama_model=ollama_model)


def _token_owner(account: Account, token: str, repo_id: str) -> str:
    from huggingface_hub import HfApi

    from backend.training.push import push_error

    try:
        return HfApi(endpoint=account.endpoint or None, token=token).whoami()["name"]
    except Exception as exc:  # noqa: BLE001 - the Hub's answer in words (a refused token, no network)
        raise push_error(repo_id, account, exc) from exc


def chat_template(model_dir: Path) -> str | None:
    jinja = model_dir / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    config = model_dir / "tokenizer_config.json"
    template = json.loads(config.read_text(encoding="utf-8")).get("chat_template") if config.is_file() else None
    return template if isinstance(template, str) else None


def eos_token(model_dir: Path) -> str | None:
    config = model_dir / "tokenizer_config.json"
    token = json.loads(config.read_text(encoding="utf-8")).get("eos_token") if config.is_file() else None
    return token.get("content") if isinstance(token, dict) else token


_MARKERS = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")


def strip_training_markers(model_dir: Path) -> None:
    """Remove ``{% generation %}`` markers from the chat template: TRL's training-only extension (which tokens
    are the assistant's), unknown to llama.cpp's and Ollama's template engines; the text rendered is the same."""
    jinja = model_dir / "chat_template.jinja"
    if jinja.is_file():
        jinja.write_text(_MARKERS.sub("", jinja.read_text(encoding="utf-8")), encoding="utf-8")
    config = model_dir / "tokenizer_config.json"
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        if isinstance(data.get("chat_template"), str):
            data["chat_template"] = _MARKERS.sub("", data["chat_template"])
            config.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def gguf_card(spec: RunSpec, name: str, repo_id: str | None) -> str:
    card = _export.model_card(spec, spec.data.summary, merged=True)
    card = card.replace("library_name: transformers\n", "library_name: gguf\n", 1)
    run = f"ollama run hf.co/{repo_id}" if repo_id else "ollama create NAME -f Modelfile && ollama run NAME"
    return (card + f"\n## GGUF\n\n`{name}` was converted with llama.cpp's `convert_hf_to_gguf.py`. Run it with "
            f"llama.cpp (`llama-cli -m {name}`) or Ollama (`{run}`).\n")
