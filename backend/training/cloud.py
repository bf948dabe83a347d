"""The local trainer, run inside a Hugging Face Job: the same ``runner.train`` on the same ``RunSpec``.

A job's command is a short bootstrap (``backend.providers.hf_jobs_script.BOOTSTRAP``) that installs the pinned
training libraries the image lacks, downloads the launch's private dataset repo (the run folder's spec and data
and this package's code) and calls ``main`` here. ``main`` downloads the base model, trains in this process
exactly as a local run does, and meanwhile copies every event the trainer appends to ``events.jsonl`` to stdout
as one ``FTS-EVENT {json}`` line (the job's log stream, which the app's provider parses back into the same
events). Each checkpoint is pushed to the private output repo as soon as it is saved (``push.push_folder``), and
``FTS-PUSHED {json}`` says where; the trained adapter goes to the repo's root at the end. A cancelled job gets
SIGTERM, which the trainer treats as "stop and save": the checkpoint it saves is pushed before the job ends.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from pathlib import Path

from backend.training import events as ev
from backend.training.spec import RunFolder

EVENT, PUSHED = "FTS-EVENT ", "FTS-PUSHED "
RESUME_STEP = "FTS_RESUME_STEP"  # the job resumes from checkpoints/checkpoint-<step> of the output repo


def _say(prefix: str, payload: dict) -> None:
    print(prefix + json.dumps(payload, separators=(",", ":")), flush=True)


class _Relay(threading.Thread):
    """Tails the events file: prints each event, pushes each checkpoint the trainer saved."""

    def __init__(self, folder: RunFolder, push):
        super().__init__(daemon=True, name="fts-relay")
        self.folder, self.push = folder, push
        self.tail = ev.EventTail(folder.events)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.drain()
        self.drain()

    def drain(self) -> None:
        for event in self.tail.read_new():
            _say(EVENT, event.model_dump(exclude_none=True))
            if event.type == ev.CHECKPOINT and event.checkpoint and event.step is not None:
                self.push(Path(event.checkpoint), f"checkpoints/checkpoint-{event.step}", step=event.step)


def _name_base(config: Path, base_model: str) -> None:
    """Name the base model by its Hub id in a pushed adapter (the trainer wrote this job's download path)."""
    if config.is_file():
        values = json.loads(config.read_text(encoding="utf-8"))
        values["base_model_name_or_path"] = base_model
        config.write_text(json.dumps(values, indent=2), encoding="utf-8")


def main(source: str | Path, work: str | Path) -> int:
    """Train the run found in ``source`` (the downloaded data repo) in ``work``; return the exit code."""
    from backend.models import Account, AccountKind
    from backend.training import push
    from backend.training.runner import train

    token = os.environ.get("HF_TOKEN") or None
    output = os.environ["FTS_OUTPUT_REPO"]
    account = Account(name="this job", kind=AccountKind.HUGGINGFACE, endpoint=os.environ.get("HF_ENDPOINT"))
    folder = RunFolder(Path(work) / "run")
    shutil.copytree(Path(source) / "run", folder.path, dirs_exist_ok=True)
    lock = threading.Lock()

    def push_one(local: Path, path_in_repo: str, **facts) -> None:
        with lock:  # one commit at a time: the final push waits for a checkpoint's
            try:
                _name_base(local / "adapter_config.json", folder.read_spec().config.base_model)
                push.push_folder(local, output, account=account, token=token, private=True, path_in_repo=path_in_repo,
                                 report=lambda *_: None, message=f"Fine-Tune Studio: {path_in_repo or 'trained model'}")
            except Exception as exc:  # noqa: BLE001 - training goes on; the log says what was not pushed
                _say(PUSHED, {"path": path_in_repo, "repo": output, "error": str(exc)[:500], **facts})
                return
            _say(PUSHED, {"path": path_in_repo, "repo": output, **facts})

    relay = _Relay(folder, push_one)
    relay.start()
    try:
        resume_step = _prepare(folder, output, token)
        if resume_step is None:
            return 1  # said in the log, as an error event
        code = train(folder.path, resume=bool(resume_step))
    finally:
        relay.done.set()
        relay.join()
    if folder.final.is_dir():
        push_one(folder.final, "", final=True)
    return code


def _prepare(folder: RunFolder, output: str, token: str | None) -> int | None:
    """Download the base model (and the checkpoint to resume from) before training; return the step to resume from
    (0: none), or None after saying in an ``error`` event why the job cannot train (so the job fails with a
    sentence, not a traceback)."""
    from huggingface_hub import snapshot_download

    from backend import hub
    from backend.hub import MODEL_FILES
    from backend.training.runner import plain_sentence

    events = ev.EventLog(folder.events)
    doing, name = "model", "the run"
    try:
        spec = folder.read_spec()
        name = spec.config.base_model
        events.emit(ev.PHASE, f"Downloading {name}", phase="downloading")
        spec.model_path = snapshot_download(name, token=token, allow_patterns=MODEL_FILES)
        folder.write_spec(spec)
        resume_step = int(os.environ.get(RESUME_STEP) or 0)
        if resume_step:
            where = f"checkpoints/checkpoint-{resume_step}"
            doing, name = "push", output
            events.emit(ev.PHASE, f"Downloading {where} of {output}", phase="downloading")
            snapshot_download(output, token=token, allow_patterns=[f"{where}/*"], local_dir=str(folder.path))
            if not (folder.path / where).is_dir():
                raise FileNotFoundError(f"{output} holds no {where} to resume from.")
        return resume_step
    except Exception as exc:  # noqa: BLE001 - every failure before training is said in the log
        said = hub.hub_error(exc, subject=doing, name=name)
        sentence = plain_sentence(said) if said is not exc else f"The job could not start training: {exc}"
        events.emit(ev.ERROR, sentence, level="error")
        events.emit(ev.FINISHED, sentence, status="failed", level="error")
        return None
    finally:
        events.close()


if __name__ == "__main__":  # python -m backend.training.cloud SOURCE WORK
    sys.exit(main(sys.argv[1], sys.argv[2]))
