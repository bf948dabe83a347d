"""An evaluation run as saved: what is compared on which questions (``EvalSpec``), and its results, one JSON
line per answer or judgment (``ResultLog``) in the app's data folder (``evaluations/<id>/``).

Results are appended and flushed one by one, so a run that is stopped, cancelled or crashes keeps every
answer it paid for; running it again skips them. A last line cut short by a crash is ignored.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend import paths
from backend.errors import InvalidInput, NotFound
from backend.evaluate.prompts import Strategy
from backend.models import ChatParams, ModelRef, new_id, utcnow

#: Kinds of model made by training: compared against the baselines, and priced at fine-tuned rates.
TRAINED_KINDS = ("fine-tuned", "checkpoint", "adapter")


class Candidate(BaseModel):
    """One column of the comparison: a model and how it is prompted."""

    model_config = ConfigDict(extra="ignore")

    ref: ModelRef
    strategy: Strategy = "zero-shot"
    shots: int = 0
    training_cost_usd: float | None = None  # the one-off cost of the fine-tune, where it is known

    @property
    def id(self) -> str:
        raw = json.dumps([list(self.ref.key), self.strategy, self.shots if self.strategy != "zero-shot" else 0])
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    @property
    def trained(self) -> bool:
        return self.ref.kind in TRAINED_KINDS

    @property
    def approach(self) -> str:
        """"zero-shot", "5-shot prompting", "retrieval (5 examples)" or "fine-tuned"."""
        if self.strategy == "few-shot" and self.shots:
            return f"{self.shots}-shot prompting"
        if self.strategy == "retrieval" and self.shots:
            return f"retrieval ({self.shots} examples)"
        return "fine-tuned" if self.trained else "zero-shot"

    @property
    def title(self) -> str:
        return f"{self.ref.title} · {self.approach}"


class EvalSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: new_id()[:12])
    created_at: datetime = Field(default_factory=utcnow)
    test_path: str
    train_path: str | None = None  # where few-shot and retrieval take their examples
    candidates: list[Candidate]
    scores: list[str] = Field(default_factory=lambda: ["exact", "contains", "chrf", "tool_calls"])
    pattern: str | None = None
    json_schema: dict | None = None
    judge: ModelRef | None = None
    params: ChatParams = Field(default_factory=lambda: ChatParams(temperature=0, max_tokens=256))
    concurrency: int = Field(4, ge=1, le=64)
    batch_size: int = Field(8, ge=1, le=256)
    seed: int = 0

    @property
    def anchor(self) -> Candidate | None:
        """The candidate every other is compared with: the first fine-tuned model, else the first candidate."""
        return next((c for c in self.candidates if c.trained), self.candidates[0] if self.candidates else None)

    def check(self) -> None:
        """Refuses a run that cannot work, before anything is sent."""
        if not self.candidates:
            raise InvalidInput("Choose at least one model to evaluate.")
        ids = [c.id for c in self.candidates]
        if len(set(ids)) != len(ids):
            raise InvalidInput("The same model with the same prompting is chosen twice.")
        if any(c.strategy != "zero-shot" for c in self.candidates):
            if not self.train_path:
                raise InvalidInput("Few-shot and retrieval baselines need the training examples.",
                                   hint="Give the training file (--train).")
            if any(c.strategy != "zero-shot" and c.shots < 1 for c in self.candidates):
                raise InvalidInput("A few-shot or retrieval baseline needs at least one example.")


def evaluations_dir() -> Path:
    folder = paths.data_dir() / "evaluations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_spec(spec: EvalSpec) -> Path:
    folder = evaluations_dir() / spec.id
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "spec.json.tmp"
    tmp.write_text(spec.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(folder / "spec.json")
    return folder


def open_spec(run_id: str) -> EvalSpec:
    path = evaluations_dir() / run_id / "spec.json"
    if not path.is_file():
        raise NotFound(f"There is no evaluation “{run_id}”.", hint="`eval list` shows the saved evaluations.")
    try:
        return EvalSpec.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise InvalidInput(f"The evaluation “{run_id}” is damaged: {exc.errors()[0]['msg']}.") from None


def list_specs() -> list[EvalSpec]:
    """Saved evaluations, newest first (damaged ones left out)."""
    found = []
    for folder in evaluations_dir().iterdir():
        try:
            found.append(open_spec(folder.name))
        except (InvalidInput, NotFound):
            continue
    return sorted(found, key=lambda s: s.created_at, reverse=True)


class ResultLog:
    """The results of one run: ``answers[(candidate, example)]`` and ``judgments[(candidate, example, order)]``."""

    def __init__(self, run_id: str):
        self.path = evaluations_dir() / run_id / "results.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.answers: dict[tuple[str, int], dict] = {}
        self.judgments: dict[tuple[str, int, str], dict] = {}
        if self.path.exists():
            with open(self.path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        self._take(json.loads(line))
                    except ValueError:
                        continue  # a line cut short by a crash: that answer is asked again

    def _take(self, record: dict) -> None:
        if record.get("kind") == "answer":
            self.answers[(record["candidate"], record["example"])] = record
        elif record.get("kind") == "judge":
            self.judgments[(record["candidate"], record["example"], record["order"])] = record

    def add(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
            self._take(record)

    def answered(self, candidate: str, example: int) -> bool:
        """Whether an answer is stored (an error is not an answer: it is asked again)."""
        record = self.answers.get((candidate, example))
        return record is not None and record.get("error") is None
