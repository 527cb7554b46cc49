"""Multilabel softmax loss (Gong et al. 2014, section 3.2.1, after TagProp)."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import center_scores, masked, masked_logsumexp, rankable


@register
@per_sample
def multilabel_softmax_loss(y_true, y_pred):
    """Cross-entropy of ``softmax(f)`` against the target ``q = y / sum(y)``.

    Per sample, ``-sum_j q_j log p_j`` with ``p = softmax(f)`` taken over the known labels
    (unknown labels, marked -1, are left out of the normalisation as well as the target).
    Computed from logits as ``logsumexp(f) - mean_{u in P} f_u``, never as ``log(softmax)``.
    A row with no positive or no negative label gives 0 and zero gradients.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> float(multilabel_softmax_loss([[1.0, 0.0]], [[0.0, 0.0]])[0])  # log 2
    0.6931...
    """
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    scores = center_scores(scores, pos, neg)  # keeps lse - mean exact at large scores
    lse, _ = masked_logsumexp(scores, pos + neg)
    num_pos = ops.sum(pos, axis=-1)
    valid = rankable(pos, neg)
    mean_pos = ops.sum(masked(scores, pos), axis=-1) / ops.maximum(num_pos, 1.0)
    return ops.where(valid, lse - mean_pos, ops.zeros_like(lse))


@register
class MultilabelSoftmaxLoss(MultilabelLoss):
    """Gong et al. 2014's multilabel softmax loss (section 3.2.1).

    ``p = softmax(f)``, target ``q = y / sum(y)``, loss ``-sum_j q_j log p_j`` per sample,
    computed from log-softmax. See `multilabel_softmax_loss` for the label convention.

    Args:
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"multilabel_softmax_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> loss = MultilabelSoftmaxLoss()
    >>> round(float(loss([[1.0, 1.0, 0.0]], [[2.0, 2.0, 0.0]])), 4)
    0.7586
    """

    def __init__(self, reduction="sum_over_batch_size", name="multilabel_softmax_loss",
                 dtype=None):
        super().__init__(multilabel_softmax_loss, name=name, reduction=reduction, dtype=dtype)
