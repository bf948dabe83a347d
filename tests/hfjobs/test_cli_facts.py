"""``jobs show`` prints what the Jobs page shows of a cloud run beyond its status: the cost so far with the flavor
and its price, the budget, the resources it used and where its results are."""

from __future__ import annotations

from backend.cli import run
from backend.models import Job, JobStatus, ProviderKind
from backend.store import JobStore


def test_jobs_show_prints_the_cost_resources_and_results_of_a_cloud_run(capsys):
    job = JobStore().save_job(Job(
        provider=ProviderKind.HF_JOBS, name="cloud run", base_model="org/tiny", status=JobStatus.SUCCEEDED,
        remote_id="6801", metadata={"cost_usd": "0.1234", "price_per_hour": "0.4", "flavor": "t4-small",
                                    "cpu_percent": "87.0", "memory_used_bytes": str(3 * 2**30),
                                    "output_url": "https://huggingface.co/alice/fts-6801"}))
    assert run(["jobs", "show", job.id[:8]]) == 0
    out = capsys.readouterr().out
    assert "Cost so far: $0.12 on t4-small at $0.40/hour" in out
    assert "Resources: CPU 87% · memory 3.0 GiB" in out
    assert "Results: https://huggingface.co/alice/fts-6801" in out
