"""The transformation model: zero-shot label sets and the row-classifier analysis."""

import numpy as np
import pytest

import mlrank_keras as mk
from tests.helpers import to_numpy
from tests.models import builders


def test_new_label_vectors_rank_new_labels_without_retraining():
    model, x, y = builders.tiny("transform_alexnet")
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    weights = [to_numpy(w) for w in model.weights]
    before = to_numpy(model.predict(x[:8], verbose=0))
    matrices = mk.models.transform_matrices(model, x[:8])  # (8, k, d)
    # Unseen labels: the scores are -||A w|| of the new vectors, with the same A.
    unseen = np.random.default_rng(3).normal(size=(5, 6)).astype("float32")
    zero_shot = mk.with_label_vectors(model, unseen)
    got = to_numpy(zero_shot.predict(x[:8], verbose=0))
    expected = -np.linalg.norm(np.einsum("nkd,ld->nkl", matrices, unseen), axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert got.shape == (8, 5)
    # Swapping the label set changes the ranked set: reversed vectors, reversed columns.
    swapped = to_numpy(
        mk.with_label_vectors(model, builders.VECTORS[::-1]).predict(x[:8], verbose=0)
    )
    np.testing.assert_allclose(swapped, before[:, ::-1], rtol=1e-5, atol=1e-5)
    assert (np.argmax(swapped, axis=1) != np.argmax(before, axis=1)).any()
    # No retraining: the original model and every weight are as they were.
    np.testing.assert_allclose(to_numpy(model.predict(x[:8], verbose=0)), before, rtol=1e-6)
    for w, old in zip(model.weights, weights, strict=True):
        np.testing.assert_array_equal(to_numpy(w), old)
    with pytest.raises(ValueError, match=r"must be \(num_labels, 6\)"):
        mk.with_label_vectors(model, np.zeros((3, 5)))


def test_row_classifier_votes_and_jaccard_match_loops():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 5, 4))
    w = rng.normal(size=(9, 4))
    votes = mk.models.row_classifier_votes(a, w, top_n=2)
    jaccard = mk.models.row_classifier_jaccard(a, w, top_n=3)
    for i in range(3):
        sets2, sets3 = [], []
        for r in range(5):
            closeness = [abs(float(a[i, r] @ w[label])) for label in range(9)]
            order = sorted(range(9), key=lambda label: (closeness[label], label))
            sets2.append(set(order[:2]))
            sets3.append(set(order[:3]))
        expected_votes = [sum(label in s for s in sets2) for label in range(9)]
        np.testing.assert_array_equal(votes[i], expected_votes)
        pairs = [(r, s) for r in range(5) for s in range(r + 1, 5)]
        expected = np.mean([len(sets3[r] & sets3[s]) / len(sets3[r] | sets3[s]) for r, s in pairs])
        assert jaccard[i] == pytest.approx(expected)
    with pytest.raises(ValueError, match="`top_n`"):
        mk.models.row_classifier_votes(a, w, top_n=10)
