"""``chat --model REF "prompt"``: stream one reply to the terminal; Ctrl-C stops it.

The model runs where ``--provider`` says (default: this computer for a folder, else OpenAI), with
the saved account ``--account`` (a name or an id). Time to first token and tokens per second go to
stderr, so stdout holds the reply alone and can be piped.
"""

from __future__ import annotations

import signal
import sys

from backend.cancel import CancelToken
from backend.models import ChatMessage, ChatParams, ProviderKind


def register(subparsers) -> None:
    parser = subparsers.add_parser("chat", help="stream a model's reply to a prompt")
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--model", required=True, help="a model name, a local model or adapter folder, or a Hub id")
    parser.add_argument("--provider", choices=[p.value for p in ProviderKind],
                        help="where the model runs (default: hf-local for a folder, else openai)")
    parser.add_argument("--account", help="the saved account to use (name or id)")
    parser.add_argument("--system", default="", help="system prompt")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-p", type=float, dest="top_p")
    parser.add_argument("--max-tokens", type=int, default=512, dest="max_tokens")
    parser.add_argument("--stop", action="append", default=[], help="a stop sequence (repeatable)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--adapter", help="a PEFT adapter folder to apply to a local --model")
    parser.set_defaults(func=chat_command)


def _account_id(name: str | None) -> str | None:
    if not name:
        return None
    from backend import accounts

    return accounts.find_account(name).id


def chat_command(args) -> int:
    from backend import chat, hub

    provider = ProviderKind(args.provider) if args.provider else (
        ProviderKind.HF_LOCAL if hub.is_local(args.model) or args.adapter else ProviderKind.OPENAI)
    ref = chat.ModelRef(provider=provider, account_id=_account_id(args.account), model=args.model)
    messages = ([ChatMessage(role="system", content=args.system)] if args.system else []) + [
        ChatMessage(role="user", content=args.prompt)]
    params = ChatParams(temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens,
                        stop=args.stop, seed=args.seed)
    cancel = CancelToken()
    # Ctrl-C sets the token: the stream ends at its next chunk and what arrived stays on screen.
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        if provider is ProviderKind.HF_LOCAL:  # load first: the figures are about the reply, not the load
            from backend import local_chat

            local_chat.load(args.model, args.adapter, cancel=cancel)
        if args.adapter:
            from backend import local_chat

            deltas = chat.timed(local_chat.stream_reply(args.model, messages, params, adapter=args.adapter,
                                                        cancel=cancel), cancel)
        else:
            deltas = chat.stream_reply(ref, messages, params, cancel)
        stats = None
        for item in deltas:
            if isinstance(item, chat.ReplyStats):
                stats = item
            else:
                sys.stdout.write(item)
                sys.stdout.flush()
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.stdout.write("\n")
    if stats is not None:
        print(f"[{stats.summary()}]", file=sys.stderr)
    return 130 if cancel.cancelled else 0
