"""``endpoints list|hardware|create|pause|resume|scale-to-zero|delete``: Hugging Face Inference Endpoints of a saved
Hugging Face account (``--account`` when there are several; its token from the keyring, never an option).

``create`` shows what it will create (instance, region, price per hour, scale-to-zero) and asks before sending; a
script says ``--yes`` instead. It is sent once; ``--wait`` follows the endpoint until it runs (Ctrl-C stops only
the waiting). ``pause``, ``scale-to-zero`` and ``delete`` say that charges stop.
"""

from __future__ import annotations

import signal
import sys

POLL_SECONDS = 5.0  # how often `create --wait` asks for the endpoint's state


def register(subparsers) -> None:
    parser = subparsers.add_parser("endpoints", help="deploy models to Hugging Face Inference Endpoints and manage them",
                                   description="Hugging Face Inference Endpoints: dedicated, billed by the hour.")
    parser.add_argument("--account", help="the saved Hugging Face account (name or id; default: your only one)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="your endpoints and their states")
    hardware = sub.add_parser("hardware", help="the instances you can deploy to, cheapest first, with prices")
    hardware.add_argument("--accelerator", choices=["cpu", "gpu"])
    create = sub.add_parser("create", help="deploy a Hub model repository (shows the price and asks first)")
    create.add_argument("repository", metavar="REPO_ID", help="the model repository (OWNER/NAME) to serve")
    create.add_argument("--name", help="the endpoint's name (default: from the repository)")
    create.add_argument("--instance", metavar="HARDWARE_ID", help="see `endpoints hardware` (default: the cheapest)")
    create.add_argument("--accelerator", choices=["cpu", "gpu"], help="the cheapest of this kind")
    create.add_argument("--scale-to-zero", metavar="MINUTES", type=int, default=15,
                        help="scale to zero (no charge) after this many idle minutes; 0: never (default 15)")
    create.add_argument("--yes", action="store_true", help="do not ask: the plan is printed and sent")
    create.add_argument("--wait", action="store_true", help="follow the endpoint until it runs")
    for action in ("pause", "resume", "scale-to-zero", "delete"):
        one = sub.add_parser(action, help={"pause": "stop it (no charge) until resumed", "resume": "start it again",
                                           "scale-to-zero": "stop it now; the next request wakes it",
                                           "delete": "delete it (asks first; no charge afterwards)"}[action])
        one.add_argument("name", metavar="NAME")
        if action == "delete":
            one.add_argument("--yes", action="store_true", help="do not ask")
    parser.set_defaults(func=endpoints_command)


def open_endpoints(account: str | None):
    from backend import accounts
    from backend.endpoints import Endpoints

    chosen, token = accounts.hub_push_account(account)
    return Endpoints(chosen, token)


def _confirm(question: str, yes: bool) -> bool:
    from backend.errors import InvalidInput

    print(question)
    if yes:
        return True
    if not sys.stdin.isatty():
        raise InvalidInput("Nothing was sent: confirm with --yes (no terminal to ask on).",
                           hint="Read the line above, then run the same command with --yes.")
    return input("Proceed? [y/N] ").strip().lower() in ("y", "yes")


def endpoints_command(args) -> int:
    from backend.endpoints import CHARGES_STOP

    endpoints = open_endpoints(args.account)
    if args.action == "list":
        found = endpoints.list()
        print("\n".join(e.describe() for e in found) if found else f"No endpoints under {endpoints.namespace}.")
        return 0
    if args.action == "hardware":
        print("\n".join(f"{h.id}: {h.describe()}" for h in endpoints.hardware(args.accelerator)))
        return 0
    if args.action == "create":
        plan = endpoints.plan(args.repository, name=args.name, hardware_id=args.instance,
                              scale_to_zero_minutes=args.scale_to_zero or None, accelerator=args.accelerator)
        if not _confirm(plan.confirmation(), args.yes):
            print("Nothing was created.")
            return 1
        endpoint = endpoints.deploy(plan)
        print(f"Created {endpoint.describe()}.")
        if args.wait:
            endpoint = _follow(endpoints, endpoint.name)
        return 0
    if args.action == "delete" and not _confirm(f"Delete the endpoint “{args.name}”?", args.yes):
        print("Nothing was deleted.")
        return 1
    act = {"pause": endpoints.pause, "resume": endpoints.resume, "scale-to-zero": endpoints.scale_to_zero,
           "delete": endpoints.delete}[args.action]
    act(args.name)
    print(f"{args.name}: {CHARGES_STOP[args.action]}")
    return 0


def _follow(endpoints, name: str):
    from backend.cancel import CancelToken

    cancel, last = CancelToken(), [None]

    def show(p) -> None:
        if p.message != last[0]:
            print(p.message, file=sys.stderr, flush=True)
            last[0] = p.message

    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        endpoint = endpoints.wait(name, progress=show, cancel=cancel, every=POLL_SECONDS)
    except Exception as exc:
        from backend.errors import Cancelled

        if isinstance(exc, Cancelled):
            print("Stopped waiting; the endpoint goes on (see `endpoints list`).", file=sys.stderr)
            return None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if endpoint.state in ("running", "scaledToZero"):
        print(f"Ready at {endpoint.url}: it is in the playground.")
    return endpoint


