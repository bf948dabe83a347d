"""AutoTrain's real console output read into the app's events: chart points from its loss lines, and its
errors turned into the last meaningful lines and a sentence of what to do."""

from __future__ import annotations

from pathlib import Path

from backend.autotrain.logparse import LogReader
from backend.training import events as ev
from backend.training.status import RunView

DATA = Path(__file__).parent / "data"


def _read(tmp_path, name: str, chunk: int = 0) -> tuple[LogReader, list[ev.TrainEvent]]:
    log = ev.EventLog(tmp_path / "events.jsonl")
    reader = LogReader(log, logging_steps=1)
    text = (DATA / name).read_text(encoding="utf-8")
    if chunk:  # as the pipe delivers it: lines cut anywhere
        for start in range(0, len(text), chunk):
            reader.feed(text[start:start + chunk])
    else:
        reader.feed(text)
    reader.close()
    log.close()
    return reader, ev.read_events(tmp_path / "events.jsonl")


def test_loss_and_learning_rate_lines_become_chart_points(tmp_path):
    _, events = _read(tmp_path, "sft_output.log", chunk=37)
    logs = [e for e in events if e.type == ev.LOG]
    assert [(e.step, e.loss, e.learning_rate) for e in logs] == [(1, 6.1981, 0.0002), (2, 6.217, 0.0001), (3, 6.1604, 0.0)]
    assert any(e.type == ev.PHASE and e.phase == "training" for e in events)
    progress = [e for e in events if e.type == ev.PROGRESS]
    assert progress and progress[-1].total_steps == 3  # the data preparation's bars (16/16 examples) are not steps
    points = RunView(tmp_path).metrics()
    assert [(p.step, p.train_loss) for p in points] == [(1, 6.1981), (2, 6.217), (3, 6.1604)]


def test_a_missing_column_becomes_its_error_and_what_to_do(tmp_path):
    reader, events = _read(tmp_path, "missing_column.log")
    assert not [e for e in events if e.type == ev.LOG]
    said = reader.failure()
    assert "did not find a column it expects" in said
    assert "KeyError: 'conversation'" in said


def test_an_unknown_failure_still_shows_the_last_lines(tmp_path):
    log = ev.EventLog(tmp_path / "events.jsonl")
    reader = LogReader(log)
    reader.feed("INFO | loading\nSomething odd happened: disk quota\n")
    reader.close()
    assert "Something odd happened: disk quota" in reader.failure() and "output.log" in reader.failure()
