"""``main.py endpoints``: deploy (price and scale-to-zero shown, then sent once), follow until ready, chat with the
ready endpoint from the playground's catalog, scale to zero, pause, resume, delete; a failed endpoint; a lost
create answer settled by asking, not by sending again. Against the fake Inference Endpoints API and the fake Hub
(whoami), with the real ``huggingface_hub`` over HTTP."""

from __future__ import annotations

import pytest

from tests.fakes.endpoints import FakeEndpoints
from tests.fakes.hub import USER, FakeHub
from tests.local.test_export import hub_account


@pytest.fixture
def services(tiny_model_dir, monkeypatch):
    from huggingface_hub import constants

    from backend.cli import endpoints as cli

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(cli, "POLL_SECONDS", 0.01)
    with FakeHub(tiny_model_dir) as hub, FakeEndpoints() as fake:
        monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", fake.api)
        hub_account(hub)
        yield hub, fake


def cli(capsys, *args: str) -> tuple[int, str, str]:
    from backend.cli import run

    code = run(["endpoints", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_deploy_ready_chat_scale_pause_resume_delete(services, capsys):
    hub, fake = services
    code, out, err = cli(capsys, "hardware")
    assert code == 0 and out.splitlines()[0].startswith("aws-us-east-1-cpu-intel-spr-x2: CPU intel-spr x2 (4 GB memory)")
    assert "$0.80 per hour" in out and "h100" not in out  # unavailable hardware is not offered

    code, out, err = cli(capsys, "create", f"{USER}/tiny-ft", "--accelerator", "gpu")  # no terminal, no --yes
    assert code == 1 and "confirm with --yes" in err and fake.creates() == 0
    assert out.startswith(f"Deploy {USER}/tiny-ft to the dedicated endpoint “tiny-ft”: GPU nvidia-l4 x1 "
                          "(24 GB GPU memory) on aws us-east-1, $0.80 per hour while it runs. It scales to zero after "
                          "15 minutes without requests")

    code, out, err = cli(capsys, "create", f"{USER}/tiny-ft", "--accelerator", "gpu", "--yes", "--wait")
    assert code == 0, err
    assert fake.creates() == 1 and fake.endpoints["tiny-ft"]["compute"]["scaling"] == {
        "maxReplica": 1, "minReplica": 0, "scaleToZeroTimeout": 15}
    assert "tiny-ft: starting" in err and f"Ready at {fake.url}/ep/tiny-ft: it is in the playground." in out

    from backend.chat_catalog import build_catalog  # a ready endpoint is a playground model

    refs = [r for r in build_catalog().models if r.model == "tiny-ft"]
    assert [(r.provider, r.label) for r in refs] == [("hf-endpoints", f"tiny-ft ({USER}/tiny-ft)")]
    from backend.chat import provider_for
    from backend.models import ChatMessage, ChatParams

    reply = "".join(provider_for(refs[0]).chat_stream("tiny-ft", [ChatMessage(role="user", content="France?")],
                                                      ChatParams()))
    assert reply == "Paris."

    for action, said in [("scale-to-zero", "not billed until a request wakes it"),
                         ("pause", "not billed until you resume it"), ("resume", "billed by the hour again")]:
        code, out, err = cli(capsys, action, "tiny-ft")
        assert code == 0 and out.startswith("tiny-ft: ") and said in out, (action, out, err)
    code, out, err = cli(capsys, "list")
    assert out.strip().startswith(f"tiny-ft: {USER}/tiny-ft, ")
    code, out, err = cli(capsys, "delete", "tiny-ft", "--yes")
    assert code == 0 and "Deleted: it is no longer billed." in out and fake.endpoints == {}
    code, out, err = cli(capsys, "pause", "tiny-ft")
    assert code == 1 and f"There is no endpoint “tiny-ft” under {USER}." in err


def test_a_failed_endpoint_says_so_and_how_to_stop_charges(services, capsys):
    hub, fake = services
    fake.failing.add(f"{USER}/too-big")
    code, out, err = cli(capsys, "create", f"{USER}/too-big", "--yes", "--wait")
    assert code == 1 and "The endpoint “too-big” failed: Endpoint failed to start: the model does not fit in memory" in err
    assert "endpoints delete too-big" in err and fake.creates() == 1


def test_a_lost_create_answer_is_settled_by_asking_and_a_retry_creates_nothing_more(services, capsys):
    hub, fake = services
    fake.drop_create_answer = True  # the endpoint is created, the answer never arrives
    code, out, err = cli(capsys, "create", f"{USER}/tiny-ft", "--name", "lost-one", "--yes")
    assert code == 0, err
    assert "Created lost-one" in out and fake.creates() == 1  # found by its name and tag, not sent again
    code, out, err = cli(capsys, "create", f"{USER}/other", "--name", "lost-one", "--yes")  # someone else's name
    assert code == 1 and "An endpoint named “lost-one” already exists" in err and len(fake.endpoints) == 1
    code, out, err = cli(capsys, "create", f"{USER}/x", "--name", "Bad_Name", "--yes")
    assert code == 1 and "“Bad_Name” cannot name an endpoint" in err and fake.creates() == 2
