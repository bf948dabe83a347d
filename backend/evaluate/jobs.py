"""An evaluation set up from a job ("Evaluate" on the Jobs page, ``eval run --job``): its model, its base as it
is, with a few-shot prompt and with retrieved examples; the test set its data step set aside; its training
file for the baselines' examples; the one-off training cost from the dated price table."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend import chat_catalog, providers
from backend.data.pricing import estimate_price
from backend.errors import InvalidInput, NotFound
from backend.evaluate.spec import Candidate
from backend.evaluate.testset import held_out_for
from backend.models import Job
from backend.store import JobStore

#: Examples per prompt in the baselines a job preselects.
DEFAULT_SHOTS = 5


@dataclass
class JobChoices:
    tuned: Candidate
    baselines: list[Candidate] = field(default_factory=list)
    test_path: str | None = None
    train_path: str | None = None

    @property
    def candidates(self) -> list[Candidate]:
        return [self.tuned, *self.baselines]


def training_cost(job: Job) -> float | None:
    """What training cost, in USD: the tokens the provider trained on at the table's price (None: unknown)."""
    cls = providers.provider_class(job.provider)
    table = cls.data.price_table if cls.data is not None else None
    estimate = estimate_price(job.trained_tokens, table, job.base_model) if job.trained_tokens else None
    return estimate.amount_usd if estimate else None


def job_choices(job_id: str, *, baselines: tuple[str, ...] = ("zero-shot", "few-shot", "retrieval"),
                shots: int = DEFAULT_SHOTS, store: JobStore | None = None) -> JobChoices:
    store = store or JobStore()
    job = store.get_job(job_id)
    if job is None:
        raise NotFound(f"There is no job “{job_id}”.", hint="`jobs list` shows the jobs.")
    refs = chat_catalog.job_refs(job, store)
    if not refs:
        raise InvalidInput(f"The job “{job.name or job_id}” has no model to evaluate yet.",
                           hint="Evaluate it once it has succeeded.")
    choices = JobChoices(Candidate(ref=refs[0], training_cost_usd=training_cost(job)))
    base = chat_catalog.base_ref(job)
    if base is not None:
        choices.baselines = [Candidate(ref=base, strategy=b, shots=shots if b != "zero-shot" else 0)
                             for b in baselines]
    choices.train_path = job.config.get("training_file")
    test = held_out_for(choices.train_path)
    choices.test_path = str(test) if test else None
    return choices
