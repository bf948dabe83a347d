"""``export gguf JOB_ID --out DIR``: a finished local run as one GGUF file (F16, Q8_0 or Q4_K_M) with an Ollama
Modelfile beside it; ``--push`` sends both to a Hub repository (``ollama run hf.co/USER/REPO``), ``--ollama NAME``
runs ``ollama create``. The options join ``export``'s own (``--push``, ``--public``, ``--account``)."""

from __future__ import annotations

from pathlib import Path


def add_options(parser) -> None:
    from backend.training.gguf import QUANTS

    group = parser.add_argument_group("GGUF (export gguf JOB_ID --out DIR)")
    group.add_argument("--out", metavar="OUT_DIR", type=Path,
                       help="the folder (new or empty) that receives MODEL-QUANT.gguf, its Modelfile and a card")
    group.add_argument("--quant", default="Q4_K_M", choices=QUANTS, type=str.upper,
                       help="the GGUF's weights: F16, Q8_0 or Q4_K_M (default; needs llama-cpp-python)")
    group.add_argument("--ollama", metavar="NAME",
                       help="add the model to Ollama under NAME (runs `ollama create NAME -f Modelfile`)")


def gguf_command(args) -> int:
    from backend.cli.export import exporting_provider, find_export_job, run_export
    from backend.errors import InvalidInput
    from backend.training.gguf import GgufRequest

    job_id = args.gguf_id if args.id == "gguf" else None
    if job_id is None:
        raise InvalidInput("Name the job to convert.", hint="Run: main.py export gguf JOB_ID --out DIR")
    if args.merge or args.recipe:
        raise InvalidInput("A GGUF export writes a GGUF folder: --merge and --recipe belong to `export JOB_ID`.",
                           hint="Run the two exports one after the other.")
    if args.out is None:
        raise InvalidInput("Say where the GGUF goes.", hint="Give --out OUT_DIR (a new or empty folder).")
    job = find_export_job(job_id)
    provider = exporting_provider(job)
    request = GgufRequest(out_dir=args.out, quant=args.quant, repo_id=args.push, private=args.private,
                          account=args.account, ollama_name=args.ollama)
    return run_export(provider, job, request)
