"""AutoTrain's environment manager, on a tiny lock (one small package) so each build takes seconds: built with
progress, reused, a broken one (cancelled, or deleted part-way) rebuilt with a clear message, removed."""

from __future__ import annotations

import shutil

import pytest

from backend.autotrain import env, runner
from backend.cancel import CancelToken
from backend.errors import Cancelled
from backend.training import events as ev
from backend.training.spec import RunFolder


@pytest.fixture
def small_lock(tmp_path, monkeypatch):
    lock = tmp_path / "requirements.txt"
    lock.write_text("# a stand-in lock\nsix\n", encoding="utf-8")
    monkeypatch.setattr(env, "LOCK", lock)
    monkeypatch.setattr(env, "_IMPORT_CHECK", "import six")
    monkeypatch.setattr(env, "cli", lambda root=None: env.python(root))  # no autotrain script in this stand-in
    monkeypatch.setenv(env.FTS_AUTOTRAIN_ENV, str(tmp_path / "autotrain-env"))
    return tmp_path / "autotrain-env"


def test_first_use_builds_with_progress_then_reuses(small_lock):
    assert env.state().state == "missing" and "not installed yet" in env.state().describe()
    assert "GB" in env.estimate() and "minutes" in env.estimate()
    seen = []
    assert env.ensure(progress=seen.append) == small_lock
    assert env.state().ready and "is installed" in env.state().describe()
    assert "GB" in seen[0].message and seen[1].message.startswith("Creating")
    assert seen[-1].message == "AutoTrain is installed"
    assert seen[-1].fraction == 1.0
    again = []
    env.ensure(progress=again.append)
    assert again == []  # reused: nothing rebuilt


def test_a_cancelled_build_is_broken_then_rebuilt(small_lock):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        env.ensure(cancel=token)
    assert env.state().state == "broken" and "never finished" in env.state().reason
    seen = []
    env.ensure(progress=seen.append)
    assert "Rebuilding AutoTrain's environment: its installation never finished" in seen[0].message
    assert env.state().ready


def test_an_environment_deleted_part_way_is_named_and_rebuilt(small_lock):
    env.ensure()
    shutil.rmtree(env.bin_dir(small_lock))
    broken = env.state()
    assert broken.state == "broken" and "python is missing" in broken.reason
    assert "rebuilt the next time" in broken.describe()
    seen = []
    env.ensure(progress=seen.append)
    assert "python is missing from it" in seen[0].message and env.state().ready
    assert env.remove() and env.state().state == "missing" and not env.remove()


def test_a_run_whose_environment_is_gone_fails_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(env.FTS_AUTOTRAIN_ENV, str(tmp_path / "gone"))
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    assert runner.train(folder.path) == 1
    finished = [e for e in ev.read_events(folder.events) if e.type == ev.FINISHED][-1]
    assert finished.status == "failed"
    assert "AutoTrain's environment is not usable" in finished.message and "rebuilds the environment" in finished.message
