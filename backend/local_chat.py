"""Chat with a model on this computer: load it (with a PEFT adapter when the folder holds one) and stream a reply.

Generation runs in its own thread and pours text into a ``TextIteratorStreamer``; a stopping
criterion bound to the caller's cancel token ends it at the next token, and the reader polls the
streamer's queue in short slices so that Stop returns within 100 ms even while a slow model is
still computing its next token. Loaded models are cached, since loading dwarfs a short reply.
torch, transformers and peft are imported only here, inside functions.
"""

from __future__ import annotations

import atexit
import json
import queue
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend import hub
from backend.cancel import CancelToken, ProgressFn, Progress
from backend.errors import InvalidInput, NotFound
from backend.models import ChatMessage, ChatParams

#: How often the reader wakes to look at the cancel token while no text arrives (seconds).
POLL_SECONDS = 0.02
#: A model that produces no token for this long is reported as stuck rather than waited on forever.
STALL_SECONDS = 300.0
CACHE_SIZE = 2


@dataclass
class LoadedModel:
    """A tokenizer and a model ready to generate; ``adapter`` is the PEFT folder applied, if any."""

    tokenizer: Any
    model: Any
    base: Path
    adapter: Path | None = None


_cache: OrderedDict[tuple[str, str | None], LoadedModel] = OrderedDict()
_cache_lock = threading.Lock()
_load_locks: dict[tuple[str, str | None], threading.Lock] = {}
# One load at a time, whatever the model: transformers builds a model under process-wide state (the meta
# device, its init patches), so a base and its adapter loaded at once by two panes failed with
# "Cannot copy out of meta tensor".
_loading = threading.Lock()
_live: "weakref.WeakSet[LocalReply]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """Ends generation threads before the interpreter exits (torch aborts if they are still running)."""
    for reply in list(_live):
        reply.close()
        reply._thread.join(5)


def is_adapter_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a PEFT adapter alone (its base model lives elsewhere)."""
    return (folder / "adapter_config.json").exists() and not (folder / "config.json").exists()


def resolve(model: str, adapter: str | None = None) -> tuple[Path, Path | None]:
    """(base folder, adapter folder) for a model folder, an adapter folder or a downloaded Hub id."""
    folder = hub.local_path(model)
    if folder is None:
        raise NotFound(f"“{model}” is not on this computer.",
                       hint="Download it first (start a local fine-tune with it), or choose a local model folder.")
    if adapter is None and is_adapter_folder(folder):
        adapter, folder = str(folder), None
        config = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
        base_name = config.get("base_model_name_or_path")
        if not base_name:
            raise InvalidInput(f"The adapter in “{adapter}” does not name its base model.",
                               hint="Add base_model_name_or_path to its adapter_config.json.")
        folder = hub.local_path(base_name)
        if folder is None:
            raise NotFound(f"The adapter's base model “{base_name}” is not on this computer.",
                           hint="Download the base model first.")
    if not (folder / "config.json").exists():
        raise InvalidInput(f"“{folder}” holds no model (config.json is missing).", hint="Choose a model folder.")
    return folder, Path(adapter) if adapter else None


def load(model: str, adapter: str | None = None, *, progress: ProgressFn | None = None,
         cancel: CancelToken | None = None) -> LoadedModel:
    """The model ready to chat, from the cache or loaded now (three steps reported to ``progress``)."""
    base, adapter_path = resolve(model, adapter)
    key = (str(base), str(adapter_path) if adapter_path else None)
    with _cache_lock:
        lock = _load_locks.setdefault(key, threading.Lock())
    with lock:  # two panes asking for one model load it once
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        with _loading:
            loaded = _load_now(base, adapter_path, progress or (lambda p: None), cancel)
        with _cache_lock:
            _cache[key] = loaded
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return loaded


