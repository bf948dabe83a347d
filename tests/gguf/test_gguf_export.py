"""GGUF export: the trained tiny model converted by llama.cpp's converter at each quantization, read back with the
``gguf`` package's reader (architecture, tensors, chat template), with an Ollama Modelfile beside it; pushed to
the fake Hub and added to a fake ``ollama``; refusals said before any work; a cancel leaves nothing."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cancel import CancelToken
from backend.errors import Cancelled, CapabilityMissing, InvalidInput, NotFound
from backend.training import gguf as gguf_export
from backend.training.gguf import GgufRequest, export_gguf
from backend.training.spec import RunFolder
from tests.fakes.hub import GOOD_TOKEN, USER, FakeHub
from tests.fakes.ollama import FakeOllamaServer, fake_ollama
from tests.local.test_export import QUESTION, hub_account

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HAS_QUANTIZER = importlib.util.find_spec("llama_cpp") is not None
TENSOR_TYPES = {"F16": {"F16", "F32"}, "Q8_0": {"Q8_0", "F32"}}


def read_gguf(path: Path) -> tuple[dict, list]:
    from gguf import GGUFReader

    reader = GGUFReader(path)

    def value(field):
        if len(field.types) == 1 and field.types[0].name == "STRING":
            return bytes(field.parts[field.data[0]]).decode()
        return field.parts[field.data[0]].tolist() if field.data else None

    return {name: value(field) for name, field in reader.fields.items()}, reader.tensors


def merged_tensor_count(model_dir: Path) -> int:
    from safetensors import safe_open

    with safe_open(model_dir / "model.safetensors", "pt") as f:
        return len(list(f.keys()))


def assert_gguf_folder(out: Path, quant: str, tiny_model_dir: Path) -> Path:
    """One GGUF of the tiny Llama with every tensor, the chat template (without TRL's training-only markers) in its
    metadata, and a Modelfile for Ollama's ChatML that names it."""
    gguf_file = out / f"{tiny_model_dir.name}-{quant}.gguf"
    assert sorted(p.name for p in out.iterdir()) == sorted([gguf_file.name, "Modelfile", "README.md"])
    meta, tensors = read_gguf(gguf_file)
    assert meta["general.architecture"] == "llama" and meta["llama.block_count"] == [2]
    assert len(tensors) == merged_tensor_count(tiny_model_dir)
    template = meta["tokenizer.chat_template"]
    assert "<|im_start|>" in template and "{% generation %}" not in template and "endgeneration" not in template
    kinds = {t.tensor_type.name for t in tensors}
    if quant in TENSOR_TYPES:
        assert kinds == TENSOR_TYPES[quant]
    else:  # Q4_K_M: k-quants where rows allow (the tiny model's 128-wide rows fall back, as llama.cpp decides)
        assert kinds - {"F32", "F16"} and meta["general.file_type"] == [15]
    modelfile = (out / "Modelfile").read_text()
    assert f"FROM ./{gguf_file.name}\n" in modelfile and "<|im_start|>{{ .Role }}" in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "PARAMETER num_ctx 48\n" in modelfile  # training's length
    assert "SYSTEM" not in modelfile  # 30% of the tiny data has a system prompt: not "the" prompt of the training
    return gguf_file


ASK = """
import json, sys
import llama_cpp.llama_cpp as raw
default = raw.llama_model_default_params
def params():  # no repacked weights: llama.cpp's AMX repack (a native build on an AMX CPU) crashes on 128-wide rows
    p = default()
    p.use_extra_bufts = False
    return p
raw.llama_model_default_params = params
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=128, verbose=False)
reply = llm.create_chat_completion([{"role": "user", "content": sys.argv[2]}], max_tokens=6, temperature=0)
print(json.dumps(reply["choices"][0]["message"]["content"]))
"""


def ask_llama_cpp(gguf_file: Path, question: str) -> str:
    """llama.cpp (llama-cpp-python) loads the file and answers, greedily; in its own process, as llama.cpp and
    torch's OpenMP runtimes do not share one (in the same process decoding crashed)."""
    run = subprocess.run([sys.executable, "-c", ASK, str(gguf_file), question], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("quant", ["F16", "Q8_0", "Q4_K_M"])
def test_the_trained_model_converts_at_each_quantization(trained_run, tiny_model_dir, tmp_path, quant):
    request = GgufRequest(out_dir=tmp_path / "gguf", quant=quant)
    if quant == "Q4_K_M" and not HAS_QUANTIZER:  # said plainly, before any work
        with pytest.raises(CapabilityMissing, match="Q4_K_M needs llama.cpp's quantizer.*pip install llama-cpp-python"):
            export_gguf(RunFolder(trained_run.run_dir), request)
        assert not request.out_dir.exists()
        return
    seen = []
    result = export_gguf(RunFolder(trained_run.run_dir), request, progress=seen.append)
    gguf_file = assert_gguf_folder(request.out_dir, quant, tiny_model_dir)
    assert result.gguf_file == gguf_file and sorted(p.name for p in tmp_path.iterdir()) == ["gguf"]
    messages = [p.message for p in seen]
    assert "Merging the adapter into the base model" in messages and "Converting to GGUF" in messages
    assert ("Quantizing to Q4_K_M" in messages) == (quant == "Q4_K_M") and seen[-1].fraction == 1.0
    if HAS_QUANTIZER:  # a llama.cpp runtime is installed: the file loads and answers as the training taught
        reply = ask_llama_cpp(gguf_file, QUESTION)
        assert reply.startswith("Paris") if quant != "Q4_K_M" else isinstance(reply, str), reply


def test_cli_converts_pushes_to_the_hub_and_adds_to_ollama(stored_run, tiny_model_dir, tmp_path):
    import json

    out, bin_dir = tmp_path / "gguf", fake_ollama(tmp_path / "bin")
    with FakeHub(tiny_model_dir) as hub:
        hub_account(hub)
        env = dict(os.environ, HF_HUB_OFFLINE="0", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        run = subprocess.run([sys.executable, "main.py", "export", "gguf", stored_run.id[:8], "--quant", "q8_0",
                              "--out", str(out), "--push", "tiny-gguf", "--ollama", "tiny-ft"],
                             capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    gguf_file = assert_gguf_folder(out, "Q8_0", tiny_model_dir)
    assert run.stdout.strip() == (f"Wrote {gguf_file} and its Ollama Modelfile. Pushed them to {hub.url}/{USER}/"
                                  f"tiny-gguf: run it with “ollama run hf.co/{USER}/tiny-gguf”. Added it to Ollama "
                                  "as “tiny-ft:latest”: it is in the playground.")
    steps = run.stderr.splitlines()
    assert steps[0].startswith("Loading the base model") and steps[-1].startswith("Exported 100%")
    assert any(s.startswith("Converting to GGUF") for s in steps) and GOOD_TOKEN not in run.stdout + run.stderr
    files = hub.uploaded[f"{USER}/tiny-gguf"]
    assert files[gguf_file.name] == gguf_file.read_bytes() and set(files) == {gguf_file.name, "Modelfile", "README.md"}
    assert f"ollama run hf.co/{USER}/tiny-gguf" in files["README.md"].decode()
    [call] = [json.loads(line) for line in (bin_dir / "calls.jsonl").read_text().splitlines()]
    assert call["args"] == ["create", "tiny-ft", "-f", str(out / "Modelfile")] and call["cwd"] == str(out)
    assert call["modelfile"] == (out / "Modelfile").read_text()


def test_refusals_come_before_any_work(trained_run, tmp_path, monkeypatch):
    folder = RunFolder(trained_run.run_dir)
    monkeypatch.setattr(gguf_export, "free_bytes", lambda path: 1000)
    with pytest.raises(InvalidInput, match=r"needs about 0\.\d\d GB free on the disk of .* and 0\.00 GB are free"):
        export_gguf(folder, GgufRequest(out_dir=tmp_path / "a", quant="F16"))
    monkeypatch.undo()
    odd = tmp_path / "odd-model"
    odd.mkdir()
    (odd / "config.json").write_text('{"architectures": ["TotallyNewForCausalLM"], "model_type": "new"}')
    with pytest.raises(CapabilityMissing, match=r"does not support this model's architecture \(TotallyNewForCausalLM\)"):
        gguf_export.check_architecture(odd)
    with pytest.raises(InvalidInput, match="not a quantization offered here"):
        export_gguf(folder, GgufRequest(out_dir=tmp_path / "b", quant="Q2_K"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    with pytest.raises(InvalidInput, match="already exists and is not an empty folder"):
        export_gguf(folder, GgufRequest(out_dir=tmp_path / "full", quant="F16"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "odd-model"]


def test_without_ollama_the_export_says_where_to_get_it_and_what_to_run(trained_run, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NotFound) as missing:
        export_gguf(RunFolder(trained_run.run_dir), GgufRequest(out_dir=tmp_path / "g", quant="F16",
                                                                ollama_name="tiny"))
    assert "https://ollama.com/download" in str(missing.value)
    assert missing.value.hint == f"ollama create tiny -f {tmp_path / 'g' / 'Modelfile'}"
    assert (tmp_path / "g" / "Modelfile").exists()  # the GGUF is kept: the command can be run later


def test_a_cancel_during_the_conversion_leaves_nothing(trained_run, tmp_path):
    cancel = CancelToken()

    def progress(p) -> None:
        if p.message == "Converting to GGUF":
            cancel.cancel()  # the child process is converting right now

    with pytest.raises(Cancelled):
        export_gguf(RunFolder(trained_run.run_dir), GgufRequest(out_dir=tmp_path / "out" / "g", quant="F16"),
                    progress=progress, cancel=cancel)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_model_added_to_ollama_chats_in_the_playground(trained_run, tmp_path, monkeypatch):
    """"Add to Ollama" runs ``ollama create``; the model then comes from Ollama's OpenAI-compatible endpoint into
    the playground's catalog, and a reply streams from it."""
    from backend.chat import provider_for
    from backend.chat_catalog import build_catalog
    from backend.models import ChatMessage, ChatParams

    bin_dir = fake_ollama(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with FakeOllamaServer(bin_dir) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        assert [r for r in build_catalog().models if r.provider == "ollama"] == []
        result = export_gguf(RunFolder(trained_run.run_dir), GgufRequest(out_dir=tmp_path / "g", quant="F16",
                                                                         ollama_name="tiny-ft"))
        assert result.ollama_model == "tiny-ft:latest"
        [ref] = [r for r in build_catalog().models if r.provider == "ollama"]
        assert ref.model == "tiny-ft:latest"
        reply = "".join(provider_for(ref).chat_stream(ref.model, [ChatMessage(role="user", content=QUESTION)],
                                                      ChatParams()))
    assert reply == "Paris." and server.requests[-1][2]["messages"] == [{"role": "user", "content": QUESTION}]
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # Ollama not running: no models, and no problem either
    catalog = build_catalog()
    assert not [r for r in catalog.models if r.provider == "ollama"] and not catalog.problems


def test_the_modelfile_carries_the_training_system_prompt_and_known_chat_formats(tmp_path):
    from backend.training.modelfile import ModelfileParts, modelfile_text, training_system_prompt

    rows = [{"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"},
                          {"role": "assistant", "content": "Hi."}]}] * 3
    rows.append({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi."}]})
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert training_system_prompt(train) == "You are terse."
    train.write_text("".join(json.dumps(r) + "\n" for r in rows[2:] + rows[3:] * 2))
    assert training_system_prompt(train) is None  # one of four: not the training's prompt
    llama3 = modelfile_text(ModelfileParts("m.gguf", "{{ '<|start_header_id|>' }}", "<|eot_id|>", "You are terse.",
                                           2048))
    assert '<|start_header_id|>{{ .Role }}<|end_header_id|>' in llama3 and 'PARAMETER stop "<|eot_id|>"' in llama3
    assert llama3.count('PARAMETER stop "<|eot_id|>"') == 1 and 'SYSTEM """You are terse."""' in llama3
    unknown = modelfile_text(ModelfileParts("m.gguf", "{{ messages }}", "</s>"))
    assert "TEMPLATE" not in unknown.replace("# TEMPLATE", "") and "Ollama uses the chat template inside" in unknown


def test_only_a_plain_byte_level_tokenizer_gets_the_gpt2_pre_tokenizer(tmp_path):
    """The converter's one addition: an unlisted tokenizer is converted only when its pre-tokenizer is exactly
    ByteLevel with GPT-2's regex; any other stays refused (with the sentence ``gguf_run`` gives)."""
    from backend.training.gguf_child import plain_byte_level

    path = tmp_path / "tokenizer.json"
    for pre, plain in [({"type": "ByteLevel", "add_prefix_space": False}, True),
                       ({"type": "ByteLevel", "use_regex": False}, False),
                       ({"type": "Sequence", "pretokenizers": [{"type": "Split"}, {"type": "ByteLevel"}]}, False),
                       (None, False)]:
        path.write_text(json.dumps({"pre_tokenizer": pre}))
        assert plain_byte_level(path) is plain, pre
    path.write_text("{not json")
    assert plain_byte_level(path) is False


@pytest.mark.parametrize("model_type", ["qwen2", "qwen3", "mistral"])
def test_other_families_convert_too(tiny_model_dir, tmp_path, model_type):
    """Real architecture families besides Llama (random tiny weights, the tiny tokenizer): llama.cpp's converter
    writes each under its own GGUF architecture with every tensor."""
    import shutil

    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from backend.training.export import _Steps
    from backend.training.gguf_run import convert

    model = tmp_path / model_type
    model.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        shutil.copy(tiny_model_dir / name, model / name)
    config = AutoConfig.for_model(model_type, vocab_size=2004, hidden_size=128, intermediate_size=256,
                                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                                  max_position_embeddings=512)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(model)
    gguf_export.check_architecture(model)
    convert(model, tmp_path / "m.gguf", "Q8_0", steps=_Steps(1, None, CancelToken()), units=0, cancel=CancelToken())
    meta, tensors = read_gguf(tmp_path / "m.gguf")
    assert meta["general.architecture"] == {"mistral": "llama"}.get(model_type, model_type)
    assert len(tensors) == merged_tensor_count(model) and "<|im_start|>" in meta["tokenizer.chat_template"]
