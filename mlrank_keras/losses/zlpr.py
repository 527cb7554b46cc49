"""The multilabel categorical cross-entropy (ZLPR: Su et al. 2022, "Zero-bounded Log-sum-exp
& Pairwise Rank-based loss"): LSEP with a zero threshold score."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked_logsumexp

# The decision the loss implies: a label is on where its score is above 0.
DECISION_THRESHOLD = 0.0


def _softplus_of_lse(x, mask):
    """``log(1 + sum_{j: mask_j} exp(x_j))``: 0 for an empty mask."""
    lse, nonempty = masked_logsumexp(x, mask)
    return ops.where(nonempty, ops.softplus(lse), ops.zeros_like(lse))


@register
@per_sample
def multilabel_categorical_crossentropy(y_true, y_pred):
    """``log(1 + sum_{v in N} e^{f_v}) + log(1 + sum_{u in P} e^{-f_u})`` per sample.

    LSEP's pairs plus a fixed threshold label of score 0 that ranks below every positive
    and above every negative: the loss asks for ``f_u > 0 > f_v``, so a label is decided by
    its sign (:data:`DECISION_THRESHOLD`, ``annotation_report(..., threshold=0.0)``), with
    no label count or threshold to learn. ``O(L)`` per row through two masked
    log-sum-exps, stable at any scale. Unlike the ranking losses, a row with no positive
    (or no negative) still has the other term; a row with neither gives 0. Unknown labels
    (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> round(float(multilabel_categorical_crossentropy([[1.0, 0.0]], [[0.0, 0.0]])[0]), 4)
    1.3863
    """
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    return _softplus_of_lse(scores, neg) + _softplus_of_lse(-scores, pos)


@register
class MultilabelCategoricalCrossentropy(MultilabelLoss):
    """Su et al.'s multilabel categorical cross-entropy (ZLPR); decide labels at score 0.

    Args:
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"multilabel_categorical_crossentropy"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    See `multilabel_categorical_crossentropy`.

    Example:
    >>> loss = MultilabelCategoricalCrossentropy()
    >>> round(float(loss([[1.0, 1.0, 0.0]], [[2.0, 2.0, -2.0]])), 4)
    0.3665
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="multilabel_categorical_crossentropy", dtype=None):
        super().__init__(multilabel_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype)
