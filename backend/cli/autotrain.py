"""``autotrain config`` and ``autotrain import``: AutoTrain Advanced configs from and into the app.

``config`` stages the data as the wizard does and writes a YAML that ``autotrain --config FILE`` runs as it is.
``import`` reads an AutoTrain LLM config (or project folder) and prints what the app makes of it, including what
it could not map; it fails only when the file is not a usable AutoTrain LLM config. ``env`` shows, builds or
removes AutoTrain's own environment.
"""

from __future__ import annotations

import sys

from backend.errors import InvalidInput


def register(subparsers) -> None:
    group = subparsers.add_parser("autotrain", help="AutoTrain Advanced configs and environment",
                                  description="Export and import AutoTrain Advanced (0.8.36) LLM configs.")
    sub = group.add_subparsers(dest="autotrain_command", metavar="ACTION")
    p = sub.add_parser("config", help="write the settings as an AutoTrain config YAML")
    p.add_argument("--data", required=True, help="training data file (JSONL, CSV, Parquet ...)")
    split = p.add_mutually_exclusive_group()
    split.add_argument("--validation", help="validation data file")
    split.add_argument("--split", type=float, default=0.0, help="share of the data held out for validation")
    p.add_argument("--model", required=True, help="base model: a Hugging Face id or a model folder")
    p.add_argument("--method", choices=["supervised", "dpo", "orpo"], default="supervised")
    p.add_argument("--epochs", default="auto")
    p.add_argument("--batch-size", default="auto")
    p.add_argument("--lr-multiplier", default="auto")
    p.add_argument("--beta", default=None, help="DPO/ORPO: beta, or auto")
    p.add_argument("--seed", type=int)
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="training option (adapter=full, lora_r=16, max_length=1024, ...); repeatable")
    p.add_argument("--chat-template", help="AutoTrain's chat template: tokenizer (default), chatml, zephyr")
    p.add_argument("--push-to-hub", action="store_true", help="AutoTrain pushes the result (reads HF_TOKEN, HF_USERNAME)")
    p.add_argument("-o", "--output", required=True, help="the YAML file to write (its data go beside it)")
    p.set_defaults(func=run_config)
    i = sub.add_parser("import", help="read an AutoTrain config or project folder and show the app's settings")
    i.add_argument("path", help="an AutoTrain config YAML, or a project folder")
    i.set_defaults(func=run_import)
    e = sub.add_parser("env", help="AutoTrain's own environment: show it, --install or --remove it")
    e.add_argument("--install", action="store_true")
    e.add_argument("--remove", action="store_true")
    e.set_defaults(func=run_env)


def run_config(args) -> int:
    from backend.autotrain.export import save_config
    from backend.cli.jobs_create import _ProgressPrinter, build_config
    from backend.providers import local_runner, open_provider
    from backend.staging import discard

    orpo = args.method == "orpo"
    args.method = "dpo" if orpo else args.method
    args.provider, args.suffix = local_runner().value, None
    config = build_config(args, None)
    extra = {k: v for k, v in {"trainer": "orpo" if orpo else None, "chat_template": args.chat_template,
                               "push_to_hub": args.push_to_hub or None}.items() if v}
    if extra:
        config = config.model_copy(update={"options": {**config.options, "autotrain": extra}})
    data = open_provider(config.provider).prepare_data(config, progress=_ProgressPrinter())
    try:
        out = save_config(config, data, args.output)
    finally:
        discard(data.staged)
    print(f"Wrote {out} and its data folder {out.with_name(out.stem + '-data')}.")
    print(f"Run it with: autotrain --config {out}")
    return 0


def run_import(args) -> int:
    from backend.autotrain.importer import read

    got = read(args.path)
    print(f"Task:          {got.task} (method {got.method}, AutoTrain trainer {got.trainer})")
    print(f"Base model:    {got.base_model}")
    print(f"Data:          {got.data_path}")
    print(f"Training file: {got.training_file}")
    if got.validation_file:
        print(f"Validation:    {got.validation_file}")
    print("Columns:       " + (", ".join(f"{k}={v}" for k, v in got.column_mapping.items()) or "(AutoTrain's defaults)"))
    if got.app_column_mapping:
        print("  as the app's mapping: " + ", ".join(f"{k}={v}" for k, v in got.app_column_mapping.items()))
    print("Parameters:")
    for name, value in {**got.hyperparameters, **{k: v for k, v in got.options.items() if k != "autotrain"}}.items():
        print(f"  {name} = {value}")
    for name, value in (got.options.get("autotrain") or {}).items():
        print(f"  autotrain {name} = {value}")
    print("Not mapped:" if got.not_mapped else "Not mapped:    nothing")
    for line in got.not_mapped:
        print(f"  - {line}")
    return 0


def run_env(args) -> int:
    from backend.autotrain import env
    from backend.cli.jobs_create import _ProgressPrinter

    if args.install and args.remove:
        raise InvalidInput("Choose --install or --remove, not both.")
    if args.remove:
        print("Removed AutoTrain's environment." if env.remove() else "AutoTrain's environment was not installed.")
        return 0
    if args.install and not env.state().ready:
        print(env.estimate(), file=sys.stderr)
        env.ensure(progress=_ProgressPrinter())
    print(env.state().describe())
    return 0

