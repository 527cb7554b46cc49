"""BP-MLL: normalisation by |P||N| and the linear continuation above exponent 50."""

import math

import keras
import numpy as np

from mlrank_keras.losses import bpmll_loss
from mlrank_keras.losses.bpmll import EXPONENT_CAP
from tests.helpers import to_numpy, value_and_gradient


def test_hand_worked_normalisation():
    # Pairs (0, 1) and (0, 2): exp(ln 2 - 0) + exp(0 - 0) = 3, divided by |P||N| = 2.
    np.testing.assert_allclose(to_numpy(bpmll_loss([[1, 0, 0]], [[0.0, np.log(2.0), 0.0]])),
                               [1.5], rtol=1e-6)


def test_exact_below_the_cap_and_linear_above():
    y = np.array([[1, 0]], dtype="float32")
    below = to_numpy(bpmll_loss(y, [[0.0, 40.0]]))
    np.testing.assert_allclose(below, [math.exp(40.0)], rtol=1e-5)
    value, grad = value_and_gradient(
        lambda x: keras.ops.sum(bpmll_loss(y, x)), np.array([[0.0, 60.0]], dtype="float32")
    )
    cap = EXPONENT_CAP
    assert cap == 50.0
    np.testing.assert_allclose(value, math.exp(cap) * (1.0 + 60.0 - cap), rtol=1e-5)
    np.testing.assert_allclose(grad, [[-math.exp(cap), math.exp(cap)]], rtol=1e-5)
