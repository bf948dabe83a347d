"""``export JOB_ID``: a finished local run's model to a folder (an adapter merged onto its base), to a Hugging
Face Hub repository with a model card, and its TRL recipe as YAML. Progress goes to stderr; Ctrl-C
cancels and leaves nothing half-written.

The push uses the saved Hugging Face account's token from the keyring (``--account`` when there are
several); there is deliberately no option that takes a token.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from backend.cancel import CancelToken, Progress


def register(subparsers) -> None:
    from backend.cli import export_gguf

    parser = subparsers.add_parser(
        "export", help="save a local run's model (merged, or as GGUF), push it to the Hugging Face Hub, write its "
                       "TRL recipe",
        usage="%(prog)s [gguf] JOB_ID [options]",
        description="Export a fine-tune trained on this computer. Give one or more of --merge, --push and "
                    "--recipe; or `export gguf JOB_ID --out DIR` for a GGUF file and its Ollama Modelfile. "
                    "Nothing is ever overwritten: each destination must be new (or an empty folder).")
    parser.add_argument("id", metavar="JOB_ID", help="the job (its id, a unique prefix of it; see `jobs list`)")
    parser.add_argument("gguf_id", nargs="?", help=argparse.SUPPRESS)  # `export gguf JOB_ID`: the job comes second
    parser.add_argument("--merge", metavar="OUT_DIR", type=Path,
                        help="save the trained model here, a LoRA adapter merged onto its base (a standalone model)")
    parser.add_argument("--push", metavar="REPO_ID",
                        help="push the merged model with a model card to this Hub repository (NAME or OWNER/NAME)")
    visibility = parser.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="private", action="store_true", default=True,
                            help="make a new repository private (the default)")
    visibility.add_argument("--public", dest="private", action="store_false", help="make a new repository public")
    parser.add_argument("--account", help="the saved Hugging Face account that pushes (name or id; default: the "
                                          "job's, or your only one)")
    parser.add_argument("--recipe", metavar="FILE", type=Path,
                        help="write the run's TRL configuration here, for `trl sft --config FILE`")
    export_gguf.add_options(parser)
    parser.set_defaults(func=export_command)


def _printer():
    """Progress on stderr: one line rewritten in place on a terminal, each new step on its own line otherwise."""
    from backend.monitor import duration_text

    interactive = sys.stderr.isatty()
    last = {"message": None}

    def show(p: Progress) -> None:
        if last["message"] is None:  # the checks passed and the libraries are about to load
            _quiet_libraries()
        step = p.message.split(":")[0]
        percent = f" {100 * p.fraction:3.0f}%" if p.fraction is not None else ""
        eta = f", about {duration_text(p.eta_seconds)} left" if p.eta_seconds else ""
        if interactive:
            print(f"\r\033[K{p.message}{percent}{eta}", end="", file=sys.stderr, flush=True)
        elif step != last["message"]:
            print(f"{p.message}{percent}{eta}", file=sys.stderr, flush=True)
        last["message"] = step

    return show, interactive


def _quiet_libraries() -> None:
    """Only this command's progress line on stderr: no library progress bars; warnings go to the log file."""
    import logging

    import transformers

    transformers.utils.logging.disable_progress_bar()
    logging.captureWarnings(True)


def export_command(args) -> int:
    from backend.cli import export_gguf
    from backend.errors import InvalidInput
    from backend.training.export import ExportRequest

    if args.id == "gguf" or args.gguf_id is not None:
        return export_gguf.gguf_command(args)
    if not (args.merge or args.push or args.recipe):
        raise InvalidInput("Say what to export.", hint="Give --merge OUT_DIR, --push REPO_ID and/or --recipe FILE.")
    job = find_export_job(args.id)
    provider = exporting_provider(job)
    request = ExportRequest(merged_dir=args.merge, repo_id=args.push, private=args.private, account=args.account,
                            recipe_file=args.recipe)
    return run_export(provider, job, request)


def find_export_job(job_id: str):
    from backend.cli.jobs import find_job
    from backend.store import JobStore

    store = JobStore()
    try:
        return find_job(store, job_id)
    finally:
        store.close()


def exporting_provider(job):
    """The job's provider, opened; CapabilityMissing (before any account is read) when it cannot export."""
    from backend.errors import CapabilityMissing
    from backend.providers import label, open_provider, provider_class
    from backend.providers.base import Exports

    if not issubclass(provider_class(job.provider), Exports):  # decided before any account is read
        raise CapabilityMissing(f"{label(job.provider)} jobs cannot be exported: the model stays with the provider.",
                                hint="Export works for fine-tunes trained on this computer.")
    return open_provider(job.provider, job.account_id)


def run_export(provider, job, request) -> int:
    """Run the export with progress on stderr and Ctrl-C as cancel; print its summary."""
    from backend.errors import Cancelled

    cancel = CancelToken()
    show, interactive = _printer()
    # Ctrl-C sets the token: the export stops at its next step and removes what it had half-written.
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        result = provider.export(job, request, progress=show, cancel=cancel)
    except Cancelled:
        print(("\n" if interactive else "") + "Cancelled: nothing half-written was left behind.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
        if interactive:
            print(file=sys.stderr)
    print(result.summary())
    return 0
