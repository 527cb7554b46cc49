"""LSEP: hand-worked values, the exact closed form at scale, and the pair sampling."""

import keras
import numpy as np
from scipy import stats

from mlrank_keras.losses import LSEPLoss, lsep_loss, sorting
from mlrank_keras.losses.kernels import searchsorted_counts
from tests.helpers import to_numpy, value_and_gradient
from tests.losses import references as ref


def test_hand_worked():
    # One positive, two negatives, all scores 0: log(1 + 2) = log 3.
    # Two positives at 1, one negative at 0: log(1 + 2 e^-1).
    y = [[1, 0, 0], [1, 1, 0]]
    f = [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    np.testing.assert_allclose(to_numpy(lsep_loss(y, f)), [np.log(3.0), np.log1p(2 / np.e)],
                               rtol=1e-6)


def test_exact_matches_reference_at_1000_labels():
    rng = np.random.default_rng(0)
    y = (rng.random((2, 1000)) < 0.05).astype("float32")
    f = (3.0 * rng.standard_normal((2, 1000))).astype("float32")
    np.testing.assert_allclose(to_numpy(lsep_loss(y, f)), ref.lsep(y, f), rtol=1e-5)


def test_sampling_keeps_small_rows_exact():
    """A row with |P| * |N| <= num_pairs uses all its pairs."""
    rng = np.random.default_rng(1)
    y = np.array([[1, 0, 0, 0, -1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], dtype="float32")
    f = rng.standard_normal(y.shape).astype("float32")
    np.testing.assert_allclose(to_numpy(lsep_loss(y, f, num_pairs=6, seed=0)), ref.lsep(y, f),
                               rtol=1e-6)


def test_a_batch_of_small_and_large_rows_mixes_exact_and_sampled():
    """Row 0 (2 pairs) is summed exactly; row 1 (12 pairs, all differences 0) samples 5:
    log(1 + 5)."""
    y = np.array([[1, 0, 0, -1, -1, -1, -1], [1, 1, 1, 0, 0, 0, 0]], dtype="float32")
    f = np.zeros_like(y)
    f[0, :3] = [0.3, -0.7, 1.1]
    got = to_numpy(lsep_loss(y, f, num_pairs=5, seed=2))
    np.testing.assert_allclose(got, [ref.lsep(y[:1], f[:1])[0], np.log(6.0)], rtol=1e-6)


def test_sampled_pairs_are_uniform_over_positive_negative_pairs():
    """With one pair per row the loss is softplus(f_v - f_u) of the drawn pair; the six
    pairs of (2 positives x 3 negatives) have distinct differences, so each is recognised."""
    batch = 12000
    f_row = np.array([0.0, 0.25, -1.0, 0.5, 2.0], dtype="float32")
    y_row = np.array([1, 1, 0, 0, 0], dtype="float32")
    pairs = [(u, v) for u in (0, 1) for v in (2, 3, 4)]
    assert_one_drawn_pair_is_uniform(y_row, f_row, pairs, batch, seed=4)


def assert_one_drawn_pair_is_uniform(y_row, f_row, pairs, batch, seed):
    """Rows of ``batch`` copies, one pair each: every value is ``softplus(f_v - f_u)`` of one
    of ``pairs`` (whose differences must be distinct), and the pairs come about equally
    often (chi-squared)."""
    expected = np.array([np.log1p(np.exp(f_row[v] - f_row[u])) for u, v in pairs])
    values = to_numpy(lsep_loss(np.tile(y_row, (batch, 1)), np.tile(f_row, (batch, 1)),
                                num_pairs=1, seed=seed))
    which = np.abs(values[:, None] - expected[None, :]).argmin(axis=1)
    np.testing.assert_allclose(values, expected[which], rtol=1e-5)
    counts = np.bincount(which, minlength=len(pairs))
    assert stats.chisquare(counts).pvalue > 1e-3


def test_sampled_sums_over_exactly_num_pairs_pairs():
    """All pair differences equal 0, so the loss is log(1 + t) for t sampled pairs."""
    y = np.array([[1, 1, 1, 0, 0, 0, 0]], dtype="float32")
    f = np.zeros_like(y)
    np.testing.assert_allclose(to_numpy(lsep_loss(y, f, num_pairs=5, seed=1)), [np.log(6.0)],
                               rtol=1e-6)
    np.testing.assert_allclose(to_numpy(lsep_loss(y, f)), [np.log(13.0)], rtol=1e-6)


def test_sampled_same_seed_same_value():
    rng = np.random.default_rng(2)
    y = (rng.random((16, 30)) < 0.3).astype("float32")
    f = rng.standard_normal((16, 30)).astype("float32")
    first = to_numpy(LSEPLoss(num_pairs=10, seed=3, reduction=None)(y, f))
    again = to_numpy(LSEPLoss(num_pairs=10, seed=3, reduction=None)(y, f))
    np.testing.assert_array_equal(first, again)
    assert keras.backend.standardize_dtype(first.dtype) == "float32"


def test_searchsorted_counts_matches_numpy_row_by_row():
    """The flat search of the pair sampler: cumulative counts of 0/1 masks (empty and full
    rows among them), queries below 0, inside and above the counts."""
    rng = np.random.default_rng(0)
    masks = (rng.random((2, 3, 37)) < 0.3).astype("float32")
    masks[0, 1], masks[1, 2] = 0.0, 1.0
    counts = np.cumsum(masks, axis=-1)
    queries = rng.integers(-3, 45, size=(2, 3, 11)).astype("float32")
    found = keras.ops.convert_to_numpy(searchsorted_counts(counts, queries))
    expected = np.stack([
        np.stack([np.searchsorted(counts[i, j], queries[i, j], side="left") for j in range(3)])
        for i in range(2)
    ])
    np.testing.assert_array_equal(found, expected)


def few_non_negatives(seed=0):
    """Rows of 96 labels with at most 8 that are not negative: positives and unknowns at the
    row's ends, side by side and scattered, a row with no positive, one with 8 positives."""
    rng = np.random.default_rng(seed)
    y = np.zeros((7, 96), "float32")
    y[0, [0, 1, 95]] = 1.0
    y[1, [3, 40]], y[1, [0, 4, 41, 95]] = 1.0, -1.0
    y[2, [10, 11, 12, 13]], y[2, [14, 15]] = 1.0, -1.0
    y[3, 50], y[3, [0, 1, 2, 93, 94, 95]] = -1.0, -1.0
    y[4, rng.choice(96, 8, replace=False)] = 1.0
    y[5, [20, 60]] = -1.0  # no positive: the row gives 0
    y[6, rng.choice(96, 5, replace=False)] = 1.0
    return y


def test_listed_pairs_are_the_searched_pairs(monkeypatch):
    """With few non-negative labels a row's pairs come from a list of them (no search over
    the row): the same draws give the same pairs, values and gradients as the search."""
    y = few_non_negatives()
    f = np.random.default_rng(1).normal(size=y.shape).astype("float32")
    found = {}
    for tiers in ((), (8, 16)):
        monkeypatch.setattr(sorting, "FEW_POSITIVES", tiers)
        found[tiers] = value_and_gradient(
            lambda x: keras.ops.sum(lsep_loss(y, x, num_pairs=20, seed=5)), f
        )
    (value, grad), (listed_value, listed_grad) = found[()], found[(8, 16)]
    np.testing.assert_array_equal(listed_value, value)
    np.testing.assert_array_equal(listed_grad, grad)
    assert np.all(grad[y != 0.0] <= 0.0) and np.all(grad[y == -1.0] == 0.0)


def test_listed_pairs_are_uniform_over_positive_negative_pairs(monkeypatch):
    """One pair a row from a row of 64 labels (2 positives, 3 unknowns, 59 negatives), through
    the list: every one of the 118 pairs about equally often, and never an unknown label."""
    monkeypatch.setattr(sorting, "FEW_POSITIVES", (8,))
    width, batch = 64, 23600
    y_row = np.zeros(width, "float32")
    y_row[[0, 33]], y_row[[1, 32, 63]] = 1.0, -1.0
    f_row = np.arange(width, dtype="float32") / width  # every difference distinct:
    f_row[33] = 5.0  # f_v - f_0 in (0, 1), f_v - f_33 in (-5, -4)
    negatives = np.flatnonzero(y_row == 0.0)
    pairs = [(u, v) for u in (0, 33) for v in negatives]
    assert_one_drawn_pair_is_uniform(y_row, f_row, pairs, batch, seed=6)
