"""The GGUF conversion, run as a child process: ``python gguf_child.py MODEL_DIR OUT_FILE QUANT``.

A child, not a thread, for three reasons: llama.cpp's converter needs its own copy of the ``gguf`` package (the
vendored one, put first on ``sys.path`` here) which must not meet the PyPI ``gguf`` the app imports; a cancel
can stop it at any moment, even inside llama.cpp's C quantizer, by ending the process; and its memory is given
back when it exits. It imports nothing from the app.

It runs llama.cpp's own ``convert_hf_to_gguf.main`` (F16 and Q8_0 are written by the converter itself). Q4_K_M
needs llama.cpp's k-quant quantizer, which only its C++ library has: the converter writes F16 to a temporary
file, and ``llama_cpp.llama_model_quantize`` (llama-cpp-python) turns it into Q4_K_M. Steps and failures go to
stdout as JSON lines (the converter's own log goes to stderr, which the app keeps in its log file).

One addition to the converter: a byte-level BPE tokenizer whose hash llama.cpp does not list (a tokenizer
trained for this model, as the tests' tiny model has) is given llama.cpp's "gpt-2" pre-tokenizer when, and only
when, its ``tokenizer.json`` pre-tokenizer is exactly a plain ByteLevel with GPT-2's split regex, which is what
"gpt-2" applies. Any other unknown tokenizer stays refused, with a sentence.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

VENDORED = Path(__file__).resolve().parents[2] / "third_party" / "llama_cpp"
CONVERTER_OUTTYPE = {"F16": "f16", "Q8_0": "q8_0", "Q4_K_M": "f16"}  # Q4_K_M: F16 first, then quantized
LLAMA_FTYPE_MOSTLY_Q4_K_M = 15  # llama.h's enum llama_ftype


def say(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def load_converter():
    """llama.cpp's converter module, with its own ``gguf`` first on the path."""
    sys.path.insert(0, str(VENDORED / "gguf-py"))
    sys.path.insert(0, str(VENDORED))
    import convert_hf_to_gguf
    from conversion.base import TextModel

    original = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer) -> str:
        try:
            return original(self, tokenizer)
        except NotImplementedError:
            if plain_byte_level(Path(self.dir_model) / "tokenizer.json"):
                return "gpt-2"
            raise UnknownTokenizer() from None

    TextModel.get_vocab_base_pre = get_vocab_base_pre
    return convert_hf_to_gguf


class UnknownTokenizer(Exception):
    pass


def plain_byte_level(path: Path) -> bool:
    """True when the tokenizer's pre-tokenizer is ByteLevel alone, splitting with GPT-2's regex."""
    try:
        pre = json.loads(path.read_text(encoding="utf-8")).get("pre_tokenizer") or {}
    except (OSError, ValueError):
        return False
    return pre.get("type") == "ByteLevel" and pre.get("use_regex", True) is True


def quantize(source: Path, out: Path) -> None:
    """``source`` (F16 GGUF) quantized to Q4_K_M at ``out`` by llama.cpp's own C++ quantizer."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = max(1, (os.cpu_count() or 1))
    if llama_cpp.llama_model_quantize(str(source).encode(), str(out).encode(), ctypes.byref(params)) != 0:
        raise RuntimeError("llama.cpp's quantizer failed")


def main(model_dir: str, out_file: str, quant: str) -> int:
    out = Path(out_file)
    first = out.with_name(out.name + ".f16") if quant == "Q4_K_M" else out
    say("step", message="Converting to GGUF")
    converter = load_converter()
    sys.argv = ["convert_hf_to_gguf.py", model_dir, "--outfile", str(first), "--outtype", CONVERTER_OUTTYPE[quant]]
    try:
        converter.main()
    except UnknownTokenizer:
        say("error", kind="tokenizer")
        return 3
    except SystemExit as exc:  # the converter's own refusals (an architecture it does not know) end with exit(1)
        if exc.code:
            say("error", kind="converter")
            return 2
    if quant == "Q4_K_M":
        say("step", message="Quantizing to Q4_K_M", converted=first.stat().st_size)
        try:
            quantize(first, out)
        finally:
            first.unlink(missing_ok=True)
    say("done", size=out.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