def _load_now(base: Path, adapter: Path | None, progress: ProgressFn, cancel: CancelToken | None) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    steps = 3 if adapter else 2
    progress(Progress(0, steps, f"Loading the tokenizer of {base.name}"))
    tokenizer = AutoTokenizer.from_pretrained(base)
    if cancel:
        cancel.raise_if_cancelled()
    progress(Progress(1, steps, f"Loading the weights of {base.name}"))
    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    if adapter:
        if cancel:
            cancel.raise_if_cancelled()
        progress(Progress(2, steps, f"Applying the adapter {adapter.name}"))
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    progress(Progress(steps, steps, "Model loaded"))
    return LoadedModel(tokenizer=tokenizer, model=model, base=base, adapter=adapter)


def prompt_ids(loaded: LoadedModel, messages: list[ChatMessage]):
    """The conversation as input ids, through the model's chat template (plain lines when it has none)."""
    tokenizer = loaded.tokenizer
    turns = [{"role": m.role, "content": m.content} for m in messages]
    if getattr(tokenizer, "chat_template", None):
        encoded = tokenizer.apply_chat_template(turns, add_generation_prompt=True, return_tensors="pt",
                                                return_dict=True)
        return encoded["input_ids"], encoded.get("attention_mask")
    text = "".join(f"{t['role']}: {t['content']}\n" for t in turns) + "assistant: "
    encoded = tokenizer(text, return_tensors="pt")
    return encoded["input_ids"], encoded.get("attention_mask")


def generation_kwargs(loaded: LoadedModel, params: ChatParams) -> dict:
    """``generate`` options for the user's parameters: greedy at temperature 0 (or unset), sampling otherwise."""
    options: dict[str, Any] = {"max_new_tokens": params.max_tokens or 512}
    sampling = bool(params.temperature and params.temperature > 0)
    options["do_sample"] = sampling
    if sampling:
        options["temperature"] = params.temperature
        if params.top_p is not None:
            options["top_p"] = params.top_p
    else:  # silence the model's sampling defaults, which generate() would warn about
        options.update(temperature=None, top_p=None, top_k=None)
    tokenizer = loaded.tokenizer
    options["pad_token_id"] = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return options


