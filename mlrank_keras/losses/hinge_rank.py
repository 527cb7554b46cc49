"""The transformation paper's hinge rank loss on label-vector norms (section 3.3, eq. 3)."""

import keras
from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked, rankable
from mlrank_keras.losses.seeds import step_seed
from mlrank_keras.validation import margin_argument, optional_positive_int, seed_argument


def _num_negatives_argument(num_negatives):
    return optional_positive_int(num_negatives, "num_negatives", "all negatives")


@register
@per_sample
def hinge_rank_loss(y_true, y_pred, num_negatives=40, margin=1.0, seed=None):
    """``sum_j max(0, m + mean_i d(p_i) - d(n_j))`` per sample, on scores ``f = -d``.

    The transformation paper scores a label by ``f = -||A w||`` (see
    :class:`mlrank_keras.layers.LabelTransform`); in those terms the loss is
    ``sum_j max(0, m - mean_{u in P} f_u + f_{n_j})``: every sampled negative must score
    ``m`` below the positives' mean. The negatives ``n_j`` are ``num_negatives`` (40 in the
    paper) drawn uniformly without replacement from the row's negatives (all of them when it
    has fewer, or with ``num_negatives=None``). A row with no positive or no negative gives 0;
    unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores, higher meaning more relevant (``-||A w||`` in the paper).
        num_negatives: negatives sampled per row, or None for all.
        margin: the margin ``m >= 0``.
        seed: for sampling: None, an int or a ``keras.random.SeedGenerator``.

    Example:
    >>> float(hinge_rank_loss([[1.0, 1.0, 0.0]], [[-1.0, -3.0, -2.5]], num_negatives=None)[0])
    0.5
    """
    num_negatives = _num_negatives_argument(num_negatives)
    margin = margin_argument(margin)
    seed = seed_argument(seed)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    mean_pos = ops.sum(masked(scores, pos), axis=-1, keepdims=True) / ops.maximum(
        ops.sum(pos, axis=-1, keepdims=True), 1.0
    )
    hinges = ops.relu(margin - mean_pos + scores)
    chosen = neg
    num_labels = scores.shape[-1]
    if num_negatives is not None and (num_labels is None or num_negatives < num_labels):
        # A uniformly random subset of the negatives: the num_negatives largest random keys.
        keys = keras.random.uniform(ops.shape(scores), seed=step_seed(seed, scores))
        keys = ops.where(neg > 0, keys, -ops.ones_like(keys))
        candidates = keys
        if num_labels is None:  # top_k needs num_negatives columns: pad with -2 keys
            widths = [(0, 0)] * (len(keys.shape) - 1) + [(0, num_negatives)]
            candidates = ops.pad(keys, widths, constant_values=-2.0)
        top = ops.top_k(candidates, num_negatives, sorted=False)[0]
        cutoff = ops.min(top, axis=-1, keepdims=True)
        chosen = ops.cast(ops.logical_and(neg > 0, keys >= cutoff), scores.dtype)
    loss = ops.sum(masked(hinges, chosen), axis=-1)
    return ops.where(rankable(pos, neg), loss, ops.zeros_like(loss))


@register
class HingeRankLoss(MultilabelLoss):
    """The transformation paper's hinge rank loss with sampled negatives (eq. 3).

    See :func:`hinge_rank_loss`.

    Args:
        num_negatives: negatives sampled per row (40 in the paper), or None for all.
        margin: the margin. Defaults to 1.
        seed: None or an int (saved in the config).
        reduction, name, dtype: as for any ``keras.losses.Loss``.

    Example:
    >>> float(HingeRankLoss(num_negatives=None)([[1.0, 0.0]], [[-1.0, -1.5]]))
    0.5
    """

    def __init__(
        self,
        num_negatives=40,
        margin=1.0,
        seed=None,
        reduction="sum_over_batch_size",
        name="hinge_rank_loss",
        dtype=None,
    ):
        super().__init__(
            hinge_rank_loss,
            name=name,
            reduction=reduction,
            dtype=dtype,
            num_negatives=_num_negatives_argument(num_negatives),
            margin=margin_argument(margin),
            seed=seed,
        )
