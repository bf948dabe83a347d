"""``jobs create``: launch a fine-tune from the command line, with the same pipeline as the wizard.

``--account NAME`` picks a saved account (its key comes from the keyring). Without it, OpenAI and
Azure read the SDKs' usual environment variables (OPENAI_API_KEY, OPENAI_BASE_URL,
AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION), which suits scripts and CI; such jobs
are followed, and their unconfirmed launches settled, with those same variables (never stored).

Before launching, a launch of the same account still waiting for its answer is settled first, so a
user who runs the command again after a lost answer gets the job that exists, not a second one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from pydantic import ValidationError

from backend.bounds import refusal
from backend.data.profile import Dialect
from backend.errors import InvalidInput
from backend.models import JobStatus, ProviderKind, TrainingConfig
from backend.providers import hyperparameter_ranges, kinds, label, provider_class, training_config
from backend.providers.base import Trainer

# How a refusal names each field: by the flag that set it ("--epochs 0 is out of range: OpenAI allows 1 to 50.").
FLAGS = {"n_epochs": "--epochs {value}", "batch_size": "--batch-size {value}", "learning_rate_multiplier":
         "--lr-multiplier {value}", "beta": "--beta {value}", "suffix": "--suffix {value}", "seed": "--seed {value}",
         "validation_split": "--split {value}"}


def register_create(jobs_subparsers) -> argparse.ArgumentParser:
    p = jobs_subparsers.add_parser("create", help="launch a fine-tune",
                                   description="Validate and upload the data, then start a fine-tune.")
    p.add_argument("--provider", required=True, choices=[k.value for k in kinds(having=Trainer)])
    p.add_argument("--account", help="saved account name (default: the SDK's environment variables)")
    p.add_argument("--data", required=True, help="training data file (JSONL, CSV, Parquet ...)")
    split = p.add_mutually_exclusive_group()
    split.add_argument("--validation", help="validation data file")
    split.add_argument("--split", type=float, default=0.0, help="share of the data held out for validation, e.g. 0.1")
    p.add_argument("--model", required=True, help="base model id (or your ft: model, or a Hugging Face model)")
    p.add_argument("--method", choices=["supervised", "dpo"], default="supervised")
    p.add_argument("--epochs", default="auto", help="number of passes over the data, or auto")
    p.add_argument("--batch-size", default="auto")
    p.add_argument("--lr-multiplier", default="auto", help="learning-rate multiplier, or auto")
    p.add_argument("--beta", default=None, help="DPO only: how far the model may move from the base, or auto")
    p.add_argument("--suffix", help="up to 64 characters added to the fine-tuned model's name")
    p.add_argument("--seed", type=int)
    p.add_argument("--training-type", choices=["standard", "globalstandard", "developer"],
                   help="Azure only: where it trains. standard: in your resource's region; globalstandard: wherever "
                        "Azure has capacity, cheaper; developer: the cheapest, no guarantees")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="provider option (local training: lora_r=16, max_length=1024, ...); repeatable")
    p.add_argument("--flavor", help="Hugging Face (cloud): the hardware, e.g. a10g-small (see the wizard's list)")
    p.add_argument("--timeout", help="Hugging Face (cloud): stop the job after this long, e.g. 90m or 2h "
                                     "(default: the estimate with a margin)")
    p.add_argument("--budget", type=float, help="Hugging Face (cloud): cancel the job before it costs more (USD)")
    p.add_argument("--wait", action="store_true", help="follow the job until it finishes")
    p.add_argument("--poll", type=float, default=15.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run_create)
    return p


def _auto(value: str | None, kind: type, field: str, provider: str):
    """A hyperparameter flag's value: "auto", or a number of ``kind`` (its range is the configuration's to check)."""
    if value is None or value == "auto":
        return value
    try:
        return kind(value)
    except ValueError:
        who, table = hyperparameter_ranges(provider) or ("", {})
        flag = f"{FLAGS[field].split()[0]} must be a number or auto, not {value!r}"
        if field not in table:
            raise InvalidInput(f"{flag}.") from None
        whole = "whole numbers " if kind is int else ""
        raise InvalidInput(f"{flag}: {who} allows {whole}{table[field].describe()}.") from None


def _rented(args) -> dict:
    """``--flavor``, ``--timeout`` and ``--budget`` as options, for a provider that rents hardware."""
    given = {"flavor": getattr(args, "flavor", None), "timeout": getattr(args, "timeout", None),
             "budget": getattr(args, "budget", None)}
    if not any(v is not None for v in given.values()):
        return {}
    if not provider_class(args.provider).rents_hardware:
        flags = ", ".join(f"--{k}" for k, v in given.items() if v is not None)
        raise InvalidInput(f"{flags} apply only to training on rented hardware, not to {label(args.provider)}.")
    options: dict = {}
    if given["flavor"]:
        options["flavor"] = given["flavor"]
    if given["timeout"]:
        text = str(given["timeout"]).strip().lower()
        factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:], None)
        try:
            options["timeout_seconds"] = int(float(text[:-1] if factor else text) * (factor or 1))
        except ValueError:
            raise InvalidInput(f"--timeout {given['timeout']!r} is not a duration.", hint="For example: 90m or 2h") from None
        if options["timeout_seconds"] < 60:
            raise InvalidInput("--timeout must be at least a minute.")
    if given["budget"] is not None:
        if given["budget"] <= 0:
            raise InvalidInput("--budget must be more than 0 dollars.")
        options["budget_usd"] = given["budget"]
    return options


def build_config(args, account_id: str | None) -> TrainingConfig:
    options = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--option {item!r} is not KEY=VALUE.", hint="For example: --option lora_r=16")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    training_type = getattr(args, "training_type", None)  # `autotrain config` builds with a parser without it
    if training_type:
        if not provider_class(ProviderKind(args.provider)).training_types:
            raise InvalidInput(f"--training-type applies only to --provider azure, not {args.provider}.")
        options["training_type"] = training_type
    options.update(_rented(args))
    beta = _auto(args.beta, float, "beta", args.provider)
    if beta is not None and args.method != "dpo":
        raise InvalidInput("--beta applies only to --method dpo.")
    hyper = dict(n_epochs=_auto(args.epochs, int, "n_epochs", args.provider),
                 batch_size=_auto(args.batch_size, int, "batch_size", args.provider),
                 learning_rate_multiplier=_auto(args.lr_multiplier, float, "learning_rate_multiplier", args.provider),
                 beta=beta)
    try:  # every range is checked here, before any upload, download or job record
        config = training_config(provider=ProviderKind(args.provider), account_id=account_id, base_model=args.model,
                                 method=args.method, training_file=args.data, validation_file=args.validation,
                                 validation_split=args.split or 0.0, suffix=args.suffix, seed=args.seed,
                                 hyperparameters=hyper, options=options)
    except ValidationError as exc:
        raise refusal(exc, names=FLAGS) from None
    profile = provider_class(config.provider).data
    if profile is not None and profile.dialect is Dialect.TRL:  # options are the TRL trainer's settings
        from backend.training.defaults import check_options

        check_options(config, names={key: f"--option {key}={{value}}" for key in options})
    return config


def open_for_cli(kind: ProviderKind, account_name: str | None):
    """(provider, account id) for a saved account, or for the environment's credentials (no account)."""
    from backend.providers import open_provider

    if account_name:
        from backend import accounts

        account_id = accounts.find_account(account_name).id
        return open_provider(kind, account_id), account_id
    return open_provider(kind, None), None


