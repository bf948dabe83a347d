"""The validation pass over a large JSONL file on every core: the file is cut into byte ranges at line
boundaries and each range is parsed, checked and tokenised by its own process.

Processes rather than threads: tiktoken releases the GIL while it encodes but JSON parsing and the checks
hold it, and they are about a quarter of the work, so threads would serialise that quarter on one core
and stall the encoders each time they need the GIL back. Processes are spawned, not forked: the caller may be a Qt application with threads.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from backend.cancel import CancelToken
from backend.data.formats import DataFormat
from backend.data.scan import Tally
from backend.errors import Cancelled, StudioError


class WorkerFailed(StudioError):
    """A worker process died without a result; the caller falls back to validating in this process."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def split_ranges(path: str | Path, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges of about equal size, each starting at the beginning of a line. The next line
    start is searched block by block: a line of any length (a file without newlines) costs no memory."""
    from backend.data.readers import CHUNK

    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as f:
        for k in range(1, parts):
            at = max(size * k // parts, cuts[-1])
            f.seek(at)
            while block := f.read(CHUNK):
                newline = block.find(b"\n")
                if newline >= 0:
                    at += newline + 1
                    break
                at += len(block)
            cuts.append(min(at, size))
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _worker(index: int, path: str, fmt: str, start: int, end: int, encoding: str, context_length: int | None,
            max_line: int, done, stop, results) -> None:  # runs in a child process
    try:
        from backend.data.examples import jsonl_items
        from backend.data.scan import TokenCounter, scan

        def on_block(n: int) -> None:
            done[index] = n

        counter = TokenCounter(encoding)
        items = jsonl_items(path, DataFormat(fmt), start, end, on_block, max_line)
        results.put((index, scan(items, counter, context_length=context_length, should_stop=stop.is_set)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it as a StudioError
        results.put((index, f"{type(exc).__name__}: {exc}"))


def scan_parallel(path: str | Path, fmt: DataFormat, *, encoding: str, context_length: int | None, workers: int,
                  progress: Callable[[int], None] | None = None, cancel: CancelToken | None = None,
                  max_line: int | None = None) -> list[tuple[int, Tally]]:
    """Scan ``path`` in ``workers`` processes; returns (first byte, Tally) per range, in file order.
    ``max_line``: the longest line read (default: the readers' cap, as this process has it)."""
    from backend.data.readers import MAX_LINE_BYTES

    from backend.data.tokens import ensure_tiktoken_offline

    ensure_tiktoken_offline()  # once, here: children inherit TIKTOKEN_CACHE_DIR
    ranges = split_ranges(path, workers)
    ctx = mp.get_context("spawn")
    done = ctx.Array("q", len(ranges), lock=False)
    stop = ctx.Event()
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, daemon=True, name=f"validate-{i}",
                         args=(i, str(path), fmt.value, a, b, encoding, context_length,
                               MAX_LINE_BYTES if max_line is None else max_line, done, stop, results))
             for i, (a, b) in enumerate(ranges)]
    for p in procs:
        p.start()
    tallies: dict[int, Tally] = {}
    try:
        while len(tallies) < len(procs):
            if cancel is not None and cancel.cancelled:
                stop.set()  # first thing: a cancel made before the call stops the workers at their first line
            try:
                index, result = results.get(timeout=0.1)
            except queue.Empty:
                dead = [i for i, p in enumerate(procs) if i not in tallies and p.exitcode not in (None, 0)]
                if dead:
                    raise WorkerFailed(f"A validation worker stopped unexpectedly (exit code {procs[dead[0]].exitcode}).")
            else:
                if isinstance(result, str):
                    raise StudioError(f"Validation failed: {result}.")
                tallies[index] = result
            if progress is not None:
                progress(sum(done[:]))
        if any(t.cancelled for t in tallies.values()):
            raise Cancelled()
    except BaseException:
        stop.set()
        _reap(procs)
        raise
    # Every result is in: the children only have their interpreters to tear down (about 0.1 s), which
    # the caller need not wait for.
    threading.Thread(target=_reap, args=(procs,), name="validate-reaper", daemon=True).start()
    return [(ranges[i][0], tallies[i]) for i in range(len(procs))]


def _reap(procs: list) -> None:
    deadline = time.monotonic() + 5
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.terminate()
            p.join(1)
