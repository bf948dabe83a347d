"""The validation pass over a large JSONL file on every core: the file is cut into chunks of a few MB at
line starts, which this process and one spawned worker per other core take in turn from a shared counter
until none is left; each chunk is parsed, checked and tokenised into its own Tally.

Processes rather than threads: tiktoken releases the GIL while it encodes but JSON parsing and the checks
hold it, and they are about a quarter of the work, so threads would serialise that quarter on one core
and stall the encoders each time they need the GIL back. Processes are spawned, not forked: the caller may
be a Qt application with threads.

Why chunks taken in turn, and why this process scans too: a spawned worker needs about 0.3 s to start
(interpreter, imports, tiktoken's CoreBPE), during which this process, which has all of that loaded, would
only wait; and a worker that starts late, or shares its core with another program, simply takes fewer
chunks, so every process finishes at about the same time. A worker that dies leaves its chunk to this
process; a cancel stops every process at its next poll (each one stops in the chunk it holds).
"""

from __future__ import annotations

import logging
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
from backend.errors import StudioError

log = logging.getLogger(__name__)
#: Chunks per process (the finer, the better the balance at the end) and the largest chunk.
CHUNKS_PER_PROCESS = 32
MAX_CHUNK_BYTES = 4 << 20
#: Items between two polls of the stop flag (a poll takes a lock: about a microsecond).
POLL_EVERY = 256
#: After a cancel, how long to wait for workers to stop and say so before leaving them to the reaper.
STOP_WAIT_S = 5.0
#: The least bytes in a chunk; tests lower it to run several processes over small files.
MIN_CHUNK_BYTES = 1 << 20


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def split_ranges(path: str | Path, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges of about equal size, each starting at the beginning of a line. The next line
    start is searched block by block: a line of any length (a file without newlines) costs no memory."""
    from backend.data.lines import CHUNK

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


class _Chunks:
    """What every process needs to scan chunks: the file, the chunks, the shared counters. Process ``k``
    (this one is the last) starts with chunk ``k``, so every process scans at least one; the others are
    taken in turn from ``taken``. ``owner`` says which process holds each chunk (-1: nobody yet)."""

    def __init__(self, path: str, fmt: str, chunks: list[tuple[int, int]], processes: int, encoding: str,
                 context_length: int | None, max_line: int, ctx):
        self.path, self.fmt, self.chunks, self.encoding = path, fmt, chunks, encoding
        self.context_length, self.max_line = context_length, max_line
        self.taken = ctx.Value("i", processes)
        self.owner = ctx.Array("i", [-1] * len(chunks), lock=False)
        self.done = ctx.Array("q", len(chunks), lock=False)  # bytes read of each chunk, for progress
        self.stop = ctx.Event()

    def next(self, me: int, first: bool) -> int | None:
        """``me``'s first chunk, then the next one nobody has taken; None when all are taken."""
        if first:
            index = me
        else:
            with self.taken.get_lock():
                index = self.taken.value
                if index >= len(self.chunks):
                    return None
                self.taken.value = index + 1
        self.owner[index] = me
        return index

    def scan(self, index: int, counter, should_stop: Callable[[], bool],
             on_block: Callable[[int], None] | None = None) -> Tally:
        from backend.data.scan import scan_jsonl

        done = self.done

        def block(n: int) -> None:
            done[index] = n
            if on_block is not None:
                on_block(n)

        start, end = self.chunks[index]
        tally = scan_jsonl(self.path, DataFormat(self.fmt), counter, start=start, end=end, on_block=block,
                           max_line=self.max_line, context_length=self.context_length, should_stop=should_stop,
                           every=POLL_EVERY)
        tally.pid = os.getpid()
        return tally


def _worker(me: int, work: _Chunks, results) -> None:  # runs in a child process
    try:
        from backend.data.scan import TokenCounter

        counter, first = TokenCounter(work.encoding), True
        while (index := work.next(me, first)) is not None:
            first = False
            tally = work.scan(index, counter, work.stop.is_set)
            results.put((index, tally))
            if tally.cancelled:
                break
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it as a StudioError
        results.put((-1, f"{type(exc).__name__}: {exc}"))


def scan_parallel(path: str | Path, fmt: DataFormat, *, encoding: str, context_length: int | None, processes: int,
                  progress: Callable[[int], None] | None = None, cancel: CancelToken | None = None,
                  max_line: int | None = None) -> list[tuple[int, Tally]]:
    """Scan ``path`` in ``processes`` processes, this one included; returns (first byte, Tally) per chunk
    scanned, in file order (a Tally is ``cancelled`` if a cancel stopped it: the caller says so). ``max_line``:
    the longest line read (default: the readers' cap, as this process has it)."""
    from backend.data.lines import MAX_LINE_BYTES
    from backend.data.scan import TokenCounter
    from backend.data.tokens import ensure_tiktoken_offline

    ensure_tiktoken_offline()  # once, here: children inherit TIKTOKEN_CACHE_DIR
    size = os.path.getsize(path)
    per_chunk = min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, size // (processes * CHUNKS_PER_PROCESS)))
    chunks = split_ranges(path, max(1, -(-size // per_chunk)))
    processes = max(1, min(processes, len(chunks)))
    ctx = mp.get_context("spawn")
    work = _Chunks(str(path), fmt.value, chunks, processes, encoding, context_length,
                   MAX_LINE_BYTES if max_line is None else max_line, ctx)
    results = ctx.Queue()
    if cancel is not None and cancel.cancelled:
        work.stop.set()  # before any worker starts: each stops at the first line of its first chunk
    procs = []
    for k in range(processes - 1):
        proc = ctx.Process(target=_worker, args=(k, work, results), daemon=True, name=f"validate-{k}")
        try:
            proc.start()
        except OSError as exc:  # no more processes: their first chunks are scanned here
            log.warning("a validation worker could not start: %s", exc)
            break
        procs.append(proc)
    me, tallies = processes - 1, {}

    def collect(wait: float = 0.0) -> None:
        """Take the results that have come in (waiting up to ``wait`` for the first); report progress."""
        while True:
            try:
                index, result = results.get(timeout=wait) if wait else results.get_nowait()
            except queue.Empty:
                break
            if isinstance(result, str):
                raise StudioError(f"Validation failed: {result}.")
            tallies[index] = result
            wait = 0.0
        if progress is not None:
            progress(sum(work.done[:]))

    def stopping() -> bool:
        if cancel is not None and cancel.cancelled:
            work.stop.set()
        return work.stop.is_set()

    def gone(k: int) -> bool:
        """Process ``k`` never started, or ended: a chunk it holds without a result is left to this one."""
        return k != me and (k >= len(procs) or procs[k].exitcode is not None)

    try:
        counter, first = TokenCounter(encoding), True
        while not work.stop.is_set() and (index := work.next(me, first)) is not None:
            first = False
            tallies[index] = work.scan(index, counter, stopping, lambda _: collect())
        stopped_at = None
        while True:
            collect(wait=0.05)
            if stopping():
                stopped_at = stopped_at or time.monotonic()
                if not any(p.is_alive() for p in procs) or time.monotonic() - stopped_at > STOP_WAIT_S:
                    break  # every worker has stopped and said so (or is left to the reaper)
                continue
            missing = [i for i in range(len(chunks)) if i not in tallies]
            if not missing:
                break
            for index in missing:
                holder = work.owner[index] if work.owner[index] >= 0 else index if index < processes else me
                if gone(holder):  # a crash, the OOM killer, a worker that could not start: scanned here
                    collect()
                    if index not in tallies:
                        tallies[index] = work.scan(index, counter, stopping)
    except BaseException:
        work.stop.set()
        _reap(procs)
        raise
    # Every result is in: the children only have their interpreters to tear down (about 0.1 s), which the
    # caller need not wait for. The reaper keeps the shared objects alive until then.
    threading.Thread(target=_reap, args=(procs, work, results), name="validate-reaper", daemon=True).start()
    return [(chunks[i][0], tallies[i]) for i in sorted(tallies)]


def _reap(procs: list, *keep_alive) -> None:
    deadline = time.monotonic() + 5
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.terminate()
            p.join(1)
