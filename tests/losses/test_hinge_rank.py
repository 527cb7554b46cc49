"""Hinge rank loss (transformation paper eq. 3) against plain loops."""

import keras
import numpy as np
import pytest

from mlrank_keras import losses
from tests.helpers import finite_difference, to_numpy, value_and_gradient


def reference_all(y, f, margin=1.0):
    """sum over every negative n of max(0, m - mean_{p} f_p + f_n), 0 without P or N."""
    out = np.zeros(len(y))
    for i in range(len(y)):
        pos = [f[i][j] for j in range(len(y[i])) if y[i][j] > 0.5]
        neg = [f[i][j] for j in range(len(y[i])) if 0 <= y[i][j] <= 0.5]
        if pos and neg:
            mean = sum(pos) / len(pos)
            out[i] = sum(max(0.0, margin - mean + v) for v in neg)
    return out


def batch(seed=0, n=6, num_labels=11):
    rng = np.random.default_rng(seed)
    y = rng.choice([-1.0, 0.0, 1.0], p=[0.1, 0.6, 0.3], size=(n, num_labels)).astype("float32")
    y[0] = 1.0  # no negative
    y[1] = 0.0  # no positive
    return y, rng.normal(scale=2.0, size=(n, num_labels)).astype("float32")


@pytest.mark.parametrize("margin", [1.0, 0.2])
def test_all_negatives_value_and_gradient(margin):
    y, f = batch()
    got = to_numpy(losses.hinge_rank_loss(y, f, num_negatives=None, margin=margin))
    np.testing.assert_allclose(got, reference_all(y, f, margin), rtol=1e-5, atol=1e-5)
    assert got[0] == 0 and got[1] == 0
    _, grad = value_and_gradient(
        lambda s: keras.ops.sum(losses.hinge_rank_loss(y, s, num_negatives=None, margin=margin)),
        f,
    )
    expected = finite_difference(lambda s: reference_all(y, s, margin).sum(), f)
    np.testing.assert_allclose(grad, expected, atol=1e-4)


def test_more_negatives_asked_than_present_uses_all():
    y, f = batch(1)
    got = to_numpy(losses.hinge_rank_loss(y, f, num_negatives=40, seed=3))
    np.testing.assert_allclose(got, reference_all(y, f), rtol=1e-5, atol=1e-5)


def test_sampled_negatives_are_a_uniform_subset_of_the_right_size():
    # One positive at 0, 30 negatives each with hinge 1 + its index: the loss is the sum of
    # 1 + index over the sampled negatives, so E[loss] = 5 * mean(1 + index).
    num_neg = 30
    y = np.array([[1.0] + [0.0] * num_neg + [-1.0]], dtype="float32")
    f = np.array([[0.0] + list(range(num_neg)) + [50.0]], dtype="float32")
    y, f = np.repeat(y, 4000, axis=0), np.repeat(f, 4000, axis=0)
    got = to_numpy(losses.hinge_rank_loss(y, f, num_negatives=5, seed=0))
    # Each row: the sum of 5 distinct values of 1 + index: distinct means no value twice.
    assert got.min() >= sum(range(1, 6)) and got.max() <= sum(range(26, 31))
    expected_mean = 5 * np.mean(np.arange(1, num_neg + 1))
    sd = np.std(got) / np.sqrt(len(got))
    assert abs(got.mean() - expected_mean) < 4 * sd


def test_class_seeded_reproducible_and_config():
    y, f = batch(2, num_labels=60)
    a = to_numpy(losses.HingeRankLoss(num_negatives=3, seed=5)(y, f))
    b = to_numpy(losses.HingeRankLoss(num_negatives=3, seed=5)(y, f))
    assert a == b
    loss = losses.HingeRankLoss(num_negatives=7, margin=0.5, seed=1)
    clone = losses.HingeRankLoss.from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="`num_negatives`"):
        losses.HingeRankLoss(num_negatives=0)
    big = to_numpy(losses.hinge_rank_loss(y, 1e4 * f, num_negatives=None))
    assert np.isfinite(big).all()
