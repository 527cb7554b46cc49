"""BP-MLL loss (Zhang and Zhou 2006; Li et al. 2017, eq. 12)."""

import math

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked_logsumexp, rankable

# Above this exponent the loss continues linearly, so values and gradients stay finite
# (exp(88.7) already overflows float32). Real training never gets near it.
EXPONENT_CAP = 50.0


@register
@per_sample
def bpmll_loss(y_true, y_pred):
    """``1 / (|P| |N|) * sum_{u in P, v in N} exp(f_v - f_u)`` per sample.

    Normalised by ``|P| * |N|`` as in the original BP-MLL (Li et al. print it without).
    Exact in ``O(L)`` per row: the pair sum factors as
    ``exp(LSE_{v in N} f_v + LSE_{u in P} (-f_u))``. Where that exponent ``z`` (after the
    normalisation) exceeds 50, the loss continues as ``e^50 (1 + z - 50)``, so scores like
    ``1e4`` give finite values and gradients. A row with no positive or no negative label
    gives 0 and zero gradients; unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> float(bpmll_loss([[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]])[0])
    1.0
    """
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    lse_neg, _ = masked_logsumexp(scores, neg)
    lse_pos, _ = masked_logsumexp(-scores, pos)
    num_pairs = ops.sum(pos, axis=-1) * ops.sum(neg, axis=-1)
    valid = rankable(pos, neg)
    z = lse_neg + lse_pos - ops.log(ops.maximum(num_pairs, 1.0))
    z = ops.where(valid, z, ops.zeros_like(z))
    cap = EXPONENT_CAP
    value = ops.where(
        z <= cap, ops.exp(ops.minimum(z, cap)), math.exp(cap) * (1.0 + z - cap)
    )
    return ops.where(valid, value, ops.zeros_like(value))


@register
class BPMLLLoss(MultilabelLoss):
    """The BP-MLL loss, normalised by ``|P| * |N|`` (Zhang and Zhou 2006).

    Args:
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"bpmll_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> float(BPMLLLoss()([[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]))
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="bpmll_loss", dtype=None):
        super().__init__(bpmll_loss, name=name, reduction=reduction, dtype=dtype)
