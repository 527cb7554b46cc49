"""ASL and ZLPR beyond the shared battery: the detached focusing weights' gradient, the
papers' hand-worked values, and ZLPR's decision at 0."""

import math

import keras
import numpy as np
import pytest

from mlrank_keras import decisions, losses
from tests.helpers import to_numpy, value_and_gradient


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("clip", [0.0, 0.05])
def test_detached_focusing_weights_are_constants_for_the_gradient(clip):
    """The authors' script (disable_torch_grad_focal_loss=True): d/df of w * CE with w fixed."""
    y = np.array([[1, 0, 0, 1, 0, -1]], "float32")
    f = np.array([[0.3, -0.2, 1.5, -1.0, -4.0, 2.0]], "float32")
    gp, gn = 1.0, 4.0
    _, grad = value_and_gradient(
        lambda x: keras.ops.sum(losses.asymmetric_loss(y, x, gamma_pos=gp, gamma_neg=gn,
                                                       clip=clip)), f)
    p = _sigmoid(f.astype("float64"))
    expected = np.zeros_like(p)
    pos, neg = y == 1, y == 0
    # Positive: -(1 - p)^g+ log p, weight fixed: -(1 - p)^g+ (1 - p).
    expected[pos] = -((1 - p[pos]) ** gp) * (1 - p[pos])
    # Negative: -p_m^g- log(1 - p_m), weight fixed: p_m^g- p (1 - p) / (1 - p_m).
    p_m = np.maximum(p[neg] - clip, 0.0)
    expected[neg] = np.where(p[neg] > clip, p_m**gn * p[neg] * (1 - p[neg]) / (1 - p_m), 0.0)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)
    # Differentiated weights give another gradient (the battery checks it against
    # finite differences).
    _, full = value_and_gradient(
        lambda x: keras.ops.sum(losses.asymmetric_loss(y, x, gamma_pos=gp, gamma_neg=gn,
                                                       clip=clip, detach_focusing=False)), f)
    assert not np.allclose(full, grad)


def test_asl_hand_worked_and_its_limits():
    # gamma 0, no clip: binary cross-entropy summed over the labels.
    y, f = [[1.0, 0.0]], [[0.0, 0.0]]
    plain = losses.asymmetric_loss(y, f, gamma_pos=0.0, gamma_neg=0.0, clip=0.0)
    assert float(to_numpy(plain)[0]) == pytest.approx(2 * math.log(2), rel=1e-6)
    # A negative with p <= clip gives nothing: sigmoid(-3) = 0.047 < 0.05.
    assert float(to_numpy(losses.asymmetric_loss([[0.0]], [[-3.0]]))[0]) == 0.0
    # A row with no positive still counts (pointwise), unlike the ranking losses.
    assert float(to_numpy(losses.asymmetric_loss([[0.0, 0.0]], [[1.0, 2.0]]))[0]) > 0.0
    for bad, message in ((dict(gamma_neg=-1.0), "gamma_neg=-1.0"), (dict(clip=1.0), "clip=1.0"),
                         (dict(gamma_pos=float("inf")), "gamma_pos=inf"),
                         (dict(detach_focusing="yes"), "detach_focusing")):
        with pytest.raises(ValueError, match=message):
            losses.AsymmetricLoss(**bad)


def test_zlpr_decides_at_zero():
    """ZLPR's loss is 0 in the limit where positives score above 0 and negatives below:
    its decision is the sign, `decide(scores, threshold=0.0)`."""
    y = np.array([[1, 0, 1, 0]], "float32")
    near = np.array([[0.1, -0.1, 0.2, -0.3]], "float32")
    far = 100.0 * near
    assert float(losses.MultilabelCategoricalCrossentropy()(y, far)) < 1e-4
    assert float(losses.MultilabelCategoricalCrossentropy()(y, near)) > 1.0
    decided = to_numpy(decisions.decide(near, threshold=losses.zlpr.DECISION_THRESHOLD))
    np.testing.assert_array_equal(decided, y > 0)
    # Only positives or only negatives: one term each; neither: 0.
    values = to_numpy(losses.multilabel_categorical_crossentropy(
        [[1, 1], [0, 0], [-1, -1]], [[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]]))
    np.testing.assert_allclose(values, [math.log(3), math.log(3), 0.0], rtol=1e-6)
