"""Pairwise hinge: hand-worked values at ties, and the reference at 500 labels."""

import numpy as np

from mlrank_keras.losses import pairwise_hinge_loss
from tests.helpers import to_numpy
from tests.losses import references as ref


def test_hand_worked_with_ties():
    # max(0, 1 - 0.5 + 1) + max(0, 1 - 0.5 - 2) = 1.5; a tie 1 - 2 + 1 = 0 adds nothing;
    # with margin 0.5: max(0, 0.5 - 1 + 0.5) = 0 for the pair (1, 0.5).
    y = [[1, 0, 0], [1, 0, -1]]
    f = [[0.5, 1.0, -2.0], [2.0, 1.0, 0.0]]
    np.testing.assert_allclose(to_numpy(pairwise_hinge_loss(y, f)), [1.5, 0.0])
    np.testing.assert_allclose(
        to_numpy(pairwise_hinge_loss([[1, 0]], [[1.0, 0.5]], margin=0.5)), [0.0]
    )


def test_matches_reference_at_500_labels():
    rng = np.random.default_rng(0)
    y = (rng.random((2, 500)) < 0.1).astype("float32")
    f = rng.standard_normal((2, 500)).astype("float32")
    np.testing.assert_allclose(to_numpy(pairwise_hinge_loss(y, f)), ref.pairwise(y, f),
                               rtol=1e-5)
