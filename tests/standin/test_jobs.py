"""The stand-in provider through the ``jobs`` commands: registered with its one registry line, it is offered by
``jobs create --provider``, launches, lists, shows and cancels through the same code as every provider, and a verb
it does not declare is refused by the gate (``backend.control``), not by an AttributeError."""

from __future__ import annotations

import json

import pytest

from backend.cli import run
from backend.models import JobStatus
from backend.store import JobStore
from tests.fakes import standin_provider


@pytest.fixture
def chats(tmp_path):
    rows = [{"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"A{i}."}]}
            for i in range(4)]
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_create_list_show_and_cancel_a_stand_in_job(stand_in, chats, capsys):
    assert run(["jobs", "create", "--provider", "stand-in", "--data", str(chats), "--model", "echo-1"]) == 0
    out = capsys.readouterr().out
    assert "on Stand-in: queued" in out
    store = JobStore()
    [job] = store.list_jobs(provider=standin_provider.STAND_IN)
    assert job.remote_id in standin_provider.REMOTE and job.base_model == "echo-1"
    assert job.data_summary["training_examples"] == 4

    # `jobs list` brings jobs whose polls cost nothing up to date (the class's PollCadence.FREE): one poll.
    assert run(["jobs", "list", "--provider", "stand-in"]) == 0
    out = capsys.readouterr().out
    assert job.id[:10] in out and "stand-in" in out and "running" in out

    assert run(["jobs", "stop-and-save", job.id[:8]]) == 1  # a verb the stand-in does not declare
    assert "Stand-in jobs cannot be stopped and saved." in capsys.readouterr().err
    assert run(["jobs", "cancel", job.id[:8]]) == 0
    assert capsys.readouterr().out.startswith("Cancel requested: cancelled")
    assert standin_provider.REMOTE[job.remote_id]["status"] is JobStatus.CANCELLED

    assert run(["jobs", "show", job.id]) == 0
    out = capsys.readouterr().out
    assert "Provider:    Stand-in" in out and "Status:      cancelled" in out
    assert run(["jobs", "cancel", job.id]) == 0
    assert "already cancelled" in capsys.readouterr().out
    store.close()


def test_the_provider_choices_come_from_the_registry(stand_in, chats, capsys):
    with pytest.raises(SystemExit):
        run(["jobs", "create", "--provider", "nowhere", "--data", str(chats), "--model", "echo-1"])
    assert "'stand-in'" in capsys.readouterr().err  # argparse lists the registered trainers
    # The stand-in's own range for epochs (1 to 3) is the one a command is held to.
    assert run(["jobs", "create", "--provider", "stand-in", "--data", str(chats), "--model", "echo-1",
                "--epochs", "5"]) == 1
    assert "--epochs 5 is out of range" in capsys.readouterr().err
    assert JobStore().list_jobs() == []


def test_without_the_registry_line_there_is_no_stand_in(chats, capsys):
    with pytest.raises(SystemExit):
        run(["jobs", "list", "--provider", "stand-in"])
    assert "invalid choice: 'stand-in'" in capsys.readouterr().err
