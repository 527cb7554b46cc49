"""DREL's triplet hinge against a loop over triplets."""

import numpy as np
import pytest

from mlrank_keras import losses
from tests.helpers import to_numpy


def reference(y, s, margin=1.0):
    out = np.zeros(len(y))
    for i in range(len(y)):
        triplets = [
            max(0.0, margin - s[i][u] + s[i][v])
            for u in range(len(y[i]))
            if y[i][u] > 0.5
            for v in range(len(y[i]))
            if 0 <= y[i][v] <= 0.5
        ]
        out[i] = np.mean(triplets) if triplets else 0.0
    return out


def test_mean_over_triplets():
    rng = np.random.default_rng(0)
    y = rng.choice([-1.0, 0.0, 1.0], p=[0.1, 0.6, 0.3], size=(8, 9)).astype("float32")
    y[0] = 0.0
    s = rng.integers(-2, 3, size=(8, 9)).astype("float32")  # ties
    for margin in (1.0, 0.0):
        got = to_numpy(losses.triplet_hinge_loss(y, s, margin=margin))
        np.testing.assert_allclose(got, reference(y, s, margin), rtol=1e-6, atol=1e-6)
    loss = losses.TripletHingeLoss(margin=0.3)
    assert losses.TripletHingeLoss.from_config(loss.get_config()).get_config() == loss.get_config()
    with pytest.raises(ValueError, match="`margin`"):
        losses.TripletHingeLoss(margin=-0.1)
