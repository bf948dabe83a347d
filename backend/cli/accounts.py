"""``accounts`` commands: list, add, edit, test, remove. No display needed.

A key is read with a hidden prompt, from standard input (``--key-stdin``) or from the provider's
environment variable (``--from-env``), never from the command line, where other users and the shell's
history could see it.
"""

from __future__ import annotations

import getpass
import json
import sys

from backend import accounts, credentials, paths
from backend.errors import InvalidInput, KeyringUnavailable
from backend.models import Account, AccountKind

_FIELD_OPTIONS = [  # option, Account field, help
    ("--organization", "organization", "OpenAI organization id (org-...)"),
    ("--project", "project", "OpenAI project id (proj_...)"),
    ("--base-url", "base_url", "OpenAI-compatible base URL (default: OpenAI's); for Hugging Face the inference URL"),
    ("--endpoint", "endpoint", "Azure OpenAI endpoint (https://NAME.openai.azure.com), or a private Hugging Face Hub"),
    ("--api-version", "api_version", "Azure OpenAI api-version (default 2025-04-01-preview)"),
    ("--subscription", "subscription_id", "Azure subscription id (for deployments)"),
    ("--resource-group", "resource_group", "Azure resource group (for deployments)"),
    ("--resource-name", "resource_name", "Azure OpenAI resource name (for deployments)"),
]


def register(subparsers) -> None:
    parser = subparsers.add_parser("accounts", help="list, add, edit, test and remove provider accounts")
    sub = parser.add_subparsers(dest="accounts_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p = sub.add_parser("list", help="saved accounts (secrets are never shown)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_list)

    p = sub.add_parser("add", help="save an account; its key goes to the system keyring",
                       description="Save an account. The key is asked for with a hidden prompt, or read from "
                                   "standard input with --key-stdin, or taken from the environment with --from-env.")
    p.add_argument("--provider", required=True, choices=[k.value for k in AccountKind])
    p.add_argument("--name", help="a name of your choice, unique among your accounts")
    for option, _field, text in _FIELD_OPTIONS:
        p.add_argument(option, help=text)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--key-stdin", action="store_true", help="read the key or token from standard input")
    source.add_argument("--from-env", action="store_true",
                        help="take the key and settings from OPENAI_API_KEY, AZURE_OPENAI_API_KEY with "
                             "AZURE_OPENAI_ENDPOINT, or HF_TOKEN")
    p.add_argument("--test", action="store_true", help="test the connection after saving")
    p.set_defaults(func=_add)

    p = sub.add_parser("edit", help="change a saved account's name, settings or key",
                       description="Change a saved account. Options not given keep their value; an empty value "
                                   "(--project '') clears a setting. The key stays unless --new-key (hidden "
                                   "prompt) or --key-stdin is given.")
    p.add_argument("account", help="account name or id")
    p.add_argument("--name", help="a new name")
    for option, _field, text in _FIELD_OPTIONS:
        p.add_argument(option, help=text)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--new-key", action="store_true", help="replace the key or token (asked with a hidden prompt)")
    source.add_argument("--key-stdin", action="store_true", help="replace the key or token with standard input's")
    p.add_argument("--test", action="store_true", help="test the connection after saving")
    p.set_defaults(func=_edit)

    p = sub.add_parser("test", help="call the provider once with a saved account")
    p.add_argument("account", help="account name or id")
    p.set_defaults(func=_test)

    p = sub.add_parser("remove", help="forget an account and its key")
    p.add_argument("account", help="account name or id")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_remove)


def _list(args) -> int:
    saved = accounts.list_accounts()
    if args.json:
        print(json.dumps([a.model_dump(mode="json", exclude_none=True) for a in saved], indent=2))
        return 0
    if not saved:
        print("No accounts yet. Add one with: accounts add --provider openai|azure|huggingface")
        return 0
    rows = [(a.name, accounts.KIND_LABELS[a.kind], a.id, a.endpoint or a.base_url or "") for a in saved]
    widths = [max(len(r[i]) for r in rows + [("NAME", "PROVIDER", "ID", "ADDRESS")]) for i in range(4)]
    for row in [("NAME", "PROVIDER", "ID", "ADDRESS"), *rows]:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
    return 0


