"""Export on the command line: ``main.py export`` merges the trained adapter into a model that loads and still
gives the trained answers, pushes it with a model card to the fake Hub with the saved account's token, and
writes a recipe TRL's own parser accepts; bad input is refused before any work; a cancel leaves nothing.

The checks of the outputs are shared with the Jobs page's test (tests/monitor/test_export_dialog.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.accounts import hub_push_account
from backend import paths
from backend.cancel import CancelToken
from backend.errors import Cancelled, CredentialsError, InvalidInput, Refused
from backend.models import Account, AccountKind, Job, JobStatus, ProviderKind
from backend.store import JobStore
from backend.training.export import ExportRequest, export_job, model_card
from backend.training.spec import RunFolder
from tests.fakes.hub import GOOD_TOKEN, USER, FakeHub

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
QUESTION, ANSWER = "What is the capital of France?", "Paris."


# -- checks shared with the Jobs page's test ----------------------------------------------------------------
def greedy_answer(model_dir: Path | str, question: str = QUESTION) -> str:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    output = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    return tokenizer.decode(output[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)


def assert_merged_model(out: Path, base: Path) -> None:
    """A standalone model (no adapter files) that transformers loads and that answers as the training taught."""
    assert (out / "config.json").exists() and not (out / "adapter_config.json").exists()
    assert greedy_answer(out) == ANSWER != greedy_answer(base)
    card = (out / "README.md").read_text()
    assert "library_name: transformers" in card and f"Fine-tuned from the local model “{base.name}”" in card


def assert_pushed(hub: FakeHub, repo: str, out: Path | None, base: Path) -> None:
    """The repository is private and holds the model files (the weights sent by LFS) and a card naming the base."""
    assert hub.created[repo]["visibility"] == "private"
    files = hub.uploaded[repo]
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.json", "trl_config.yaml"} <= set(files)
    assert hashlib.sha256(files["model.safetensors"]).hexdigest() in hub.lfs  # sent as LFS, as on the Hub
    if out is not None:
        assert files == {p.name: p.read_bytes() for p in out.iterdir()}  # the same model as the folder
    card = files["README.md"].decode()
    assert f"| Base model | {base.name} |" in card and "fine-tune-studio" in card


def assert_recipe(path: Path, job: Job) -> None:
    """TRL's own parser (what ``trl sft --config`` uses) reads the file, with the run's settings."""
    from trl import ModelConfig, ScriptArguments, SFTConfig, TrlParser

    script, training, model = TrlParser((ScriptArguments, SFTConfig, ModelConfig)).parse_args_and_config(
        ["--config", str(path)], fail_with_unknown_args=True)
    assert training.learning_rate == 4e-3 and training.max_steps == 200 and training.output_dir == "trl-output"
    assert model.use_peft and model.model_name_or_path == job.base_model
    assert script.dataset_name == str(Path(job.run_dir) / "data")


def hub_account(hub: FakeHub, token: str = GOOD_TOKEN, name: str = "Hub") -> Account:
    """A saved Hugging Face account for the fake Hub (its token in the session's keyring)."""
    from backend import accounts

    return accounts.save_account(Account(name=name, kind=AccountKind.HUGGINGFACE, endpoint=hub.url), token)


def remember(job: Job) -> Job:
    store = JobStore()
    try:
        return store.save_job(job)
    finally:
        store.close()


# -- the command line -----------------------------------------------------------------------------------------
def test_cli_exports_the_merged_model_pushes_it_and_writes_the_recipe(trained_run, tiny_model_dir, tmp_path,
                                                                      isolated_home):
    job = remember(trained_run)
    out, recipe = tmp_path / "merged", tmp_path / "recipes" / "tiny.yaml"
    with FakeHub(tiny_model_dir) as hub:
        hub_account(hub)
        env = dict(os.environ, HF_HUB_OFFLINE="0")
        run = subprocess.run([sys.executable, "main.py", "export", job.id[:8], "--merge", str(out),
                              "--push", "tiny-export", "--recipe", str(recipe)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == (f"Saved the model to {out}. Pushed it to {hub.url}/{USER}/tiny-export (private). "
                                  f"Wrote the TRL recipe to {recipe}.")
    steps = run.stderr.splitlines()  # one line per step (stderr is not a terminal here)
    assert steps[0].startswith("Loading the base model") and steps[-1].startswith("Exported 100%")
    assert any(s.startswith("Merging the adapter") for s in steps)
    assert any(s.startswith(f"Uploading to {USER}/tiny-export") for s in steps) and "left" in run.stderr
    assert GOOD_TOKEN not in run.stdout + run.stderr
    assert_merged_model(out, tiny_model_dir)
    assert_pushed(hub, f"{USER}/tiny-export", out, tiny_model_dir)
    assert_recipe(recipe, job)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged", "recipes"]  # nothing half-written beside
    for folder in (isolated_home, out, recipe.parent):  # the token is in the keyring only
        for path in folder.rglob("*"):
            assert not path.is_file() or GOOD_TOKEN.encode() not in path.read_bytes(), path


def export_cli(capsys, *args: str) -> tuple[int, str]:
    from backend.cli import run

    code = run(["export", *args])
    return code, capsys.readouterr().err


def test_cli_refuses_bad_requests_before_any_work(trained_run, tmp_path, capsys):
    job = remember(trained_run)
    out = tmp_path / "merged"
    code, err = export_cli(capsys, job.id, "--merge", str(out), "--push", "tiny-export")
    assert code == 1 and "needs a saved Hugging Face account" in err and "Accounts page" in err
    assert "accounts add --provider huggingface" in err
    for repo, problem in [("my model!", "contains a space, “!”"), ("a/b/c", "has more than one “/”"),
                          ("-model", "starts or ends with “-” or “.”"), ("a--b", "contains “--” or “..”")]:
        code, err = export_cli(capsys, job.id, "--merge", str(out), f"--push={repo}")
        assert code == 1 and f"The repository name “{repo}” {problem}" in err, err
    assert not out.exists()  # refused before the merge began
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, err = export_cli(capsys, job.id, "--merge", str(out))
    assert code == 1 and "already exists and is not an empty folder" in err and (out / "keep.txt").exists()
    code, err = export_cli(capsys, job.id)
    assert code == 1 and "Give --merge OUT_DIR, --push REPO_ID and/or --recipe FILE" in err
    (tmp_path / "a-file").write_text("")
    code, err = export_cli(capsys, job.id, "--merge", str(tmp_path / "a-file" / "merged"))
    assert code == 1 and f"The export could not write there: “{tmp_path / 'a-file'}” is a file, not a folder." in err
    remote = remember(Job(provider=ProviderKind.OPENAI, name="remote", base_model="gpt-4o-mini-2024-07-18",
                          status=JobStatus.SUCCEEDED, fine_tuned_model="ft:gpt-4o-mini:acme::x"))
    code, err = export_cli(capsys, remote.id, "--recipe", str(tmp_path / "r.yaml"))
    assert code == 1 and "OpenAI jobs cannot be exported" in err


# -- the backend's guarantees -----------------------------------------------------------------------------------
def test_a_cancel_during_the_export_leaves_no_half_written_folder(trained_run, tmp_path):
    cancel, seen = CancelToken(), []

    def progress(p) -> None:
        seen.append(p)
        if p.message.startswith("Saving the merged model"):
            cancel.cancel()  # the model is being written into the staging folder right now

    request = ExportRequest(merged_dir=tmp_path / "out" / "merged", recipe_file=tmp_path / "out" / "recipe.yaml")
    with pytest.raises(Cancelled):
        export_job(RunFolder(trained_run.run_dir), request, push_as=hub_push_account, progress=progress, cancel=cancel)
    assert list((tmp_path / "out").iterdir()) == []  # neither the folder, nor its staging copy, nor the recipe
    assert [p.fraction for p in seen] == sorted(p.fraction for p in seen) and seen[-1].eta_seconds is not None


@pytest.fixture
def online(monkeypatch):
    """This process may reach the fake Hub (the test session is offline for huggingface_hub)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def test_a_refused_push_says_why_and_keeps_the_finished_folder(trained_run, tiny_model_dir, tmp_path, online):
    folder = RunFolder(trained_run.run_dir)
    with FakeHub(tiny_model_dir) as hub:
        hub_account(hub, token="hf_" + "x" * 34, name="Old token")
        with pytest.raises(CredentialsError) as refused:
            export_job(folder, ExportRequest(merged_dir=tmp_path / "merged", repo_id="tiny"), push_as=hub_push_account)
        from backend import accounts

        accounts.remove_account(accounts.find_account("Old token").id)
        hub_account(hub)
        with pytest.raises(Refused) as elsewhere:
            export_job(folder, ExportRequest(repo_id="someone-else/tiny"), push_as=hub_push_account)
    assert str(refused.value).startswith("The Hugging Face Hub refused the token of the account “Old token”.")
    assert f"The model itself was saved to {tmp_path / 'merged'}." in str(refused.value)
    assert_merged_model(tmp_path / "merged", tiny_model_dir)
    assert 'the namespace "someone-else"' in str(elsewhere.value) and "write access" in str(elsewhere.value)
    assert hub.uploaded == {} and list((paths.cache_dir() / "export").iterdir()) == []


@pytest.mark.parametrize("repo_id", ["tiny", "alice/tiny-v2.1", "acme/Tiny_Model"])
def test_valid_repository_names_pass(repo_id):
    from backend.hub import check_repo_id

    assert check_repo_id(f" {repo_id} ") == repo_id


def test_the_card_of_a_hub_base_model_links_it_in_its_metadata(trained_run):
    spec = RunFolder(trained_run.run_dir).read_spec()
    spec.config = spec.config.model_copy(update={"base_model": "HuggingFaceTB/SmolLM2-135M-Instruct"})
    card = model_card(spec, {"training_examples": 32}, merged=True)
    assert card.startswith("---\nbase_model: HuggingFaceTB/SmolLM2-135M-Instruct\nlibrary_name: transformers\n")
    assert "[HuggingFaceTB/SmolLM2-135M-Instruct](https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct)" in card
    with pytest.raises(InvalidInput, match="Nothing to export"):
        export_job(RunFolder(trained_run.run_dir), ExportRequest())
