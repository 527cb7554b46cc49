"""DREL's triplet hinge (He et al. 2015, eq. 3): the pairwise hinge averaged over triplets."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.sorting import weighted_violations
from mlrank_keras.validation import margin_argument


@register
@per_sample
def triplet_hinge_loss(y_true, y_pred, margin=1.0):
    """``mean_{u in P, v in N} max(0, margin - s_u + s_v)`` per sample.

    He et al. average ``max(0, m + s(image, irrelevant) - s(image, relevant))`` over the
    triplets (image, relevant tag, irrelevant tag); per image that is the pairwise hinge
    divided by ``|P| |N|`` (exact, ``O(L log L)``). A row with no positive or no negative
    gives 0; unknown labels (-1) take no part.

    Example:
    >>> float(triplet_hinge_loss([[1.0, 0.0, 0.0]], [[0.5, 1.0, -2.0]])[0])  # (1.5 + 0) / 2
    0.75
    """
    margin = margin_argument(margin)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    pairs = ops.sum(pos, axis=-1) * ops.sum(neg, axis=-1)
    hinges = weighted_violations(scores, pos, neg, margin, ops.ones_like)  # the pairwise sum
    return hinges / ops.maximum(pairs, 1.0)


@register
class TripletHingeLoss(MultilabelLoss):
    """DREL's triplet hinge, averaged over (image, relevant, irrelevant) triplets.

    See :func:`triplet_hinge_loss`.

    Args:
        margin: the margin ``m`` (1 in the paper). Defaults to 1.0.
        reduction, name, dtype: as for any ``keras.losses.Loss``.

    Example:
    >>> float(TripletHingeLoss()([[1.0, 0.0]], [[0.0, 0.0]]))
    1.0
    """

    def __init__(
        self, margin=1.0, reduction="sum_over_batch_size", name="triplet_hinge_loss", dtype=None
    ):
        super().__init__(
            triplet_hinge_loss,
            name=name,
            reduction=reduction,
            dtype=dtype,
            margin=margin_argument(margin),
        )