def _add(args) -> int:
    kind = AccountKind(args.provider)
    if args.from_env:
        account, secret = _from_environment(kind)
    else:
        account, secret = Account(name="", kind=kind), None
    fields = {field: getattr(args, _dest(option)) for option, field, _ in _FIELD_OPTIONS}
    account = account.model_copy(update={k: v for k, v in fields.items() if v is not None})
    if args.name:
        account = account.model_copy(update={"name": args.name})
    if not account.name:
        raise InvalidInput("Give the account a name with --name.")
    accounts.check(accounts.clean(account), accounts.list_accounts())  # before asking for the key
    if secret is None:
        secret = _read_secret(kind, args.key_stdin)
    try:
        saved = accounts.save_account(account, secret)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(f"{exc.message} The account was not saved.",
                                 hint=f"Set {paths.FTS_SESSION_SECRETS}=1 to keep a key in memory for one "
                                      "command only.") from None
    print(f"Saved “{saved.name}” ({accounts.KIND_LABELS[kind]}, id {saved.id}); "
          f"its {accounts.SECRET_LABELS[kind]} is {credentials.default_store().where()}.")
    return _report(saved) if args.test else 0


def _edit(args) -> int:
    account = accounts.find_account(args.account)
    update: dict = {"name": args.name} if args.name is not None else {}
    update |= {field: (value or None) for option, field, _ in _FIELD_OPTIONS
               if (value := getattr(args, _dest(option))) is not None}
    ignored = sorted(option for option, field, _ in _FIELD_OPTIONS
                     if field in update and field not in accounts.FIELDS[account.kind])
    if ignored:
        raise InvalidInput(f"{accounts.KIND_LABELS[account.kind]} accounts have no {', '.join(ignored)}.",
                           hint="See: accounts edit --help.")
    if not update and not (args.new_key or args.key_stdin):
        raise InvalidInput("Nothing to change.", hint="Give --name, a setting or --new-key; see accounts edit --help.")
    edited = account.model_copy(update=update)
    accounts.check(accounts.clean(edited), accounts.list_accounts())  # before asking for the key
    secret = _read_secret(account.kind, args.key_stdin) if (args.new_key or args.key_stdin) else None
    saved = accounts.save_account(edited, secret)
    labels = {field: option.lstrip("-") for option, field, _ in _FIELD_OPTIONS} | {"name": "name"}
    changed = [labels[k] for k in update] + ([accounts.SECRET_LABELS[account.kind]] if secret is not None else [])
    print(f"Saved “{saved.name}”: {', '.join(changed)} changed.")
    return _report(saved) if args.test else 0


def _dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _from_environment(kind: AccountKind) -> tuple[Account, str]:
    for candidate in accounts.env_candidates(include_saved=True):
        if candidate.account.kind is kind:
            return candidate.account, candidate.secret
    needed = {AccountKind.OPENAI: paths.OPENAI_API_KEY,
              AccountKind.AZURE: f"{paths.AZURE_OPENAI_API_KEY} and {paths.AZURE_OPENAI_ENDPOINT}",
              AccountKind.HUGGINGFACE: paths.HF_TOKEN}[kind]
    raise InvalidInput(f"The environment has no {accounts.KIND_LABELS[kind]} credentials: set {needed}.")


def _read_secret(kind: AccountKind, from_stdin: bool) -> str:
    label = accounts.SECRET_LABELS[kind]
    if from_stdin:
        return sys.stdin.readline().strip()
    if not sys.stdin.isatty():
        raise InvalidInput(f"No {label} given.", hint="Pipe it in with --key-stdin, or use --from-env.")
    return getpass.getpass(f"{accounts.KIND_LABELS[kind]} {label} (hidden): ")


def _report(account: Account) -> int:
    from backend.connection import test_account

    result = test_account(account.id)
    print(("OK: " if result.ok else "Failed: ") + result.message, file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _test(args) -> int:
    return _report(accounts.find_account(args.account))


def _remove(args) -> int:
    account = accounts.find_account(args.account)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput(f"Not removing “{account.name}” without confirmation.", hint="Add --yes.")
        if input(f"Remove the account “{account.name}” and its key? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Kept.")
            return 1
    accounts.remove_account(account.id)
    print(f"Removed “{account.name}”.")
    return 0
