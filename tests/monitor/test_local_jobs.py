"""Local training on the Jobs page: live chart, ETA and checkpoints from the run's events; stop and save,
resume, and the finished adapter opened on its base in the playground. The tiny model trains for real."""

from __future__ import annotations

from backend.models import Checkpoint, Job, JobStatus, ProviderKind
from backend.providers.hf_local import LocalProvider
from backend.training import process
from tests.local.conftest import launch, quick_config, write_jsonl
from tests.monitor.test_page import page_on, wait_status  # noqa: F401  (page_on: a fixture)
from tests.tiny_model import sample_chats
from ui.monitor.detail import JobDetail
from ui.monitor.jobs_model import ETA

# Enough steps that the run is still going when the test stops it (each step takes ~15 ms here).
STEADY = {"max_steps": 300, "save_steps": 1000, "max_length": 32, "batch_size": 2, "logging_steps": 1}
TRAINING = 180_000  # ms: generous, for a shared two-core machine


def visible(page, *keys: str) -> list[str]:
    return [k for k in keys if page.detail.buttons[k].isVisibleTo(page)]


def test_a_local_run_is_live_stops_and_saves_resumes_and_opens_on_its_base(qtbot, tiny_model_dir, tmp_path,
                                                                           store, page_on):
    from ui.playground.page import PlaygroundPage

    data = write_jsonl(tmp_path / "chats.jsonl", sample_chats(40))
    provider = LocalProvider()
    job = store.save_job(launch(provider, quick_config(tiny_model_dir, data, **STEADY)))
    page = page_on()
    try:
        wait_status(qtbot, page, JobStatus.RUNNING, timeout=TRAINING)
        qtbot.waitUntil(lambda: page.detail.charts.point_count() >= 3, timeout=TRAINING)  # live loss points
        row = page.model.row_of(job.id)
        qtbot.waitUntil(lambda: bool(page.model.index(row, ETA).data()), timeout=TRAINING)  # from the step rate
        assert visible(page, "cancel", "stop_and_save", "resume", "pause") == ["cancel", "stop_and_save"]
        settings = page.detail.settings.toPlainText()
        assert "Training settings (as resolved for this computer)\n" in settings and "\n  max_steps: 300\n" in settings

        page.detail.buttons["stop_and_save"].click()
        wait_status(qtbot, page, JobStatus.PAUSED, timeout=TRAINING)
        assert "running" not in page.message.text()  # no answer left up that the status contradicts
        qtbot.waitUntil(lambda: page.detail.checkpoints.rowCount() == 1, timeout=10_000)
        stopped_at = page.detail.job.step
        assert 3 <= stopped_at < 300 and page.detail.checkpoints.item(0, 0).text() == str(stopped_at)
        assert visible(page, "stop_and_save", "resume") == ["resume"]
        assert page.detail.charts.loss.markers.count() == 1  # the checkpoint marked on the curve

        page.detail.buttons["resume"].click()
        wait_status(qtbot, page, JobStatus.SUCCEEDED, timeout=TRAINING)
        assert "queued" not in page.message.text()
    finally:
        process.kill(job.run_dir)
    qtbot.waitUntil(lambda: page.detail.charts.point_count() == 300, timeout=10_000)  # one history, both sessions
    assert "Resuming from the last checkpoint" in "\n".join(page.detail.event_lines())
    final = page.detail.job.fine_tuned_model
    assert final and final.endswith("final") and not page.model.index(row, ETA).data()
    assert visible(page, "playground", "resume", "stop_and_save") == ["playground"]

    playground = PlaygroundPage(page.context)
    qtbot.addWidget(playground)
    with qtbot.waitSignal(page.context.navigate):
        page.detail.buttons["playground"].click()
    assert [p.state.model.model for p in playground.panes] == [str(tiny_model_dir), final]  # base, then adapter
    assert playground.panes[1].state.model.kind == "fine-tuned"
    playground.params.max_tokens.setValue(6)
    playground.prompt.setPlainText("What is the capital of France?")
    playground.send()
    qtbot.waitUntil(lambda: all(p.state.turns[-1].stats or p.state.turns[-1].error for p in playground.panes),
                    timeout=60_000)
    replies = [p.state.turns[-1] for p in playground.panes]
    assert [r.error for r in replies] == [None, None]  # both load, the adapter on its base, and answer
    assert all(r.stats.tokens > 0 for r in replies)


def test_resume_is_offered_for_a_stopped_or_failed_local_run_with_a_checkpoint(qtbot, tmp_path):
    detail = JobDetail()
    qtbot.addWidget(detail)
    saved = [Checkpoint(id="checkpoint-4", step=4, model=str(tmp_path / "checkpoints" / "checkpoint-4"))]
    final = [Checkpoint(id="final", step=6, model=str(tmp_path / "final"))]
    for kind, status, checkpoints, offered in [
        (ProviderKind.HF_LOCAL, JobStatus.FAILED, saved, True),
        (ProviderKind.HF_LOCAL, JobStatus.CANCELLED, saved, True),
        (ProviderKind.HF_LOCAL, JobStatus.FAILED, [], False),  # nothing to resume from
        (ProviderKind.HF_LOCAL, JobStatus.FAILED, final, False),
        (ProviderKind.HF_LOCAL, JobStatus.SUCCEEDED, saved, False),
        (ProviderKind.OPENAI, JobStatus.FAILED, saved, False),  # a remote failed job cannot be resumed
    ]:
        detail.show_job(Job(provider=kind, status=status, run_dir=str(tmp_path)))
        detail.set_checkpoints(checkpoints)
        assert detail.buttons["resume"].isVisibleTo(detail) is offered, (kind, status, checkpoints)
        assert not detail.buttons["stop_and_save"].isVisibleTo(detail)


def test_a_local_run_is_polled_often_whatever_its_state():
    """A short local run can go from queued to finished within the remote providers' 30 s waiting poll."""
    from backend.monitor import PollPolicy

    from backend.providers import provider_class

    policy = PollPolicy()
    local, remote = provider_class(ProviderKind.HF_LOCAL).poll, provider_class(ProviderKind.OPENAI).poll
    assert [policy.interval(s, local) for s in (JobStatus.QUEUED, JobStatus.RUNNING)] == [0.5, 0.5]
    assert policy.interval(JobStatus.QUEUED, remote) == 30.0
    assert PollPolicy(running=0.05).interval(JobStatus.PAUSED, local) == 0.05
