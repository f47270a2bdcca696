"""Ranking and lift metrics for `backtest` and `fit`, in plain Python (no numpy needed).

Scores tie a lot (many leads sit at 0 points), so every metric here treats
tied scores as one group: ROC AUC uses average ranks (the Mann-Whitney form),
average precision steps once per distinct score (as scikit-learn does), and a
tie group never straddles two deciles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby


def _tie_groups(scores: Sequence[float], labels: Sequence[bool]) -> list[tuple[float, int, int]]:
    """(score, members, positives) per distinct score, highest score first."""
    pairs = sorted(zip(scores, labels), key=lambda p: -p[0])
    return [(score, len(members), sum(1 for _, y in members if y))
            for score, members in ((s, list(g)) for s, g in groupby(pairs, key=lambda p: p[0]))]


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """P(a converter outscores a non-converter), ties counting half; None without both classes."""
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    wins = 0.0
    below = 0  # negatives with a lower score than the current group
    for _, members, pos in reversed(_tie_groups(scores, labels)):  # lowest score first
        neg = members - pos
        wins += pos * below + 0.5 * pos * neg
        below += neg
    return wins / (positives * negatives)


def average_precision(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Σ (recall step) × precision over the distinct score thresholds; None without converters."""
    positives = sum(1 for y in labels if y)
    if positives == 0:
        return None
    taken = hits = 0
    total = 0.0
    for _, members, pos in _tie_groups(scores, labels):
        taken += members
        hits += pos
        total += (pos / positives) * (hits / taken)
    return total


@dataclass(frozen=True)
class Group:
    """Leads in one bucket (a stage, a decile) and how many of them converted."""

    name: str
    leads: int
    converted: int
    low: float | None = None  # the score range, for deciles
    high: float | None = None
    value: float = 0.0  # the outcomes' value of the conversions, for stages

    @property
    def rate(self) -> float:
        return self.converted / self.leads if self.leads else 0.0

    def lift(self, base_rate: float) -> float | None:
        return self.rate / base_rate if base_rate > 0 else None


def deciles(scores: Sequence[float], labels: Sequence[bool]) -> list[Group]:
    """Ten buckets by score, 1 = the highest 10%; a tie group goes where its middle falls.

    With heavy ties some deciles stay empty and are left out.
    """
    n = len(scores)
    buckets: dict[int, list[tuple[float, int, int]]] = {}
    position = 0
    for score, members, pos in _tie_groups(scores, labels):
        middle = position + (members - 1) / 2
        buckets.setdefault(int(10 * middle / n) + 1, []).append((score, members, pos))
        position += members
    return [Group(str(d), sum(m for _, m, _ in groups), sum(p for _, _, p in groups),
                  low=min(s for s, _, _ in groups), high=max(s for s, _, _ in groups))
            for d, groups in sorted(buckets.items())]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