class LocalReply:
    """An iterator of text deltas that also counts the tokens generated (``token_count``: a ``chat.CountedStream``)."""

    def __init__(self, loaded: LoadedModel, messages: list[ChatMessage], params: ChatParams,
                 cancel: CancelToken | None):
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        self.cancel = cancel or CancelToken()
        self._ended = threading.Event()  # a stop sequence or close(): not the caller's Stop
        self.token_count = 0
        self._error: BaseException | None = None
        self._stops = [s for s in params.stop if s]
        self._text = ""  # the reply so far, when stop sequences are watched
        self._sent = 0  # how much of it was handed out
        reply = self

        class _StopOnCancel(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                import torch

                reply.token_count += 1  # called once per generated token
                return torch.full((input_ids.shape[0],), reply.stopping, dtype=torch.bool,
                                  device=input_ids.device)

        ids, mask = prompt_ids(loaded, messages)
        self.streamer = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True,
                                             timeout=POLL_SECONDS)
        kwargs = generation_kwargs(loaded, params)
        kwargs.update(input_ids=ids.to(loaded.model.device), streamer=self.streamer,
                      stopping_criteria=StoppingCriteriaList([_StopOnCancel()]))
        if mask is not None:
            kwargs["attention_mask"] = mask.to(loaded.model.device)
        self._thread = threading.Thread(target=self._generate, args=(loaded, kwargs, params.seed),
                                        name="local-chat", daemon=True)
        self._thread.start()
        _live.add(self)

    def _generate(self, loaded: LoadedModel, kwargs: dict, seed: int | None) -> None:
        import torch

        try:
            if seed is not None:
                torch.manual_seed(seed)
            with torch.inference_mode():
                loaded.model.generate(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, which raises it
            self._error = exc
            self.streamer.end()

    @property
    def stopping(self) -> bool:
        return self.cancel.cancelled or self._ended.is_set()

    def __iter__(self) -> "LocalReply":
        return self

    def __next__(self) -> str:
        waited = 0.0
        while True:
            if self.stopping:
                self._thread.join(0.05)  # usually over by now; never wait long on a slow model
                raise StopIteration
            try:
                text = self.streamer.text_queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                waited += POLL_SECONDS
                if waited > STALL_SECONDS:
                    self._ended.set()
                    raise InvalidInput("The local model produced nothing for five minutes and was stopped.") from None
                continue
            if text is self.streamer.stop_signal:
                self._thread.join()  # generate() returns right after ending the streamer
                if self._error is not None:
                    raise InvalidInput(f"The local model failed while generating: {self._error}") from self._error
                rest, self._sent = self._text[self._sent:], len(self._text)  # a held-back tail
                if rest:
                    return rest
                raise StopIteration
            piece = self._cut_at_stop(text)
            if piece:
                return piece

    def _cut_at_stop(self, text: str) -> str:
        """The text that can be shown: up to the first stop sequence, which ends the reply, and short of a
        tail that could be the start of one (held back until the next delta decides)."""
        if not self._stops:
            return text
        self._text += text
        hits = [i for i in (self._text.find(s, max(0, self._sent - len(s))) for s in self._stops) if i >= 0]
        if hits:
            self._ended.set()
            end = min(hits)
        else:
            end = len(self._text)
            for stop in self._stops:  # the longest tail that begins a stop sequence
                for size in range(min(len(stop) - 1, len(self._text)), 0, -1):
                    if self._text.endswith(stop[:size]):
                        end = min(end, len(self._text) - size)
                        break
        piece, self._sent = self._text[self._sent:end], max(self._sent, end)
        if hits and not piece:
            raise StopIteration
        return piece

    def close(self) -> None:
        """Stops generation (the thread ends at its next token)."""
        self._ended.set()


def stream_reply(model: str, messages: list[ChatMessage], params: ChatParams, *, adapter: str | None = None,
                 cancel: CancelToken | None = None, progress: ProgressFn | None = None) -> LocalReply:
    """Text deltas of the local model's reply; loads (and caches) the model first."""
    loaded = load(model, adapter, progress=progress, cancel=cancel)
    return LocalReply(loaded, messages, params, cancel)


def complete_batch(model: str, conversations: list[list[ChatMessage]], params: ChatParams, *,
                   cancel: CancelToken | None = None) -> list[tuple[str, int, int]]:
    """(reply, prompt tokens, generated tokens) for each conversation, from ONE ``generate`` call: prompts are
    left-padded (a decoder-only model continues from the right edge), so a batch costs about one reply's time on
    a GPU and a few on a CPU. Evaluation uses it; the playground streams one reply at a time instead."""
    import torch

    loaded = load(model, cancel=cancel)
    tokenizer = loaded.tokenizer
    prompts = [prompt_ids(loaded, messages)[0][0].tolist() for messages in conversations]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    kwargs = generation_kwargs(loaded, params)
    if cancel is not None:
        cancel.raise_if_cancelled()
    with torch.inference_mode():
        if params.seed is not None:
            torch.manual_seed(params.seed)
        out = loaded.model.generate(input_ids=ids.to(loaded.model.device), attention_mask=mask.to(loaded.model.device),
                                    **kwargs)
    ends = {i for i in (tokenizer.eos_token_id, pad) if i is not None}
    results = []
    for prompt, row in zip(prompts, out[:, width:].tolist()):
        generated = next((n for n, token in enumerate(row) if token in ends), len(row))
        text = tokenizer.decode(row[:generated], skip_special_tokens=True)
        for stop in (s for s in params.stop if s):
            text = text.split(stop, 1)[0]
        results.append((text, len(prompt), generated + (1 if generated < len(row) else 0)))
    return results
