"""The one-vs-all hinge against a plain loop and finite differences."""

import keras
import numpy as np
import pytest

from mlrank_keras import losses
from tests.helpers import finite_difference, to_numpy, value_and_gradient


def reference(y, f, margin=1.0):
    out = np.zeros(len(y))
    for i in range(len(y)):
        for j in range(len(y[i])):
            if y[i][j] < 0:
                continue
            sign = 1.0 if y[i][j] > 0.5 else -1.0
            out[i] += max(0.0, margin - sign * f[i][j])
    return out


def batch(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice([-1.0, 0.0, 1.0], p=[0.1, 0.6, 0.3], size=(6, 9)).astype("float32")
    y[0] = 0.0  # no positive: still a loss
    f = rng.normal(scale=2.0, size=(6, 9)).astype("float32")
    return y, f


@pytest.mark.parametrize("margin", [1.0, 0.25])
def test_value_and_gradient_match_the_reference(margin):
    y, f = batch()
    got = to_numpy(losses.one_vs_all_hinge_loss(y, f, margin=margin))
    np.testing.assert_allclose(got, reference(y, f, margin), rtol=1e-5, atol=1e-6)
    assert got[0] > 0
    _, grad = value_and_gradient(
        lambda s: keras.ops.sum(losses.one_vs_all_hinge_loss(y, s, margin=margin)), f
    )
    expected = finite_difference(lambda s: reference(y, s, margin).sum(), f)
    np.testing.assert_allclose(grad, expected, atol=1e-4)


def test_class_reduction_config_and_large_scores():
    y, f = batch(1)
    loss = losses.OneVsAllHingeLoss(margin=0.5, reduction="sum")
    assert float(to_numpy(loss(y, f))) == pytest.approx(reference(y, f, 0.5).sum(), rel=1e-5)
    clone = losses.OneVsAllHingeLoss.from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    big = to_numpy(losses.one_vs_all_hinge_loss(y, 1e4 * f))
    assert np.isfinite(big).all()
    with pytest.raises(ValueError, match="`margin`"):
        losses.OneVsAllHingeLoss(margin=-1.0)
