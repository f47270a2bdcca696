"""The ranking metrics agree with scikit-learn's, ties included."""

from __future__ import annotations

import random

import pytest

from leadflow.runtime.metrics import average_precision, deciles, median, roc_auc

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def test_auc_counts_ties_as_half():
    assert roc_auc([3, 2, 1], [True, False, False]) == 1.0
    assert roc_auc([1, 1], [True, False]) == 0.5
    assert roc_auc([1, 2], [True, True]) is None


@pytest.mark.parametrize("seed", range(5))
def test_auc_and_average_precision_match_scikit_learn(seed):
    rng = random.Random(seed)
    scores = [rng.choice([0, 0, 0, 1, 2, 5, 10, 10, 60]) for _ in range(300)]
    labels = [rng.random() < 0.05 + s / 100 for s in scores]
    assert roc_auc(scores, labels) == pytest.approx(sklearn_metrics.roc_auc_score(labels, scores))
    assert average_precision(scores, labels) == pytest.approx(
        sklearn_metrics.average_precision_score(labels, scores))


def test_a_tie_group_never_straddles_two_deciles():
    scores = [0] * 60 + list(range(1, 41))
    labels = [False] * 100
    groups = deciles(scores, labels)
    assert sum(g.leads for g in groups) == 100
    zero = [g for g in groups if g.low == 0]
    assert len(zero) == 1 and zero[0].leads == 60 and zero[0].high == 0
    assert groups[0].name == "1" and groups[0].low == 31 and groups[0].high == 40


def test_median():
    assert median([]) is None
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
