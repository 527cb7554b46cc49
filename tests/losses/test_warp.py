"""WARP: hand-worked values, and the sampled estimator against its exact distribution."""

import math

import keras
import numpy as np
import pytest
from scipy import stats

from mlrank_keras.losses import WARPLoss, warp_loss
from tests.helpers import to_numpy, value_and_gradient
from tests.losses import references as ref


def test_exact_hand_worked_with_a_tie():
    # Row 1: the positive (1.0) is violated by 0.5 and 1.0 (hinges 0.5 and 1.0), not by -3:
    # L(2)/2 * 1.5 = 1.125. Row 2: positive 2.0 against negative 1.0 is a tie
    # (1 - 2 + 1 = 0, no violation); positive 0.0 has one violator, hinge 2: L(1) * 2 = 2.
    y = [[1, 0, 0, 0], [1, 1, 0, -1]]
    f = [[1.0, 0.5, 1.0, -3.0], [2.0, 0.0, 1.0, 9.0]]
    np.testing.assert_allclose(to_numpy(warp_loss(y, f)), [1.125, 2.0])


def test_exact_matches_reference_at_300_labels():
    rng = np.random.default_rng(0)
    y = (rng.random((3, 300)) < 0.05).astype("float32")
    f = rng.standard_normal((3, 300)).astype("float32")
    np.testing.assert_allclose(to_numpy(warp_loss(y, f)), ref.warp_exact(y, f), rtol=1e-5)


def _one_positive_rows(batch, violator_hinges, num_negatives):
    """One positive (score 0) and ``num_negatives`` negatives; violators have the given
    hinges (margin 1, so score = hinge - 1), the others score -5."""
    f = np.full((batch, num_negatives + 1), -5.0, dtype="float32")
    f[:, 0] = 0.0
    f[:, 1 : 1 + len(violator_hinges)] = np.asarray(violator_hinges) - 1.0
    y = np.zeros_like(f)
    y[:, 0] = 1.0
    return y, f


def test_sampled_rank_estimate_follows_the_papers_formula():
    """Draws until the first violator: s follows the negative hypergeometric law, and the
    loss is L(floor((c - 1) / s)) for hinges of 1."""
    num_negatives, num_violators, batch = 11, 3, 20000
    c = num_negatives + 1
    y, f = _one_positive_rows(batch, [1.0] * num_violators, num_negatives)
    values = to_numpy(warp_loss(y, f, rank_estimate="sampled", seed=11))
    pmf = ref.first_violator_pmf(num_negatives, num_violators)
    expected = {}
    for s, p in pmf.items():
        rank = (c - 1) // s
        expected[rank] = expected.get(rank, 0.0) + p
    ranks = sorted(expected)
    weights = np.array([ref.harmonic(r) for r in ranks])
    observed_rank = np.array(ranks)[np.abs(values[:, None] - weights[None, :]).argmin(axis=1)]
    np.testing.assert_allclose(values, [ref.harmonic(r) for r in observed_rank], rtol=1e-6)
    counts = np.array([(observed_rank == r).sum() for r in ranks])
    probabilities = np.array([expected[r] for r in ranks])
    assert stats.chisquare(counts, probabilities * batch).pvalue > 1e-3
    mean_rank = sum(r * p for r, p in expected.items())
    assert abs(observed_rank.mean() - mean_rank) < 4 * observed_rank.std() / math.sqrt(batch)


def test_sampled_first_violator_is_uniform_among_violators():
    """Every negative violates, so s = 1 and the loss is L(c - 1) * hinge(v*)."""
    hinges = [1.0, 2.0, 3.0, 4.0, 5.0]
    batch = 10000
    y, f = _one_positive_rows(batch, hinges, len(hinges))
    values = to_numpy(warp_loss(y, f, rank_estimate="sampled", seed=5))
    picked = values / ref.harmonic(len(hinges))
    np.testing.assert_allclose(picked, np.round(picked), atol=1e-5)
    counts = np.array([(np.round(picked) == h).sum() for h in hinges])
    assert stats.chisquare(counts).pvalue > 1e-3


def test_sampled_weight_is_a_constant_for_the_gradient():
    rng = np.random.default_rng(1)
    y = np.array([[1, 0, 0, 0, 0, 0, 0, 0]], dtype="float32")
    f = rng.standard_normal(y.shape).astype("float32")
    f[0, 0] = -1.0  # most negatives violate
    value, grad = value_and_gradient(
        lambda x: keras.ops.sum(warp_loss(y, x, rank_estimate="sampled", seed=2)), f
    )
    (violator,) = np.nonzero(grad[0, 1:])[0] + 1
    weight = grad[0, violator]
    assert grad[0, 0] == pytest.approx(-weight)
    assert value == pytest.approx(weight * (1.0 - f[0, 0] + f[0, violator]), rel=1e-5)
    assert any(weight == pytest.approx(ref.harmonic(r)) for r in range(1, 8))


def test_sampled_same_seed_same_value_other_seed_other_value():
    rng = np.random.default_rng(2)
    y = (rng.random((64, 20)) < 0.3).astype("float32")
    f = rng.standard_normal((64, 20)).astype("float32")
    first = to_numpy(WARPLoss(rank_estimate="sampled", seed=9, reduction=None)(y, f))
    again = to_numpy(WARPLoss(rank_estimate="sampled", seed=9, reduction=None)(y, f))
    other = to_numpy(WARPLoss(rank_estimate="sampled", seed=10, reduction=None)(y, f))
    np.testing.assert_array_equal(first, again)
    assert np.any(first != other)


def test_sampled_draws_change_between_training_steps():
    """One positive, eleven violators: each step's loss is L(11) * hinge(v*); with a tiny
    learning rate the scores barely move, so distinct values mean fresh draws."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(12)])
    model.layers[0].kernel.assign(np.zeros((4, 12)))
    model.layers[0].bias.assign(np.r_[0.0, np.linspace(-0.9, 0.9, 11)])
    model.compile(keras.optimizers.SGD(1e-6), WARPLoss(rank_estimate="sampled", seed=3))
    x = np.ones((1, 4), dtype="float32")
    y = np.zeros((1, 12), dtype="float32")
    y[0, 0] = 1.0
    values = [round(float(model.train_on_batch(x, y)), 3) for _ in range(12)]
    assert len(set(values)) >= 4, values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exact_a_negative_at_minus_inf_after_the_positive_adds_nothing(dtype):
    """Found by the fuzz suite: on PyTorch in float64 the weight of the negatives after the
    last positive was a rounding residue (total minus prefix sum), times -inf: -inf."""
    y = np.array([[0.0, 0.0, 0.0, 0.0, 1.0]])
    f = np.array([[-1.8, -1.78, -0.85, -np.inf, -1e3]])
    expected = ref.warp_exact(y[:, [0, 1, 2, 4]], f[:, [0, 1, 2, 4]])  # -inf violates nothing
    got = to_numpy(warp_loss(y, keras.ops.convert_to_tensor(f, dtype)))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
