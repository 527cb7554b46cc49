"""The asymmetric loss (ASL: Ridnik, Ben-Baruch, Zamir et al., ICCV 2021, eqs. 2-6)."""

import math

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked


def _asl_arguments(gamma_pos, gamma_neg, clip):
    for name, value in (("gamma_pos", gamma_pos), ("gamma_neg", gamma_neg)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value >= 0
        ):
            raise ValueError(f"`{name}` must be a finite number >= 0. Received: {name}={value!r}")
    if isinstance(clip, bool) or not isinstance(clip, (int, float)) or not 0 <= clip < 1:
        raise ValueError(f"`clip` must be a number in [0, 1). Received: clip={clip!r}")
    return float(gamma_pos), float(gamma_neg), float(clip)


def _weight(value, detach):
    return ops.stop_gradient(value) if detach else value


@register
@per_sample
def asymmetric_loss(y_true, y_pred, gamma_pos=0.0, gamma_neg=4.0, clip=0.05,
                    detach_focusing=True):
    """``-sum_{j in P} (1 - p_j)^g+ log p_j - sum_{j in N} p_mj^g- log(1 - p_mj)`` per sample.

    ``p = sigmoid(f)`` and ``p_m = max(p - clip, 0)`` is the shifted probability of a
    negative label (eq. 5): a negative with ``p <= clip`` gives nothing, and the focusing
    power ``g- = gamma_neg`` down-weights the easy negatives (eq. 6). The sum runs over the
    labels, as in the authors' code; Keras averages it over the batch. Computed from logits
    (``log p = -softplus(-f)``, ``(1 - p)^g = exp(-g softplus(f))``), so scores of ``1e4``
    give exact, finite values: the authors clamp ``log`` at ``log 1e-8``, which gives
    confidently wrong labels a constant loss and no gradient; here they keep theirs.
    Pointwise: a row with no positive still has its negatives' loss. Unknown labels (-1)
    take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.
        gamma_pos: the positives' focusing power ``g+`` (0: plain log-likelihood).
        gamma_neg: the negatives' focusing power ``g-``.
        clip: the probability margin ``m`` of eq. 5, in ``[0, 1)`` (0: no shifting).
        detach_focusing: True (the authors' training script,
            ``disable_torch_grad_focal_loss=True``) treats the focusing weights
            ``(1 - p)^g+`` and ``p_m^g-`` as constants for the gradient; False
            differentiates them too (the loss as eq. 6 writes it).

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> round(float(asymmetric_loss([[1.0, 0.0]], [[0.0, 0.0]], clip=0.0)[0]), 4)
    0.7365
    """
    gamma_pos, gamma_neg, clip = _asl_arguments(gamma_pos, gamma_neg, clip)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    # Each side sees its own labels' scores only (0 elsewhere): a score of -inf on a label
    # of the other side would give 0 * inf = NaN in the gradient of the unused side.
    pos_scores = ops.where(pos > 0, scores, ops.zeros_like(scores))
    log_p = -ops.softplus(-pos_scores)
    positive = log_p
    if gamma_pos > 0:
        weight = ops.exp(-gamma_pos * ops.softplus(pos_scores))
        positive = _weight(weight, detach_focusing) * log_p
    scores = ops.where(neg > 0, scores, ops.zeros_like(scores))
    if clip > 0:
        p = ops.sigmoid(scores)
        shifted = p > clip
        # log(1 - p_m) = log(min(1 - p + clip, 1)); 1 - p = sigmoid(-f) keeps its precision.
        log_keep = ops.where(
            shifted, ops.log(ops.minimum(ops.sigmoid(-scores) + clip, 1.0)), ops.zeros_like(p)
        )
        p_m = ops.where(shifted, p - clip, ops.ones_like(p))  # 1: a safe base where unused
        focus = ops.where(shifted, ops.power(p_m, gamma_neg), ops.zeros_like(p))
    else:
        log_keep = -ops.softplus(scores)  # log(1 - p)
        focus = ops.exp(-gamma_neg * ops.softplus(-scores))  # p^g-
    negative = log_keep if gamma_neg == 0 else _weight(focus, detach_focusing) * log_keep
    return -ops.sum(masked(positive, pos) + masked(negative, neg), axis=-1)


@register
class AsymmetricLoss(MultilabelLoss):
    """Ridnik et al. 2021's asymmetric loss (ASL), eq. 6, from logits.

    Args:
        gamma_pos: the positives' focusing power. Defaults to 0.
        gamma_neg: the negatives' focusing power. Defaults to 4.
        clip: the negatives' probability margin (eq. 5). Defaults to 0.05.
        detach_focusing: the focusing weights are constants for the gradient, as in the
            authors' training script. Defaults to True.
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"asymmetric_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    The defaults are the paper's (``gamma_neg=4, gamma_pos=0, clip=0.05``, section 4.1). See
    `asymmetric_loss`.

    Example:
    >>> loss = AsymmetricLoss()
    >>> round(float(loss([[1.0, 0.0]], [[2.0, -2.0]])), 4)
    0.1269
    """

    def __init__(self, gamma_pos=0.0, gamma_neg=4.0, clip=0.05, detach_focusing=True,
                 reduction="sum_over_batch_size", name="asymmetric_loss", dtype=None):
        gamma_pos, gamma_neg, clip = _asl_arguments(gamma_pos, gamma_neg, clip)
        if not isinstance(detach_focusing, bool):
            raise ValueError(
                f"`detach_focusing` must be True or False. Received: {detach_focusing!r}"
            )
        super().__init__(asymmetric_loss, name=name, reduction=reduction, dtype=dtype,
                         gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip,
                         detach_focusing=detach_focusing)
