"""Losses of Li et al.'s label decision heads (section 3.3): label count and thresholds."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import compute_dtype, label_masks, prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked, num_labels_of, take_rows


@register
@per_sample(scores_per_label=False)
def label_count_loss(y_true, y_pred, from_logits=False):
    """Cross-entropy of the predicted label count (Li's label-count estimation).

    ``y_true`` is the ``(batch, L)`` multi-hot; ``y_pred`` the ``(batch, n)`` distribution
    over counts ``1..n``. The target is the image's number of positive labels, capped to
    ``[1, n]`` (counts above ``n`` become ``n``, as in the paper; an image with none counts
    as 1).

    Example:
    >>> round(float(label_count_loss([[1.0, 1.0, 0.0]], [[0.25, 0.5, 0.25]])[0]), 4)  # -log .5
    0.6931
    """
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    y_pred = ops.cast(y_pred, dtype)
    max_count = ops.cast(num_labels_of(y_pred), dtype)  # a tensor where the width is unknown
    positive, _ = label_masks(ops.convert_to_tensor(y_true))
    count = ops.sum(ops.cast(positive, dtype), axis=-1)
    target = ops.cast(ops.minimum(ops.maximum(count, 1.0), max_count) - 1.0, "int32")
    log_probs = (
        ops.log_softmax(y_pred, axis=-1)
        if from_logits
        else ops.log(ops.clip(y_pred / ops.sum(y_pred, axis=-1, keepdims=True), 1e-7, 1.0))
    )
    return -take_rows(log_probs, target[..., None])[..., 0]


@register
class LabelCountLoss(MultilabelLoss):
    """Li's label-count loss: cross-entropy of ``min(max(|P|, 1), n)`` under the predicted
    count distribution. See :func:`label_count_loss`.

    Args:
        from_logits: whether the scores are logits (else probabilities). Defaults to False.
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"label_count_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> round(float(LabelCountLoss()([[0.0, 1.0]], [[0.5, 0.5]])), 4)
    0.6931
    """

    def __init__(
        self,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="label_count_loss",
        dtype=None,
    ):
        super().__init__(
            label_count_loss,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=bool(from_logits),
        )


@register
@per_sample
def threshold_estimation_loss(y_true, y_pred):
    """Binary cross-entropy of ``y`` against ``sigmoid(f - theta)`` (Li's threshold loss).

    ``y_pred`` is ``f - theta``: the ranker's scores minus the per-class thresholds the head
    estimates (the head model outputs that difference). The mean over the known labels of
    each image; unknown labels (-1) take no part. Computed from logits (stable for any
    scale).

    Example:
    >>> round(float(threshold_estimation_loss([[1.0, 0.0]], [[0.0, 0.0]])[0]), 4)  # log 2
    0.6931
    """
    logits, pos, neg = prepare_inputs(y_true, y_pred)
    # BCE from logits: softplus(z) - y z, written stably.
    bce = ops.relu(logits) - masked(logits, pos) + ops.log1p(ops.exp(-ops.abs(logits)))
    known = pos + neg
    return ops.sum(masked(bce, known), axis=-1) / ops.maximum(ops.sum(known, axis=-1), 1.0)


@register
class ThresholdEstimationLoss(MultilabelLoss):
    """Li's per-class threshold loss on ``f - theta``. See :func:`threshold_estimation_loss`.

    Example:
    >>> round(float(ThresholdEstimationLoss()([[0.0, 1.0]], [[0.0, 0.0]])), 4)
    0.6931
    """

    def __init__(
        self, reduction="sum_over_batch_size", name="threshold_estimation_loss", dtype=None
    ):
        super().__init__(threshold_estimation_loss, name=name, reduction=reduction, dtype=dtype)
