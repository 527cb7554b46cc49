"""Multilabel softmax: hand-worked values and Keras's categorical cross-entropy."""

import keras
import numpy as np

from mlrank_keras.losses import multilabel_softmax_loss
from tests.helpers import to_numpy


def test_hand_worked():
    # q = (1/2, 1/2, 0); p_0 = p_1 = e^2 / (2 e^2 + 1): loss = log(2 + e^-2).
    # An unknown label leaves the normalisation: log(e^0 + e^0) - 0 = log 2.
    y = [[1, 1, 0], [1, 0, -1]]
    f = [[2.0, 2.0, 0.0], [0.0, 0.0, 100.0]]
    np.testing.assert_allclose(to_numpy(multilabel_softmax_loss(y, f)),
                               [np.log(2 + np.exp(-2.0)), np.log(2.0)], rtol=1e-6)


def test_one_positive_equals_categorical_crossentropy():
    rng = np.random.default_rng(0)
    y = np.eye(7, dtype="float32")[rng.integers(0, 7, size=16)]
    f = (3 * rng.standard_normal((16, 7))).astype("float32")
    expected = keras.losses.categorical_crossentropy(y, f, from_logits=True)
    np.testing.assert_allclose(to_numpy(multilabel_softmax_loss(y, f)), to_numpy(expected),
                               rtol=1e-5)
