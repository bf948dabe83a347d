"""``python main.py deployments list|create|show|probe|delete|signin|find``: fine-tuned models hosted for chat.

Creating states the hourly hosting cost and asks before anything is sent (``--yes`` skips the question); deleting
asks too and says that hosting charges stop. Progress goes to stderr, results to stdout. The Azure sign-in uses the
method kept on the account (``signin --method`` changes it); a device code's instructions are printed.
"""

from __future__ import annotations

import sys

from backend import deployments
from backend.accounts import find_account
from backend.cancel import Progress
from backend.errors import InvalidInput
from backend.store import JobStore

TYPES = {"developer": "DeveloperTier", "standard": "Standard", "globalstandard": "GlobalStandard"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("deployments", help="deploy fine-tuned models (Azure OpenAI), probe and delete them")
    sub = parser.add_subparsers(dest="deployments_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    def add(name: str, text: str, func, *, named: bool = False):
        p = sub.add_parser(name, help=text)
        p.add_argument("--account", help="the Azure OpenAI account (name or id); needed when there are several")
        if named:
            p.add_argument("name", help="the deployment's name")
        p.set_defaults(func=func)
        return p

    add("list", "every deployment of each Azure OpenAI account", _list)
    p = add("create", "deploy a job's model (or a checkpoint's) after stating what hosting costs", _create)
    p.add_argument("--job", help="the job whose model to deploy (id or its start)")
    p.add_argument("--checkpoint", type=int, help="deploy the checkpoint of this step instead of the final model")
    p.add_argument("--model", help="a fine-tuned model id to deploy (instead of --job)")
    p.add_argument("--name", help="the deployment's name (default: from the model)")
    p.add_argument("--type", choices=list(TYPES), default="developer",
                   help="developer: free hosting, deleted by Azure after 24 h; standard; globalstandard")
    p.add_argument("--capacity", type=int, default=None, help="capacity units (default: 50 developer, else 1)")
    p.add_argument("--no-probe", action="store_true", help="do not wait until the deployment answers")
    p.add_argument("--yes", action="store_true", help="do not ask before deploying")
    add("show", "one deployment: model, type, state, age", _show, named=True)
    p = add("probe", "one tiny chat with a deployment, again until it answers", _probe, named=True)
    p.add_argument("--timeout", type=float, default=None, help="seconds to keep trying (default 600)")
    p = add("delete", "delete a deployment (asks first); its hosting charges stop", _delete, named=True)
    p.add_argument("--yes", action="store_true", help="do not ask before deleting")
    p = add("signin", "sign in to Azure for an account, and keep the method and who signed in on it", _signin)
    p.add_argument("--method", choices=list(deployments.SIGN_IN_METHODS), help="cli, browser or device_code")
    add("find", "fill in an account's resource group and name from its endpoint", _find)


def _account(ref: str | None):
    if ref:
        return find_account(ref)
    saved = deployments.deploying_accounts()
    if len(saved) == 1:
        return saved[0]
    if not saved:
        raise InvalidInput("There is no Azure OpenAI account to deploy with.",
                           hint="Add one with `python main.py accounts add --provider azure`.")
    raise InvalidInput(f"You have {len(saved)} Azure OpenAI accounts: say which one.", hint="Add --account NAME.")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _progress(progress: Progress) -> None:
    _say(progress.message)


def _manager(account):
    return deployments.manager(account, prompt=_say)


def _line(view) -> str:
    info = view.info
    created = info.created.strftime("%Y-%m-%d %H:%M") if info.created else "?"
    left = deployments.time_left(info.expires)
    return (f"{info.name}\t{info.model}\t{info.type_label}\t{view.status}\tcreated {created}"
            + (f"\t{left}" if left else ""))


def _list(args) -> int:
    found = deployments.list_all(prompt=_say) if not args.account else [
        deployments.AccountDeployments(a := _account(args.account), _manager(a).list())]
    code = 0
    for entry in found:
        print(f"{entry.account.name}:")
        if entry.problem:
            print(f"  could not list: {entry.problem}")
            code = 1
        for view in entry.views:
            print("  " + _line(view))
        if not entry.problem and not entry.views:
            print("  no deployments")
    return code


def _create(args) -> int:
    account = _account(args.account)
    if bool(args.job) == bool(args.model):
        raise InvalidInput("Say what to deploy: --job ID (with --checkpoint STEP for a checkpoint) or --model ID.")
    model = args.model
    if args.job:
        from backend.cli.jobs import find_job

        store = JobStore()
        job = find_job(store, args.job)
        choices = deployments.deployable_models(job, store.checkpoints(job.id))
        if args.checkpoint is not None:
            wanted = [m for m, label in choices if label.endswith(f"(step {args.checkpoint})")]
            if not wanted:
                raise InvalidInput(f"The job has no checkpoint at step {args.checkpoint}.",
                                   hint="`jobs show ID` lists them.")
            model = wanted[0]
        else:
            model = choices[0][0]
    sku = TYPES[args.type]
    capacity = args.capacity or (50 if sku == "DeveloperTier" else 1)
    if capacity < 1:
        raise InvalidInput("--capacity must be 1 or more.")
    name = args.name or deployments.default_name(model)
    _say(f"Deploy {model} as “{name}” ({deployments.DEPLOYMENT_TYPES[sku]}, capacity {capacity}) "
         f"on “{account.name}”. {deployments.hosting_quote(model, sku)}")
    if not args.yes and not _confirm("Deploy? [y/N] "):
        _say("Nothing was deployed.")
        return 1
    manager = _manager(account)
    info = manager.deploy(model, name, sku, capacity, progress=_progress)
    print(f"Deployed “{info.name}” ({info.type_label}): Azure says {info.state}.")
    if args.no_probe:
        return 0
    return _report_probe(manager, name, None)


def _report_probe(manager, name: str, timeout: float | None) -> int:
    if manager.probe(name, timeout=timeout, progress=_progress):
        print(f"“{name}” is ready: it answered. Chat with it in the playground or with `chat --model {name}`.")
        return 0
    print(f"“{name}” does not answer yet. Probe it again later, or delete it "
          f"(`deployments delete {name}`) so that hosting charges stop.")
    return 1


def _show(args) -> int:
    view = _manager(_account(args.account)).show(args.name)
    if view is None:
        raise InvalidInput(f"There is no deployment “{args.name}”.", hint="`deployments list` shows them.")
    print(_line(view))
    if view.problem:
        print(f"last probe: {view.problem}")
    return 0


def _probe(args) -> int:
    return _report_probe(_manager(_account(args.account)), args.name, args.timeout)


def _delete(args) -> int:
    account = _account(args.account)
    if not args.yes and not _confirm(f"Delete the deployment “{args.name}” on “{account.name}”? Its hosting "
                                     f"charges stop; the fine-tuned model stays. [y/N] "):
        _say("Nothing was deleted.")
        return 1
    _manager(account).delete(args.name, progress=_progress)
    print(f"Deleted “{args.name}”: its hosting charges stop.")
    return 0


def _signin(args) -> int:
    account = deployments.sign_in(_account(args.account), method=args.method, prompt=_say)
    print(f"Signed in to Azure as {account.azure_identity} "
          f"({deployments.SIGN_IN_METHODS[account.azure_sign_in or 'cli']}).")
    return 0


def _find(args) -> int:
    account = deployments.find_resource(_account(args.account), prompt=_say)
    print(f"“{account.name}”: subscription {account.subscription_id}, resource group {account.resource_group}, "
          f"resource {account.resource_name}.")
    return 0


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:  # no terminal and nothing piped in: no answer is no
        _say("\nNo answer (add --yes to go ahead without asking).")
        return False
