"""``chat --model REF "prompt"``: stream one reply to the terminal; Ctrl-C stops it.

The model runs where ``--provider`` says (default: the provider that runs folders for a folder or an
``--adapter``, else ``providers.DEFAULT_KIND``), with
the saved account ``--account`` (a name or an id). Time to first token and tokens per second go to
stderr, so stdout holds the reply alone and can be piped.
"""

from __future__ import annotations

import signal
import sys

from backend import providers
from backend.cancel import CancelToken
from backend.errors import InvalidInput
from backend.models import ChatMessage, ChatParams, ProviderKind
from backend.providers.base import Chats, LoadsModel


def register(subparsers) -> None:
    parser = subparsers.add_parser("chat", help="stream a model's reply to a prompt")
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--model", required=True, help="a model name, a local model or adapter folder, or a Hub id")
    runner = providers.local_runner()
    parser.add_argument("--provider", choices=[k.value for k in providers.kinds(having=Chats)],
                        help=f"where the model runs (default: {runner.value if runner else 'none'} for a folder, "
                        f"else {providers.DEFAULT_KIND.value})")
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


def _provider(args) -> ProviderKind:
    """``--provider``, else the provider that runs folders for a folder or an adapter, else the default."""
    from backend import hub

    runner = providers.local_runner()
    if args.provider:
        kind = ProviderKind(args.provider)
    elif runner is not None and (hub.is_local(args.model) or args.adapter):
        kind = runner
    else:
        kind = providers.DEFAULT_KIND
    if args.adapter and kind is not runner:
        raise InvalidInput(f"--adapter applies to a model on this computer, not to {providers.label(kind)}.",
                           hint="Leave out --provider, or --adapter.")
    return kind


def chat_command(args) -> int:
    from backend import chat

    ref = chat.ModelRef(provider=_provider(args), account_id=_account_id(args.account), model=args.model)
    messages = ([ChatMessage(role="system", content=args.system)] if args.system else []) + [
        ChatMessage(role="user", content=args.prompt)]
    params = ChatParams(temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens,
                        stop=args.stop, seed=args.seed)
    cancel = CancelToken()
    # Ctrl-C sets the token: the stream ends at its next chunk and what arrived stays on screen.
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        provider = chat.provider_for(ref)
        if isinstance(provider, LoadsModel):  # load first: the figures are about the reply, not the load
            provider.load(args.model, adapter=args.adapter, cancel=cancel)
        if args.adapter:  # a base and an adapter named apart: chat_stream takes one model
            from backend import local_chat

            deltas = chat.timed(local_chat.stream_reply(args.model, messages, params, adapter=args.adapter,
                                                        cancel=cancel), cancel)
        else:
            deltas = chat.stream_reply(ref, messages, params, cancel, provider=provider)
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
