"""The registered layers against numpy references."""

import keras
import numpy as np
import pytest

from mlrank_keras import layers
from tests.helpers import to_numpy
from tests.metrics import references


def test_label_transform_scores_are_minus_norms():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(7, 5)).astype("float32")
    a = rng.normal(size=(3, 4, 5)).astype("float32")
    layer = layers.LabelTransform(vectors, k=4)
    got = to_numpy(layer(a.reshape(3, 20)))
    expected = -np.linalg.norm(np.einsum("bkd,ld->bkl", a, vectors), axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_numpy(layer(a)), expected, rtol=1e-4, atol=1e-5)
    layer.set_label_vectors(vectors[::-1])
    np.testing.assert_allclose(to_numpy(layer(a)), expected[:, ::-1], rtol=1e-4, atol=1e-5)
    assert not layer.trainable_weights
    with pytest.raises(ValueError, match="same label count|another label count"):
        layer.set_label_vectors(vectors[:3])
    with pytest.raises(ValueError, match="expects inputs of shape"):
        layers.LabelTransform(vectors, k=3)(a.reshape(3, 20))
    with pytest.raises(ValueError, match="`label_vectors` must be finite"):
        layers.LabelTransform(np.full((2, 2), np.nan), k=1)


def test_label_transform_gradient_is_finite_at_zero():
    vectors = np.eye(3, dtype="float32")
    layer = layers.LabelTransform(vectors, k=1)
    from tests.helpers import value_and_gradient

    _, grad = value_and_gradient(lambda a: keras.ops.sum(layer(a)), np.zeros((2, 3), "float32"))
    assert np.isfinite(grad).all()


def test_metric_matrix_scores_match_numpy():
    rng = np.random.default_rng(1)
    layer = layers.MetricMatrixTagScores(num_tags=6, tag_dim=4, tag_units=(5, 3))
    x = rng.random((2, 3)).astype("float32")
    out = to_numpy(layer(x))
    w = [to_numpy(v) for v in layer.weights]
    names = [v.path.split("/")[-1] for v in layer.weights]
    emb = w[names.index("tag_embeddings")]
    metric = w[names.index("metric_matrix")]
    k0, b0, k1, b1 = (w[i] for i, n in enumerate(names) if n in ("kernel", "bias"))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    tags = sig(sig(emb @ k0 + b0) @ k1 + b1)
    expected = np.array([[tags[t] @ metric @ x[i] for t in range(6)] for i in range(2)])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="must equal the tag tower's last size"):
        layers.MetricMatrixTagScores(num_tags=2, tag_units=(4,))(np.zeros((1, 3), "float32"))


def test_decision_layers_match_the_reference_decisions():
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 3, size=(20, 6)).astype("float32")  # ties
    counts = rng.random((20, 4)).astype("float32")
    got = to_numpy(layers.TopKDecision(k=2)(scores))
    expected = np.zeros_like(scores)
    for i, labels in enumerate(references.top_k_sets(scores, 2)):
        expected[i, labels] = 1
    np.testing.assert_array_equal(got, expected)
    got = to_numpy(layers.LabelCountDecision()([scores, counts]))
    for i in range(20):
        k = int(np.argmax(counts[i])) + 1
        row = np.zeros(6)
        row[references.top_k_sets(scores[i : i + 1], k)[0]] = 1
        np.testing.assert_array_equal(got[i], row)
    got = to_numpy(layers.ThresholdDecision([0.5, 1.5, 0, 0, 0, 0])(scores))
    np.testing.assert_array_equal(got, scores > np.array([0.5, 1.5, 0, 0, 0, 0]))


@pytest.mark.parametrize(
    "layer",
    [
        lambda: layers.LabelTransform(np.ones((3, 2), "float32"), k=2),
        lambda: layers.MetricMatrixTagScores(num_tags=3, tag_dim=2, tag_units=(4,)),
        lambda: layers.TopKDecision(k=2),
        lambda: layers.ThresholdDecision([0.1, 0.2]),
        lambda: layers.LabelCountDecision(),
    ],
)
def test_config_round_trip(layer):
    layer = layer()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
