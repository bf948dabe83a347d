"""The events file and the process record: partial lines, resumed numbering, PID identity."""

from __future__ import annotations

import json
import os

import psutil

from backend.training import events as ev
from backend.training import process
from backend.training.spec import RunFolder


def test_reader_stops_before_a_half_written_line_and_reads_it_once_complete(tmp_path):
    path = tmp_path / "events.jsonl"
    log = ev.EventLog(path)
    log.emit(ev.PHASE, "Loading", phase="loading")
    log.close()
    tail = ev.EventTail(path)
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"seq": 1, "time": 1.0, "type": "log", "lo')  # the writer is mid-line
    assert [e.phase for e in tail.read_new()] == ["loading"]
    with open(path, "a", encoding="utf-8") as file:
        file.write('ss": 2.5, "step": 1}\n')
    new = tail.read_new()
    assert [(e.type, e.loss, e.step) for e in new] == [("log", 2.5, 1)]


def test_numbering_continues_after_a_restart_and_a_cut_line_is_closed(tmp_path):
    path = tmp_path / "events.jsonl"
    first = ev.EventLog(path)
    first.emit(ev.PHASE, phase="starting")
    first.close()
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"seq": 1, "ti')  # killed mid-write
    second = ev.EventLog(path)
    event = second.emit(ev.FINISHED, status="succeeded")
    second.close()
    assert event.seq == 1
    events = ev.read_events(path)
    assert [(e.seq, e.type) for e in events] == [(0, "phase"), (1, "finished")]


def test_a_reused_pid_is_not_taken_for_the_trainer(tmp_path):
    folder = RunFolder(tmp_path)
    process.record_self(folder)
    assert process.find(tmp_path).pid == os.getpid()
    record = json.loads(folder.process.read_text())
    record["create_time"] = psutil.Process().create_time() - 3600  # same PID, another process's start time
    folder.process.write_text(json.dumps(record))
    assert process.find(tmp_path) is None
    assert not process.is_running(tmp_path)


def test_status_of_a_run_folder_from_its_events_and_process(tmp_path):
    from backend.models import Job, JobStatus, ProviderKind
    from backend.training.status import RunView

    folder = RunFolder(tmp_path)
    job = Job(provider=ProviderKind.HF_LOCAL, run_dir=str(tmp_path))
    log = ev.EventLog(folder.events)
    log.emit(ev.PHASE, "Starting", phase="starting")
    assert RunView(tmp_path).refresh(job).status is JobStatus.QUEUED  # about to be spawned
    process.record_self(folder)  # "the trainer": this very process, alive
    log.emit(ev.PHASE, phase="training", step=0, total_steps=10)
    log.emit(ev.LOG, step=1, total_steps=10, loss=2.0, tokens=100, tokens_per_second=50.0)
    view = RunView(tmp_path)
    running = view.refresh(job)
    assert (running.status, running.step, running.total_steps, running.trained_tokens) == (JobStatus.RUNNING, 1, 10, 100)
    folder.process.write_text(json.dumps({"pid": 999_999_999, "create_time": 0}))  # the trainer is gone
    folder.output.write_text("Traceback ...\nRuntimeError: CUDA error: device-side assert triggered\n")
    failed = view.refresh(job)
    assert failed.status is JobStatus.FAILED
    assert "ended unexpectedly" in failed.error and "device-side assert" in failed.error
    log.emit(ev.FINISHED, status="paused", step=1)
    log.close()
    assert view.refresh(job).status is JobStatus.PAUSED
    assert [p.step for p in view.metrics()] == [1]
