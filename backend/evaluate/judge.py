"""The pairwise judge: a model of the user's choice reads the question, the reference and two answers and
says which is better. Each pair is asked twice with the answers swapped, because judges favour a position;
a pair counts as a win only when both orders agree, a loss likewise, anything else a tie. Rates come with a
95% Wilson interval, which stays inside [0, 1] and is honest for the small test sets people have."""

from __future__ import annotations

import math
import re

from backend.models import ChatMessage

JUDGE_SYSTEM = ("You are a strict grader. You compare two answers to the same question against a reference "
                "answer and decide which answer is better: more correct first, then more complete and closer to "
                "the reference's form. Reply with exactly one word: A, B or TIE.")
_VERDICT = re.compile(r"\b(A|B|TIE)\b")


def judge_messages(question: str, reference: str, first: str, second: str) -> list[ChatMessage]:
    """The judge's prompt with ``first`` as answer A and ``second`` as answer B."""
    body = (f"Question:\n{question}\n\nReference answer:\n{reference}\n\n"
            f"Answer A:\n{first}\n\nAnswer B:\n{second}\n\nWhich answer is better? Reply A, B or TIE.")
    return [ChatMessage(role="system", content=JUDGE_SYSTEM), ChatMessage(role="user", content=body)]


def parse_verdict(text: str) -> str:
    """"A", "B" or "TIE" from the judge's reply (the first such word; an unreadable reply is a tie)."""
    found = _VERDICT.search((text or "").upper())
    return found.group(1) if found else "TIE"


def combine(anchor_first: str, anchor_second: str) -> str:
    """The compared model's result for one example from the judge's two verdicts: in the first its answer was
    A, in the second B. "win" only if both orders prefer it, "loss" only if both prefer the other."""
    wins = (anchor_first == "A") + (anchor_second == "B")
    losses = (anchor_first == "B") + (anchor_second == "A")
    if wins == 2:
        return "win"
    if losses == 2:
        return "loss"
    return "tie"


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a rate (95% by default); (0, 1) when nothing was counted."""
    if total <= 0:
        return 0.0, 1.0
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)
