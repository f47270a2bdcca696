"""The one place leadflow touches scikit-learn (the optional extra `leadflow[fit]`).

`leadflow fit` checks that scikit-learn is installed before importing this
module, so everything else works without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression


def logistic_weights(features: Sequence[Sequence[float]], labels: Sequence[bool],
                     strength: float) -> list[float]:
    """L2-regularized logistic regression; the weight of one more unit of each feature.

    Features are standardized before fitting, so the penalty treats a rare rule
    and a frequent one alike; the weights are mapped back to raw units. A
    feature that never varies gets weight 0.
    """
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=int)
    mean, sd = x.mean(axis=0), x.std(axis=0)
    varies = sd > 0
    scaled = (x[:, varies] - mean[varies]) / sd[varies]
    model = LogisticRegression(C=1.0 / strength, max_iter=1000)
    model.fit(scaled, y)
    weights = np.zeros(x.shape[1])
    weights[varies] = model.coef_[0] / sd[varies]
    return [float(w) for w in weights]
