"""Statistics from a Tally's compact arrays: distributions, the tokens histogram, duplicates."""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np

from backend.data.report import Distribution, Histogram, Stats
from backend.data.scan import Tally

HISTOGRAM_BINS = 20


def find_duplicates(keys: array, lines: array) -> Iterator[tuple[int, int]]:
    """(line, line of its first occurrence) for every exact duplicate, in line order. Sorting 8-byte hashes
    takes ~16 bytes per example, where a set of Python ints would take ~80."""
    if len(keys) < 2:
        return iter(())
    k = np.frombuffer(keys, dtype=np.uint64)
    ln = np.frombuffer(lines, dtype=np.uint32)
    order = np.lexsort((ln, k))  # by hash, then line: the first of each group is the original
    ks, ls = k[order], ln[order]
    dup = np.flatnonzero(ks[1:] == ks[:-1]) + 1
    if not len(dup):
        return iter(())
    group_start = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
    first = ls[group_start[np.searchsorted(group_start, dup, side="right") - 1]]
    pairs = sorted(zip(ls[dup].tolist(), first.tolist()))
    return iter(pairs)


def _distribution(values: np.ndarray) -> Distribution:
    if not len(values):
        return Distribution()
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return Distribution(min=int(values.min()), max=int(values.max()), mean=float(values.mean()),
                        median=float(p50), p5=float(p5), p95=float(p95))


def build_stats(tally: Tally, context_length: int | None) -> Stats:
    tokens = np.frombuffer(tally.tokens, dtype=np.uint32) if len(tally.tokens) else np.zeros(0, np.uint32)
    messages = np.frombuffer(tally.messages, dtype=np.uint16) if len(tally.messages) else np.zeros(0, np.uint16)
    histogram = Histogram()
    if len(tokens):
        lo, hi = int(tokens.min()), int(tokens.max())
        width = max(1, -(-(hi - lo + 1) // HISTOGRAM_BINS))  # whole tokens per bin
        counts, edges = np.histogram(tokens, bins=np.arange(lo, hi + width + 1, width))
        histogram = Histogram(edges=[float(e) for e in edges], counts=[int(c) for c in counts])
    longest = sorted(((-neg, n) for n, neg in tally.longest), key=lambda p: (-p[1], p[0]))
    return Stats(examples=tally.examples, valid_examples=tally.valid, messages=_distribution(messages),
                 tokens=_distribution(tokens), histogram=histogram, longest=longest[:10],
                 total_tokens=tally.total_tokens, billed_tokens_per_epoch=tally.billed,
                 duplicates=tally.counts.get("duplicate", 0))