class _ProgressPrinter:
    """One line per message change, or every few seconds, on stderr (stdout stays for results)."""

    def __init__(self):
        self.last = ("", 0.0)

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if progress.message == self.last[0] and now - self.last[1] < 5:
            return
        self.last = (progress.message, now)
        share = f" {progress.fraction:.0%}" if progress.fraction is not None else ""
        eta = f", about {progress.eta_seconds:.0f} s left" if progress.eta_seconds else ""
        print(f"{progress.message or 'Working'}{share}{eta}", file=sys.stderr, flush=True)


def run_create(args) -> int:
    from backend.cli.jobs import cli_policy, follow
    from backend.launch import duplicates_note, launch, reconcile_pending
    from backend.store import JobStore

    kind = ProviderKind(args.provider)
    config = build_config(args, None)  # the flags first: a wrong value is said before any account is opened
    provider, account_id = open_for_cli(kind, args.account)
    config = config.model_copy(update={"account_id": account_id})
    store = JobStore()
    same_account = lambda _kind, _account_id: provider  # noqa: E731 - the credentials this command was given
    try:
        for settled in reconcile_pending(store, open_provider=same_account, account=(kind, account_id)):
            print(f"An earlier launch is settled: job {settled.id} ({settled.remote_id or 'not created'}) "
                  f"is {settled.status.value}.", file=sys.stderr)
        waiting = {j.id for j in store.list_jobs(status=[JobStatus.CREATING])}
        try:
            job = launch(config, store=store, progress=_ProgressPrinter(), provider=provider)
        except KeyboardInterrupt:
            if any(j.id not in waiting for j in store.list_jobs(status=[JobStatus.CREATING])):
                print("Interrupted after the job was sent: it may exist. `jobs list` checks for it, and running "
                      "this command again adopts it rather than creating a second one.", file=sys.stderr)
                return 130
            raise
        print(f"Created job {job.id} ({job.remote_id}) on {label(kind)}: {job.status.value}")
        note = duplicates_note(store, job)
        if note:
            print(f"warning: {note}", file=sys.stderr)
        if not args.wait:
            return 0
        return follow(store, job, policy=cli_policy(args.poll), open_provider=same_account)
    finally:
        store.close()
