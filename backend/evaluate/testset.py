"""The held-out test set: examples read as (prompt, reference answer), and the fixed split that sets them aside.

A test set is either a file the user brings or a share of the training file set aside ONCE: ``set_aside``
writes ``train.jsonl`` (what training may use) and ``test.jsonl`` (what it never sees) to a folder of the
app's data named by the source's content, share and seed, so that choosing the same file again returns the
same split and every model is measured on the same questions. Training is pointed at ``train.jsonl``: the
test examples are not in the file it reads, which is the whole proof that they are never trained on.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from backend import paths
from backend.errors import InvalidInput
from backend.data.examples import iter_examples
from backend.words import plural


@dataclass
class TestExample:
    """One question: the messages before the last assistant turn, and that turn as the reference."""

    __test__ = False  # not a pytest class

    index: int
    line: int
    prompt: list[dict]
    reference: str
    reference_calls: list[dict] | None = None  # [{"name", "arguments": parsed JSON}] of a tool-calling answer
    tools: list[dict] | None = None

    @property
    def question(self) -> str:
        """The last user turn: what retrieval matches and the judge is shown."""
        return next((m.get("content") or "" for m in reversed(self.prompt) if m.get("role") == "user"), "")

    @property
    def system(self) -> str | None:
        return next((m.get("content") for m in self.prompt if m.get("role") == "system"), None)


def _calls(message: dict) -> list[dict] | None:
    calls = [c["function"] for c in message.get("tool_calls") or [] if isinstance(c.get("function"), dict)]
    return [{"name": c.get("name"), "arguments": parse_arguments(c.get("arguments"))} for c in calls] or None


def parse_arguments(arguments) -> object:
    """Tool-call arguments as data (they travel as a JSON string); text that is not JSON stays text."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def load_examples(path: str | Path, *, format: str | None = None) -> list[TestExample]:
    """Every chat example of ``path`` that ends with an assistant turn. A file with none, or a record that is
    not a conversation, is refused with its line."""
    examples: list[TestExample] = []
    for item in iter_examples(path, format):
        if not item.is_example:
            if item.line == 0 and item.problems:
                raise InvalidInput(f"“{path}” cannot be read: {item.problems[0][1]}")
            continue
        ex = item.example
        messages = ex.messages if ex is not None else []
        if not item.valid or not messages or messages[-1].get("role") != "assistant":
            why = item.problems[0][1] if item.problems else "it does not end with the assistant's answer"
            raise InvalidInput(f"Line {item.line} of “{path}” cannot be a test question: {why}",
                               hint="Each test example is a conversation whose last turn is the expected answer.")
        last = messages[-1]
        examples.append(TestExample(index=len(examples), line=item.line, prompt=[dict(m) for m in messages[:-1]],
                                    reference=last.get("content") or "", reference_calls=_calls(last),
                                    tools=ex.tools))
    if not examples:
        raise InvalidInput(f"“{path}” holds no examples to evaluate on.", hint="Choose a chat JSONL file.")
    return examples


@dataclass
class TestSplit:
    """Where a set-aside split lives: the training remainder, the test set, their sizes."""

    __test__ = False

    folder: Path
    train_path: Path
    test_path: Path
    train_examples: int
    test_examples: int
    reused: bool = False


def _split_key(path: Path, share: float, seed: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"|{share:.4f}|{seed}".encode())
    return digest.hexdigest()[:16]


def held_out_dir() -> Path:
    return paths.data_dir() / "test_sets"


def set_aside(path: str | Path, share: float, seed: int = 42) -> TestSplit:
    """Split ``path`` once into a training remainder and a test set of ``share`` of its examples (at least one
    each), chosen by ``seed``; the same file, share and seed give back the stored split untouched."""
    path = Path(path)
    if not 0.0 < share < 1.0:
        raise InvalidInput(f"A test share of {share:.0%} is not possible.", hint="Use 1 to 50%.")
    if not path.is_file():
        raise InvalidInput(f"“{path}” is not a file on this computer.", hint="A test split needs a local file.")
    folder = held_out_dir() / _split_key(path, share, seed)
    train_path, test_path, info_path = folder / "train.jsonl", folder / "test.jsonl", folder / "split.json"
    if info_path.exists():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        return TestSplit(folder, train_path, test_path, info["train_examples"], info["test_examples"], reused=True)
    records = []
    for item in iter_examples(path):
        if item.is_example and item.valid and item.example.kind == "chat":
            record = {"messages": item.example.messages}
            if item.example.tools:
                record["tools"] = item.example.tools
            records.append(record)
    if len(records) < 2:
        raise InvalidInput(f"“{path}” has {plural(len(records), 'valid conversation')}; a test split needs at least two.")
    n_test = min(len(records) - 1, max(1, round(len(records) * share)))
    chosen = set(random.Random(seed).sample(range(len(records)), n_test))
    folder.mkdir(parents=True, exist_ok=True)
    for target, keep in ((train_path, False), (test_path, True)):
        tmp = target.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            for i, record in enumerate(records):
                if (i in chosen) is keep:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        tmp.replace(target)
    info = {"source": str(path), "share": share, "seed": seed, "train_examples": len(records) - n_test,
            "test_examples": n_test}
    info_path.write_text(json.dumps(info, indent=2), encoding="utf-8")  # last: its presence marks a whole split
    return TestSplit(folder, train_path, test_path, len(records) - n_test, n_test)


def held_out_for(training_file: str | None) -> Path | None:
    """The test set stored beside a training file that ``set_aside`` wrote (a job trained on it); else None."""
    if not training_file:
        return None
    path = Path(training_file)
    sibling = path.with_name("test.jsonl")
    if path.name == "train.jsonl" and path.parent.parent == held_out_dir() and sibling.is_file():
        return sibling
    return None
