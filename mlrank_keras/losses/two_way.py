"""The two-way multilabel loss (Kobayashi, CVPR 2023, eqs. 6-8): a sample-wise and a
label-wise relative comparison of positives with negatives."""

import math

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked_logsumexp


def _temperature(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={value!r}")
    return float(value)


def _two_way_terms(scores, pos, neg, temperature_pos, temperature_neg):
    """``softplus(T- LSE_{v in N}(f_v / T-) + T+ LSE_{u in P}(-f_u / T+))`` over the last
    axis, and whether each line has a positive. A line with no negative gives 0 (the limit),
    one with no positive 0 too."""
    lse_neg, has_neg = masked_logsumexp(scores / temperature_neg, neg)
    lse_pos, has_pos = masked_logsumexp(-scores / temperature_pos, pos)
    value = ops.softplus(temperature_neg * lse_neg + temperature_pos * lse_pos)
    both = ops.logical_and(has_pos, has_neg)
    return ops.where(both, value, ops.zeros_like(value)), has_pos


@register
@per_sample
def two_way_loss(y_true, y_pred, temperature_pos=4.0, temperature_neg=1.0):
    """The sample-wise term of each row plus the batch's label-wise term, per sample.

    Each term is ``softplus(T- log sum_{v in N} e^{f_v / T-} + T+ log sum_{u in P}
    e^{-f_u / T+})``: a soft version of "the hardest negative below the hardest positive",
    taken across the labels of one image (sample-wise) and across the images of the batch
    for one label (label-wise). The paper's loss is the mean of the sample-wise terms plus
    the mean of the label-wise terms over the labels with a positive in the batch; this
    returns, for each row, its sample-wise term plus that label-wise mean, so the mean
    over the batch (Keras's default reduction) is the paper's loss. Two differences, both
    documented limits: a row with no positive gives a sample-wise 0 and still counts in the
    mean (the paper leaves it out of the mean: the same wherever every image has a label);
    a row or label with positives but no negative gives 0 (the paper's ``-100`` mask gives
    about ``e^-100``).

    **The label-wise term depends on the batch**: every value changes with the other rows
    passed in; all leading axes together are the batch, and under a distribution strategy
    the batch is each replica's. Unknown labels (-1) take no part. A NaN or ``+inf``
    score on a known label makes every row NaN, since every row shares the label-wise term.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.
        temperature_pos: ``T+``, the positives' temperature (the paper's ``T_p``).
        temperature_neg: ``T-``, the negatives' temperature (``T_n``).

    Returns:
        The per-sample values, shape ``y_pred.shape[:-1]``.

    Example:
    >>> # softplus(0) sample-wise; no label has a positive and a negative in a batch of one
    >>> round(float(two_way_loss([[1.0, 0.0]], [[0.0, 0.0]])[0]), 4)
    0.6931
    """
    temperature_pos = _temperature(temperature_pos, "temperature_pos")
    temperature_neg = _temperature(temperature_neg, "temperature_neg")
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    sample, _ = _two_way_terms(scores, pos, neg, temperature_pos, temperature_neg)
    label, label_has_pos = _two_way_terms(
        ops.transpose(scores), ops.transpose(pos), ops.transpose(neg),
        temperature_pos, temperature_neg,
    )
    counted = ops.cast(label_has_pos, label.dtype)
    label_mean = ops.sum(label) / ops.maximum(ops.sum(counted), 1.0)
    bad = ops.logical_or(ops.isnan(scores), scores == float("inf"))
    any_bad = ops.any(ops.logical_and(bad, (pos + neg) > 0))
    label_mean = ops.where(any_bad, ops.full_like(label_mean, float("nan")), label_mean)
    return sample + label_mean


@register
class TwoWayLoss(MultilabelLoss):
    """Kobayashi 2023's two-way multilabel loss: sample-wise plus label-wise terms.

    Args:
        temperature_pos: the positives' temperature ``T_p``. Defaults to 4.
        temperature_neg: the negatives' temperature ``T_n``. Defaults to 1.
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``
            (with it, the value is the paper's loss).
        name: the loss name. Defaults to ``"two_way_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    The defaults are the paper's (``T_p = 4, T_n = 1``). The label-wise term is over the
    batch passed in (per replica under a distribution strategy), so the loss takes no
    ``sample_weight``: a zero-weighted row would still take part in it. See
    `two_way_loss`.

    Example:
    >>> loss = TwoWayLoss()
    >>> round(float(loss([[1.0, 0.0], [0.0, 1.0]], [[2.0, -2.0], [-2.0, 2.0]])), 4)
    0.0363
    """

    def __init__(self, temperature_pos=4.0, temperature_neg=1.0,
                 reduction="sum_over_batch_size", name="two_way_loss", dtype=None):
        super().__init__(two_way_loss, name=name, reduction=reduction, dtype=dtype,
                         temperature_pos=_temperature(temperature_pos, "temperature_pos"),
                         temperature_neg=_temperature(temperature_neg, "temperature_neg"))

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                "TwoWayLoss takes no `sample_weight`: its label-wise term is over the whole "
                "batch, where a zero-weighted row would still take part. Leave the rows out "
                "of the batch instead (or use another loss, e.g. LSEPLoss)."
            )
        return super().__call__(y_true, y_pred)
