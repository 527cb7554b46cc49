"""kNN tag transfer against a brute-force search written from Gong's formula."""

import numpy as np
import pytest

from mlrank_keras.baselines import KNNTagTransfer


def brute_force(train_x, train_y, queries, k, sigma):
    """Gong's p(c|i) = 1/k sum_{j in kNN(i)} exp(-||x_i - x_j||^2 / sigma) y_jc, by loops."""
    scores, neighbours = [], []
    for q in queries:
        d2 = [float(np.sum((q.astype("float64") - x) ** 2)) for x in train_x]
        order = sorted(range(len(d2)), key=lambda j: (d2[j], j))[:k]
        p = np.zeros(train_y.shape[1])
        for j in order:
            p += np.exp(-d2[j] / sigma) * (train_y[j] > 0.5)
        scores.append(p / k)
        neighbours.append((order, [d2[j] for j in order]))
    return np.array(scores), neighbours


def data(seed=0, n=300, d=6, num_labels=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (rng.random((n, num_labels)) < 0.3).astype("float32")
    y[rng.random(y.shape) < 0.05] = -1.0  # unknown: not a tag
    return x, y, rng.normal(size=(37, d)).astype("float32")


@pytest.mark.parametrize("blocks", [(256, 8192), (5, 7), (37, 300)])
def test_matches_brute_force_for_any_block_sizes(blocks):
    x, y, queries = data()
    knn = KNNTagTransfer(k=10, sigma=2.0, query_batch_size=blocks[0], train_batch_size=blocks[1])
    knn.fit(x, y)
    expected, neighbours = brute_force(x, y, queries, k=10, sigma=2.0)
    squared, indices = knn.kneighbors(queries)
    for i, (order, d2) in enumerate(neighbours):
        np.testing.assert_array_equal(indices[i], order)
        np.testing.assert_allclose(squared[i], d2, rtol=1e-4, atol=1e-4)
    scores = knn.predict(queries)
    # Same ranking as Gong's p(c|i): equal up to the per-image normaliser.
    normaliser = np.array([np.exp(-np.array(d2) / 2.0).sum() / 10 for _, d2 in neighbours])
    np.testing.assert_allclose(scores, expected / normaliser[:, None], rtol=1e-4, atol=1e-6)


def test_far_queries_keep_finite_nonzero_scores():
    x, y, _ = data(1)
    far = np.full((3, 6), 1e3, dtype="float32")  # exp(-d^2) underflows to 0 in the paper
    scores = KNNTagTransfer(k=5).fit(x, y).predict(far)
    assert np.isfinite(scores).all() and (scores.sum(axis=1) > 0).all()


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match="`k` must be a positive int"):
        KNNTagTransfer(k=0)
    with pytest.raises(ValueError, match="`sigma`"):
        KNNTagTransfer(sigma=0.0)
    with pytest.raises(ValueError, match="`query_batch_size`"):
        KNNTagTransfer(query_batch_size=-1)
    knn = KNNTagTransfer(k=3)
    with pytest.raises(ValueError, match="before searching"):
        knn.predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="same N"):
        knn.fit(np.zeros((4, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at most the number of training rows"):
        knn.fit(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        knn.fit(np.full((4, 2), np.nan), np.zeros((4, 3)))
    knn.fit(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"must be \(n, 2\)"):
        knn.predict(np.zeros((1, 3)))
    assert knn.predict(np.zeros((0, 2))).shape == (0, 3)
