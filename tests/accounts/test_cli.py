"""``python main.py accounts list|add|test|remove`` in a child process, without a display, keys never in argv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring

from backend import credentials

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          env=environment, timeout=120)


def saved() -> list[dict]:
    out = cli("accounts", "list", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_add_list_test_remove(fake_openai):
    assert "No accounts yet" in cli("accounts", "list").stdout
    out = cli("accounts", "add", "--provider", "openai", "--name", "Fake", "--base-url", fake_openai.base_url,
              "--key-stdin", "--test", stdin=fake_openai.api_key + "\n")
    assert out.returncode == 0, out.stderr
    assert "Saved “Fake” (OpenAI" in out.stdout and "in the system keyring" in out.stdout
    assert "OK: Connected to OpenAI" in out.stdout and fake_openai.api_key not in out.stdout + out.stderr
    (account,) = saved()
    assert account["base_url"] == fake_openai.base_url and keyring.get_password(credentials.SERVICE,
                                                                                 account["id"]) == fake_openai.api_key
    table = cli("accounts", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "PROVIDER", "ID", "ADDRESS"] and table[1].split()[:2] == ["Fake", "OpenAI"]

    assert cli("accounts", "test", "fake").returncode == 0  # by name, any case
    keyring.set_password(credentials.SERVICE, account["id"], "sk-wrong-" + "w" * 20)
    out = cli("accounts", "test", account["id"])
    assert out.returncode == 1 and "Failed: OpenAI refused the API key" in out.stderr

    out = cli("accounts", "remove", "Fake")  # stdin is not a terminal: no silent removal
    assert out.returncode == 1 and "Add --yes" in out.stderr
    assert cli("accounts", "remove", "Fake", "--yes").stdout.strip() == "Removed “Fake”."
    assert saved() == [] and keyring.get_password(credentials.SERVICE, account["id"]) is None


def test_add_from_the_environment_and_refusals(fake_hub):
    env = {"HF_TOKEN": fake_hub.token, "HF_ENDPOINT": fake_hub.url, "HF_HUB_OFFLINE": "0"}
    out = cli("accounts", "add", "--provider", "huggingface", "--from-env", "--test", env=env)
    assert out.returncode == 0, out.stderr
    assert "Saved “Hugging Face (environment)”" in out.stdout and "as alice" in out.stdout
    assert saved()[0]["endpoint"] == fake_hub.url

    out = cli("accounts", "add", "--provider", "azure", "--from-env")
    assert out.returncode == 1 and "set AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT" in out.stderr
    out = cli("accounts", "add", "--provider", "azure", "--name", "Az", "--key-stdin", stdin="k\n")
    assert out.returncode == 1 and "needs its endpoint" in out.stderr
    out = cli("accounts", "add", "--provider", "openai", "--name", "NoKey")  # stdin is not a terminal: no prompt
    assert out.returncode == 1 and "--key-stdin" in out.stderr
    out = cli("accounts", "add", "--provider", "openai", "--name", "x", "--key", "sk-secret")
    assert out.returncode == 2 and "unrecognized arguments" in out.stderr  # there is no way to give it in argv
    assert cli("accounts", "test", "nobody").stderr.startswith("error: There is no saved account “nobody”.")


def test_without_a_keyring_the_cli_says_how_to_go_on():
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = cli("accounts", "add", "--provider", "openai", "--name", "N", "--key-stdin", stdin="sk-" + "n" * 20,
              env=env)
    assert out.returncode == 1 and "No system keyring is available" in out.stderr
    assert "The account was not saved" in out.stderr and "FTS_SESSION_SECRETS=1" in out.stderr
    assert saved() == []


def test_edit_changes_what_is_given_and_keeps_the_rest(fake_openai):
    out = cli("accounts", "add", "--provider", "openai", "--name", "Work", "--organization", "org-1",
              "--project", "proj_1", "--key-stdin", stdin="sk-wrong-" + "w" * 20 + "\n")
    assert out.returncode == 0, out.stderr
    (before,) = saved()

    out = cli("accounts", "edit", "work", "--name", "Fake", "--base-url", fake_openai.base_url, "--project", "")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Saved “Fake”: name, project, base-url changed."
    (after,) = saved()
    assert after["id"] == before["id"] and after["organization"] == "org-1" and "project" not in after
    assert after["base_url"] == fake_openai.base_url
    assert keyring.get_password(credentials.SERVICE, after["id"]) == "sk-wrong-" + "w" * 20  # key kept

    out = cli("accounts", "edit", "Fake", "--key-stdin", "--test", stdin=fake_openai.api_key + "\n")
    assert out.returncode == 0, out.stderr
    assert "Saved “Fake”: API key changed." in out.stdout and "OK: Connected to OpenAI" in out.stdout
    assert fake_openai.api_key not in out.stdout + out.stderr
    assert keyring.get_password(credentials.SERVICE, after["id"]) == fake_openai.api_key

    out = cli("accounts", "edit", "Fake", "--endpoint", "https://r.openai.azure.com")
    assert out.returncode == 1 and "OpenAI accounts have no --endpoint" in out.stderr
    out = cli("accounts", "edit", "Fake")
    assert out.returncode == 1 and "Nothing to change" in out.stderr
    out = cli("accounts", "edit", "Fake", "--base-url", "not a url")
    assert out.returncode == 1 and "is not a web address" in out.stderr
    assert saved() == [after]


def test_scripts_saving_at_the_same_time_lose_no_account():
    """The settings file is read, changed and replaced: without the lock between processes, one writer's
    account would vanish under the other's rename."""
    code = ("import sys\nfrom backend import accounts\nfrom backend.models import Account, AccountKind\n"
            "for i in range(20):\n"
            "    accounts.save_account(Account(name=f'{sys.argv[1]}-{i}', kind=AccountKind.HUGGINGFACE), 'hf_' + 'x' * 30)\n")
    env = {k: v for k, v in os.environ.items()} | {"FTS_SESSION_SECRETS": "1"}
    writers = [subprocess.Popen([sys.executable, "-c", code, name], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
               for name in ("a", "b", "c", "d")]
    for w in writers:
        assert w.wait(timeout=120) == 0, w.stderr.read()
    assert sorted(a["name"] for a in saved()) == sorted(f"{n}-{i}" for n in "abcd" for i in range(20))
