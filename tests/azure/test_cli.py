"""``python main.py deployments ...`` against the fakes: deploy a succeeded job's model, list, probe, delete."""

from __future__ import annotations

from backend.cli import run
from backend.models import Checkpoint, Job, JobStatus, ProviderKind
from backend.store import JobStore
from tests.azure.conftest import FT_MODEL


def _succeeded_job(account) -> Job:
    store = JobStore()
    job = store.save_job(Job(provider=ProviderKind("azure"), account_id=account.id, name="support-bot",
                             base_model="gpt-4o-mini-2024-07-18", status=JobStatus.SUCCEEDED,
                             fine_tuned_model=FT_MODEL, remote_id="ftjob-1"))
    return job


def test_deploy_list_probe_and_delete_from_the_command_line(azure_account, fake_mgmt, fake_openai, capsys):
    job = _succeeded_job(azure_account)
    code = run(["deployments", "create", "--job", job.id, "--name", "support-dev", "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Developer hosting is free" in err and "24 hours" in err  # the cost, stated before deploying
    assert "Deployed “support-dev” (Developer)" in out and "is ready" in out
    assert fake_mgmt.deployments["support-dev"]["sku"] == {"name": "DeveloperTier", "capacity": 50}

    assert run(["deployments", "list"]) == 0
    out = capsys.readouterr().out
    assert "Contoso:" in out and "support-dev" in out and "Ready" in out and "deleted by Azure in 23 h" in out

    assert run(["deployments", "probe", "support-dev"]) == 0
    assert "is ready" in capsys.readouterr().out

    assert run(["deployments", "delete", "support-dev", "--yes"]) == 0
    assert "hosting charges stop" in capsys.readouterr().out
    assert fake_mgmt.deployments == {}


def test_create_states_the_hourly_cost_and_asks_first(azure_account, fake_mgmt, monkeypatch, capsys):
    job = _succeeded_job(azure_account)
    asked = []
    monkeypatch.setattr("builtins.input", lambda q: asked.append(q) or "n")
    assert run(["deployments", "create", "--job", job.id, "--type", "standard"]) == 1
    err = capsys.readouterr().err
    assert "about $1.70 an hour" in err and "as of" in err and "Nothing was deployed" in err
    assert asked and not [m for m, _ in fake_mgmt.requests if m == "PUT"]


def test_a_checkpoint_can_be_deployed(azure_account, fake_mgmt, capsys):
    job = _succeeded_job(azure_account)
    step_model = FT_MODEL + ":ckpt-step-10"
    JobStore().set_checkpoints(job.id, [Checkpoint(id="ftckpt-1", step=10, model=step_model)])
    fake_mgmt.models.add(step_model)
    assert run(["deployments", "create", "--job", job.id, "--checkpoint", "10", "--name", "step10", "--yes",
                "--no-probe"]) == 0, capsys.readouterr().err
    assert fake_mgmt.deployments["step10"]["properties"]["model"]["name"] == step_model
    assert run(["deployments", "create", "--job", job.id, "--checkpoint", "99", "--yes"]) == 1
    assert "no checkpoint at step 99" in capsys.readouterr().err


def test_delete_asks_and_a_failure_is_one_sentence(azure_account, fake_mgmt, monkeypatch, capsys):
    monkeypatch.setattr("builtins.input", lambda q: "n")
    assert run(["deployments", "delete", "nothing-here"]) == 1
    assert "Nothing was deleted" in capsys.readouterr().err
    fake_mgmt.fail["bad"] = ("InternalServerError", "Deployment provisioning failed.")
    assert run(["deployments", "create", "--model", FT_MODEL, "--name", "bad", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "error: Azure refused “deploy bad” (InternalServerError): Deployment provisioning failed." in err
    assert "Traceback" not in err


def test_a_refused_sign_in_is_one_sentence(azure_account, fake_mgmt, capsys):
    fake_mgmt.credential.refuse = "AADSTS50058: A silent sign-in request was sent but no user is signed in."
    assert run(["deployments", "signin"]) == 1
    err = capsys.readouterr().err
    assert "error: Azure refused or cancelled the sign-in (Azure CLI login (az login)): AADSTS50058" in err
