"""The README's screenshots, taken from the real app: the main window at 1280x800 with the tiny model
(tests/tiny_model.py), a real local training run in a child process, and the fake OpenAI server
(tests/fakes) as a saved account, so the pictures stay true as the screens change.

Writes to docs/screenshots/: ``wizard.png`` (the New fine-tune wizard's first step), ``data-findings.png``
(the data step's findings on a file with problems), ``live-job.png`` (a local job while it trains, with its
chart), ``playground.png`` (the base model and its fine-tune side by side). Everything happens in a
temporary app folder (``FTS_HOME``), keys in memory only; nothing is downloaded.

Run from the repository root: ``.venv/bin/python docs/screenshots.py [--dark] [--out FOLDER]``. It draws
offscreen by default; under ``xvfb-run -a`` it uses the X server. It trains for about half a minute on two
CPU cores, so it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WIDTH, HEIGHT = 1280, 800
QUESTION = "What is the capital of France?"


def _environment(dark: bool) -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["FTS_HOME"] = tempfile.mkdtemp(prefix="fts-screenshots-")
    os.environ["FTS_SESSION_SECRETS"] = "1"  # the fake account's key stays in memory
    os.environ["FTS_THEME"] = "dark" if dark else "light"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="fts-screenshots-hf-")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def spin(ms: int) -> None:
    """Let the event loop run for ``ms`` milliseconds (the app's workers report through it)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: gave up waiting for {what}")
        spin(100)


def shoot(window, out: Path, name: str) -> Path:
    window.statusBar().clearMessage()  # a passing message with a long run folder in it
    spin(200)
    window.resize(WIDTH, HEIGHT)
    spin(300)  # the last layout and paint
    if (window.width(), window.height()) != (WIDTH, HEIGHT):
        wide = {w.objectName(): w.minimumSizeHint().width() for w in window._pages.values()}
        print(f"screenshots: the window is {window.width()}x{window.height()}, not {WIDTH}x{HEIGHT}: a page "
              f"widened it (the pages' minimum widths: {wide})", flush=True)
    path = out / name
    window.grab().save(str(path), "PNG", 9)
    print(f"{path} ({path.stat().st_size // 1024} KB)", flush=True)
    return path


def _data_with_problems(folder: Path) -> Path:
    """Forty distinct chats plus what the data step finds: an exact duplicate, a chat without a reply and a
    line that is not JSON."""
    from tests.tiny_model import sample_chats

    system = {"role": "system", "content": "You answer questions about geography in one word."}
    chats = [{"messages": [system, *[m for m in c["messages"] if m["role"] != "system"]]} for c in sample_chats(40)]
    for i, chat in enumerate(chats):  # sample_chats repeats its few questions; a real file does not
        chat["messages"][1]["content"] += f" ({i + 1})"
    lines = [json.dumps(c) for c in chats]
    lines.insert(7, lines[3])
    lines.insert(12, json.dumps({"messages": [{"role": "user", "content": "Hello?"}]}))
    lines.insert(20, '{"messages": [{"role": "user", "content": "broken"}')
    path = folder / "support-chats.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dark", action="store_true", help="the dark theme")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    _environment(args.dark)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fts-screenshots-work-"))

    from PySide6.QtWidgets import QApplication

    from backend import accounts
    from backend.models import Account, AccountKind
    from tests.fakes.openai_server import FakeOpenAI
    from tests.tiny_model import build_tiny_model

    fake = FakeOpenAI().start()
    app = QApplication([sys.argv[0], "-style", "Fusion"])
    try:
        from ui.theme import apply_theme

        apply_theme(app, args.dark)
        accounts.save_account(Account(name="OpenAI (fake server)", kind=AccountKind.OPENAI, base_url=fake.base_url),
                              fake.api_key)
        model_dir = build_tiny_model(work / "tiny-chat-model")
        from ui.main_window import MainWindow

        window = MainWindow()
        window.resize(WIDTH, HEIGHT)
        window.show()
        spin(500)
        _wizard(window, work, args.out)
        job = _live_job(window, model_dir, work, args.out)
        _playground(window, job, args.out)
        window.close()
    finally:
        fake.stop()
    return 0


def _wizard(window, work: Path, out: Path) -> None:
    from PySide6.QtWidgets import QWizard

    from backend import providers
    from ui.wizard.wizard import DATA, PROVIDER

    window.show_page("new")
    wizard = window.page("new").wizard
    provider = wizard.page(PROVIDER)
    provider.provider_combo.setCurrentIndex(provider.provider_combo.findData(providers.local_runner().value))
    shoot(window, out, "wizard.png")
    wizard.button(QWizard.WizardButton.NextButton).click()
    data = wizard.page(DATA)
    data.set_path(str(_data_with_problems(work)))
    wait(lambda: data._task is None and data.report is not None, "the data findings")
    shoot(window, out, "data-findings.png")


def _live_job(window, model_dir: Path, work: Path, out: Path):
    """A real local run of the tiny model (a child process), launched as the wizard does, shown on the
    Jobs page while it trains; returns the job once it has succeeded."""
    from backend import providers
    from backend.launch import launch
    from backend.models import JobStatus, TrainingConfig
    from tests.tiny_model import sample_chats

    data = work / "chats.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in sample_chats(40)), encoding="utf-8")
    config = TrainingConfig(provider=providers.local_runner(), base_model=str(model_dir), training_file=str(data),
                            suffix="capitals", options={"max_steps": 200, "save_steps": 100, "max_length": 48,
                                                        "batch_size": 8, "gradient_accumulation_steps": 1,
                                                        "learning_rate": 4e-3, "lora_dropout": 0.0})
    context, store = window.context, window.context.store
    job = launch(config, store=store)
    context.job_recorded.emit(job.id)
    window.show_page("jobs")
    context.open_job.emit(job.id)
    wait(lambda: len(store.metrics(job.id)) >= 25, "training progress", 300)
    shoot(window, out, "live-job.png")
    wait(lambda: store.get_job(job.id).status is JobStatus.SUCCEEDED, "the run to succeed", 300)
    return store.get_job(job.id)


def _playground(window, job, out: Path) -> None:
    from backend.chat_catalog import base_ref, job_refs

    store = window.context.store
    tuned = next(r for r in job_refs(job, store) if r.kind in ("fine-tuned", "adapter"))
    page = window.page("playground")
    window.context.open_in_playground.emit([base_ref(job), tuned])
    wait(lambda: window.current_key == "playground", "the playground")
    # The tiny base model is untrained: greedy, it repeats one token (often a line break); sampled a little,
    # it shows the word salad an untrained model gives, while the fine-tune keeps its learned answer.
    page.params.temperature.setValue(0.5)
    page.params.seed.setValue(1)
    page.params.max_tokens.setValue(40)
    page.prompt.setPlainText(QUESTION)
    page.send()
    wait(lambda: all(not p.busy and p.state.turns and p.state.turns[-1].role == "assistant"
                     and (p.state.turns[-1].stats or p.state.turns[-1].error) for p in page.panes),
         "the replies", 180)
    shoot(window, out, "playground.png")


if __name__ == "__main__":
    raise SystemExit(main())
