"""Li's label-count and threshold losses against hand-worked values and loops."""

import math

import numpy as np

from mlrank_keras import losses
from tests.helpers import to_numpy


def test_label_count_loss_targets_are_capped_counts():
    y = np.array([[0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "float32")
    probs = np.array([[0.1, 0.2, 0.3, 0.4]] * 4, dtype="float32")
    got = to_numpy(losses.label_count_loss(y, probs))
    # counts 0 -> 1, 1, 3, 5 -> 4 (n = 4)
    np.testing.assert_allclose(got, -np.log([0.1, 0.1, 0.3, 0.4]), rtol=1e-5)
    logits = np.log(probs) + 3.0  # softmax gives the same distribution
    got = to_numpy(losses.label_count_loss(y, logits, from_logits=True))
    np.testing.assert_allclose(got, -np.log([0.1, 0.1, 0.3, 0.4]), rtol=1e-5)
    config = losses.LabelCountLoss(from_logits=True).get_config()
    assert losses.LabelCountLoss.from_config(config).get_config() == config


def test_threshold_loss_is_masked_mean_bce_of_f_minus_theta():
    rng = np.random.default_rng(0)
    y = rng.choice([-1.0, 0.0, 1.0], size=(5, 7)).astype("float32")
    z = rng.normal(scale=3.0, size=(5, 7)).astype("float32")
    expected = []
    for i in range(5):
        terms = []
        for j in range(7):
            if y[i, j] < 0:
                continue
            p = 1 / (1 + math.exp(-z[i, j]))
            terms.append(-math.log(p) if y[i, j] > 0.5 else -math.log(1 - p))
        expected.append(np.mean(terms) if terms else 0.0)
    got = to_numpy(losses.threshold_estimation_loss(y, z))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    big = to_numpy(losses.threshold_estimation_loss(y, 1e4 * z))
    assert np.isfinite(big).all()
