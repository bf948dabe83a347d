"""The retrieval baseline's retriever: Okapi BM25 over the training questions, in memory, on the CPU.

Lexical rather than embeddings: it runs offline with nothing to download, is deterministic, and for a
question-answer dataset (where a similar question shares its words) it is the baseline the lesson means.
Written here (~40 lines) rather than taken from ``rank_bm25`` (last released in 2022) or ``bm25s`` (pulls
scipy): an inverted index over a few thousand questions scores a query in well under a millisecond.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


class BM25:
    """``top(query, k)``: the indices of the ``k`` documents scoring highest for ``query`` (ties: earlier first)."""

    def __init__(self, documents: list[str], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.lengths = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)  # word -> [(doc, count)]
        for doc, text in enumerate(documents):
            words = tokens(text)
            self.lengths.append(len(words))
            for word, count in Counter(words).items():
                self.postings[word].append((doc, count))
        self.n = len(documents)
        self.average = (sum(self.lengths) / self.n) if self.n else 0.0

    def idf(self, word: str) -> float:
        df = len(self.postings.get(word, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> dict[int, float]:
        found: dict[int, float] = defaultdict(float)
        for word in set(tokens(query)):
            idf = self.idf(word)
            for doc, count in self.postings.get(word, ()):
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / (self.average or 1))
                found[doc] += idf * count * (self.k1 + 1) / (count + norm)
        return found

    def top(self, query: str, k: int) -> list[int]:
        ranked = sorted(self.scores(query).items(), key=lambda item: (-item[1], item[0]))
        return [doc for doc, score in ranked[:k] if score > 0]
