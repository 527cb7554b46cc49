"""Pairwise ranking hinge loss (Gong et al. 2014, section 3.2.2)."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.sorting import weighted_violations
from mlrank_keras.validation import margin_argument


@register
@per_sample
def pairwise_hinge_loss(y_true, y_pred, margin=1.0):
    """``sum_{u in P} sum_{v in N} max(0, margin - f_u + f_v)`` per sample.

    Exact, with no ``L x L`` tensor: one ``top_k`` per row and cumulative counts
    (``O(L log L)`` time, ``O(L)`` memory per row), or, where every row of the batch has
    few positives, each positive against every label (``O(few L)``, no sort; see
    `mlrank_keras.losses.sorting.FEW_POSITIVES`; on JAX, rows of up to a few thousand
    positives sort only those, see ``COUNTED_POSITIVES``). A row with no positive or no negative
    label gives 0 and zero gradients; unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.
        margin: the hinge margin, a number ``>= 0``. Defaults to 1.

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> float(pairwise_hinge_loss([[1.0, 0.0, 0.0]], [[0.5, 1.0, -2.0]])[0])  # 1.5 + 0
    1.5
    """
    margin = margin_argument(margin)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    return weighted_violations(scores, pos, neg, margin, ops.ones_like)


@register
class PairwiseHingeLoss(MultilabelLoss):
    """Gong et al. 2014's pairwise ranking loss (section 3.2.2).

    ``sum_{u in P} sum_{v in N} max(0, margin - f_u + f_v)`` per sample, exact and
    ``O(L log L)``. See `pairwise_hinge_loss`.

    Args:
        margin: the hinge margin, a number ``>= 0``. Defaults to 1.
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"pairwise_hinge_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> loss = PairwiseHingeLoss(margin=1.0)
    >>> float(loss([[1.0, 0.0, -1.0]], [[0.0, 0.5, 9.0]]))  # the -1 label is ignored
    1.5
    """

    def __init__(self, margin=1.0, reduction="sum_over_batch_size",
                 name="pairwise_hinge_loss", dtype=None):
        super().__init__(pairwise_hinge_loss, name=name, reduction=reduction, dtype=dtype,
                         margin=margin_argument(margin))
