"""The jobs table model: Qt's model contract, incremental changes, filtering and sorting."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from backend.models import Job, JobStatus, ProviderKind, utcnow
from ui.monitor.jobs_model import ELAPSED, ETA, NAME, PROGRESS, STATUS, JobsFilter, JobsTableModel
from ui.widgets.plain import plain_tooltip


def jobs(n=6):
    now = utcnow()
    kinds = [ProviderKind.OPENAI, ProviderKind.HF_LOCAL]
    statuses = [JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.QUEUED]
    return [Job(provider=kinds[i % 2], name=f"job {i}", base_model=f"model-{i % 3}", status=statuses[i % 4],
                step=i * 10, total_steps=100, started_at=now - timedelta(minutes=i + 1),
                error="bad file" if statuses[i % 4] is JobStatus.FAILED else None) for i in range(n)]


def test_model_contract_and_incremental_changes(qtmodeltester, qtbot):
    model = JobsTableModel()
    proxy = JobsFilter()
    proxy.setSourceModel(model)
    listed = jobs()
    model.set_jobs(listed)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    resets, inserts, changes, removes = [], [], [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda parent, first, last: inserts.append((first, last)))
    model.dataChanged.connect(lambda tl, br, roles=(): changes.append((tl.row(), br.row())))
    model.rowsRemoved.connect(lambda parent, first, last: removes.append((first, last)))
    moved = listed[2].model_copy(update={"step": 50})
    added = Job(provider=ProviderKind.OPENAI, name="new job", status=JobStatus.QUEUED)
    model.set_jobs([listed[0], listed[1], moved, listed[3], listed[5], added])
    assert resets == [] and removes == [(4, 4)] and inserts == [(5, 5)] and changes == [(2, 2)]
    assert model.index(2, PROGRESS).data() == "50/100 (50%)"
    assert model.index(2, STATUS).data() == "Failed"
    assert model.index(2, STATUS).data(Qt.ItemDataRole.ToolTipRole) == plain_tooltip("bad file")
    assert model.index(0, ELAPSED).data() == "1m00s" and model.index(0, ETA).data() == ""  # no progress yet
    qtmodeltester.check(model)


def test_filter_by_text_provider_status_and_sort(qtmodeltester):
    model = JobsTableModel()
    model.set_jobs(jobs(8))
    proxy = JobsFilter()
    proxy.setSourceModel(model)
    proxy.set_provider(ProviderKind.OPENAI)
    assert sorted(proxy.index(r, NAME).data() for r in range(proxy.rowCount())) == ["job 0", "job 2", "job 4", "job 6"]
    proxy.set_statuses(frozenset({JobStatus.RUNNING}))
    assert [proxy.index(r, NAME).data() for r in range(proxy.rowCount())] == ["job 0", "job 4"]
    proxy.set_statuses(None)
    proxy.set_provider(None)
    proxy.set_search("MODEL-2")
    assert sorted(proxy.index(r, NAME).data() for r in range(proxy.rowCount())) == ["job 2", "job 5"]
    proxy.set_search("")
    proxy.sort(PROGRESS, Qt.SortOrder.DescendingOrder)
    top = [proxy.index(r, NAME).data() for r in range(3)]
    assert sorted(top[:2]) == ["job 1", "job 5"] and top[2] == "job 7"  # succeeded counts as 100%
    qtmodeltester.check(proxy)


def test_long_curves_show_bucketed_extremes_in_order(qtbot):
    from ui.monitor.charts import _Buckets

    values = [(float(s), 1.0 + ((s * 7919) % 1000) / 1000) for s in range(1, 100_001)]
    values[54_321] = (54_322.0, 0.01)  # a dip must survive the bucketing
    for feed in ("at once", "in polls"):
        buckets = _Buckets()
        if feed == "at once":
            buckets.add(values[:90_000])
        else:
            for i in range(0, 90_000, 1000):
                buckets.add(values[i:i + 1000])
        buckets.add(values[90_000:])
        shown = [(p.x(), p.y()) for p in buckets.points()]
        assert len(shown) <= 2 * _Buckets.LIMIT + 2
        assert [x for x, _ in shown] == sorted(x for x, _ in shown)
        assert min(y for _, y in shown) == 0.01 and shown[-1][0] <= 100_000.0
