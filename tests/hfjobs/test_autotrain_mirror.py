"""An AutoTrain run's Jobs log, read on the app's side into the chart's events by the parser of local AutoTrain
runs: lines as the Jobs log stream gives them (AutoTrain's loss line on the same line as its step's bar, after the
loss line of the step before), and a replayed stream doubling nothing."""

from __future__ import annotations

from backend.providers.hf_jobs_stream import Mirror
from backend.training import events as ev
from backend.training.status import RunView

# Lines of a real run's log on the fake Hub's Jobs (AutoTrain 0.8.36, two epochs of two steps), shortened (no
# time stamps, fewer figures).
LOG = """\
INFO | autotrain.trainers.common:on_train_begin:386 - Starting to train...
  0%|          | 0/4 [00:00<?, ?it/s]/site-packages/torch/utils/data/dataloader.py:759: UserWarning: 'pin_memory'
INFO | autotrain.trainers.common:on_log:367 - {'loss': 6.1994, 'learning_rate': 0.001, 'epoch': 0.5}
{'loss': 6.1994, 'learning_rate': 0.001, 'epoch': 0.5}
 25%|██▌       | 1/4 [00:00<00:00]INFO | autotrain.trainers.common:on_log:367 - {'loss': 6.215, 'learning_rate': 0.0006, 'epoch': 1.0}
 50%|█████     | 2/4 [00:00<00:00]INFO | autotrain.trainers.common:on_log:367 - {'loss': 6.0787, 'learning_rate': 0.0003, 'epoch': 1.5}
 75%|███████▌  | 3/4 [00:00<00:00]INFO | autotrain.trainers.common:on_log:367 - {'loss': 5.9961, 'learning_rate': 0.0, 'epoch': 2.0}
100%|██████████| 4/4 [00:00<00:00]INFO | autotrain.trainers.common:on_log:367 - {'train_runtime': 0.081, 'train_loss': 6.12, 'epoch': 2.0}
FTS-PUSHED {"path": "", "repo": "alice/fts-1c67aa1f9967", "final": true}
"""


def _pass(mirror: Mirror, remote: str) -> None:
    reader = mirror.autotrain_reader(remote, logging_steps=1)
    for line in LOG.splitlines():
        mirror.ingest(remote, line, reader)


def test_autotrains_log_lines_become_the_charts_events_once(tmp_path):
    mirror = Mirror(tmp_path / "mirror")
    _pass(mirror, "r1")
    events = ev.read_events(mirror.folder.events)
    logs = [e for e in events if e.type == ev.LOG]
    assert [(e.step, e.loss) for e in logs] == [(1, 6.1994), (2, 6.215), (3, 6.0787), (4, 5.9961)]
    assert [e.total_steps for e in logs] == [4, 4, 4, 4]  # from the bars, which come after their step's loss
    assert events[0].type == ev.PHASE and all(e.remote_job == "r1" for e in events)
    points = RunView(mirror.folder.path).metrics()
    assert [(p.step, p.train_loss) for p in points] == [(1, 6.1994), (2, 6.215), (3, 6.0787), (4, 5.9961)]
    assert mirror.pushed() == [{"path": "", "repo": "alice/fts-1c67aa1f9967", "final": True, "remote_job": "r1"}]
    # the stream replayed from its start (a restarted app, a cut stream): nothing doubles, in this mirror or another
    _pass(mirror, "r1")
    _pass(Mirror(tmp_path / "mirror"), "r1")
    assert len(ev.read_events(mirror.folder.events)) == len(events)


def test_a_run_of_the_apps_own_trainer_reads_no_autotrain_lines(tmp_path):
    mirror = Mirror(tmp_path / "mirror")
    for line in LOG.splitlines():
        mirror.ingest("r1", line)
    assert ev.read_events(mirror.folder.events) == [] and "on_log" in mirror.folder.output.read_text()


def test_a_failed_autotrain_job_says_autotrains_last_lines_and_what_to_do(tmp_path):
    from pathlib import Path

    from backend.providers.hf_jobs import _failure

    mirror = Mirror(tmp_path / "mirror")
    reader = mirror.autotrain_reader("r1", 1)
    real = (Path(__file__).parents[1] / "autotrain" / "data" / "missing_column.log").read_text(encoding="utf-8")
    for line in real.splitlines() + ["ERROR: AutoTrain ended (exit code 0) without pushing a trained model to a/b."]:
        mirror.ingest("r1", line, reader)
    said = _failure("Job failed with exit code: 1", mirror, autotrain=True)
    assert said.startswith("The job on Hugging Face failed (Job failed with exit code: 1). AutoTrain stopped")
    assert "did not find a column it expects" in said and "KeyError: 'conversation'" in said
    assert _failure("Job timeout", mirror, autotrain=True).startswith("Hugging Face stopped the job at its timeout")
    assert ev.read_events(mirror.folder.events) == [] or all(e.type != ev.LOG for e in ev.read_events(
        mirror.folder.events))
