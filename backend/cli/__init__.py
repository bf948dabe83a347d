"""The scriptable face: ``python main.py COMMAND ...``. Each command group is a module here
with ``register(subparsers)``; errors print one sentence and exit non-zero."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from backend.errors import StudioError
from backend.log import redact

# Command groups in the order ``--help`` lists them.
GROUPS = ["accounts", "data", "jobs", "chat", "export", "eval", "deployments", "endpoints", "autotrain"]

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finetune-studio",
        description="Fine-Tune Studio: fine-tune models on OpenAI, Azure OpenAI or Hugging Face. "
        "With no command, opens the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        try:
            module = importlib.import_module(f"backend.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"backend.cli.{name}":
                continue  # group not built in this version
            raise
        module.register(sub)
    return parser


def run(argv: list[str]) -> int:
    from backend.log import setup_logging

    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        log.warning("command failed: %s", exc)
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
