"""LSEP: log-sum-exp pairwise loss (Li, Song and Luo 2017, eqs. 7 and 9)."""

import keras
from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import mask_to_float, prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import (
    cond,
    masked_logsumexp,
    num_labels_of,
    rankable,
    searchsorted_counts,
    take_rows,
)
from mlrank_keras.losses.seeds import step_seed
from mlrank_keras.losses.sorting import by_positive_count
from mlrank_keras.validation import optional_positive_int, seed_argument


def _num_pairs_argument(num_pairs):
    return optional_positive_int(num_pairs, "num_pairs", "all pairs, exactly")


def _sampled_pairs_logsumexp(scores, pos, neg, num_pairs, seed):
    """``log sum exp(f_v - f_u)`` over ``num_pairs`` pairs drawn uniformly from P x N.

    Pair ``i`` takes the ``k``-th positive and the ``k'``-th negative in label order,
    ``k = floor(draw * |P|)`` for a uniform draw. Where every row of the batch has few labels
    that are not negative (positives and unknowns, see `few_positive_tiers`), those labels
    are listed (`_listed_labels`); otherwise each member is found by a search of the row's
    cumulative count (`_searched_labels`, which takes ``|P|`` from the cumulative count: on
    JAX a separate sum made XLA's step 1.5x BCE's slower). Same draws, same labels.
    """
    shape = tuple(ops.shape(scores)[:-1]) + (2 * num_pairs,)
    uniform = keras.random.uniform(shape, seed=seed, dtype=scores.dtype)
    draws = (uniform[..., :num_pairs], uniform[..., num_pairs:])
    num_neg = ops.sum(neg, axis=-1, keepdims=True)
    pos_label, neg_label = by_positive_count(
        scores,
        None,
        lambda few: _listed_labels(pos, neg, num_neg, *draws, few),
        lambda: _searched_labels(pos, neg, *draws),
        counts=ops.cast(ops.shape(scores)[-1], scores.dtype) - num_neg,  # not negative
    )
    last = num_labels_of(scores) - 1
    diffs = take_rows(scores, ops.minimum(neg_label, last)) - take_rows(
        scores, ops.minimum(pos_label, last)
    )
    return ops.logsumexp(diffs, axis=-1)


def _kth(draw, count):
    """``k = floor(draw * count)``, uniform in ``[0, count)`` for a uniform draw; 0 in an
    empty row."""
    return ops.minimum(ops.floor(draw * count), ops.maximum(count - 1.0, 0.0))


def _searched_labels(pos, neg, draw_pos, draw_neg):
    """The ``k``-th member is where the row's cumulative count reaches ``k + 1`` (one flat
    search per mask)."""

    def pick(members, draw):
        cumulative = ops.cumsum(members, axis=-1)
        k = _kth(draw, cumulative[..., -1:])
        return searchsorted_counts(cumulative, k + 1.0)

    return pick(pos, draw_pos), pick(neg, draw_neg)


def _listed_labels(pos, neg, num_neg, draw_pos, draw_neg, few):
    """`_searched_labels` for rows with at most ``few`` labels that are not negative
    (``num_neg``: the rows' negative counts, ``(rows, 1)``).

    The positives are listed in label order (one ``top_k`` of ``few``, sorted), and the
    ``k``-th is read from the list. The negatives are every label but the listed
    non-negatives ``p_0 < p_1 < ...``: the ``k``-th negative is ``k + #{i: p_i - i <= k}``
    (each listed label at or below it moves it up by one). ``O(few)`` per draw instead of a
    cumulative count and a search over the row (PyTorch's CPU search over 32 x 10,000
    counts costs more than the rest of the loss).
    """
    width = ops.shape(pos)[-1]

    def listed(mask):  # the labels of `mask`, ascending; 2 * width in empty slots
        value, index = ops.top_k(mask, k=few, sorted=False)
        index = ops.where(value > 0, ops.cast(index, "int32"), 2 * width)
        return ops.sort(index, axis=-1)

    k_pos = _kth(draw_pos, ops.sum(pos, axis=-1, keepdims=True))
    pos_label = take_rows(listed(pos), ops.cast(k_pos, "int32"))
    shifted = listed(1.0 - neg) - ops.arange(few, dtype="int32")  # p_i - i
    k_neg = ops.cast(_kth(draw_neg, num_neg), "int32")
    below = ops.sum(
        mask_to_float(shifted[..., None, :] <= k_neg[..., :, None], "float32"), axis=-1
    )
    return pos_label, k_neg + ops.cast(below, "int32")


@register
@per_sample
def lsep_loss(y_true, y_pred, num_pairs=None, seed=None):
    """``log(1 + sum_{(u, v)} exp(f_v - f_u))`` per sample, over positive-negative pairs.

    With ``num_pairs=None`` the sum runs over all of ``P x N``, exactly and without an
    ``L x L`` tensor: it factors as ``exp(LSE_{v in N} f_v + LSE_{u in P} (-f_u))``, so the
    loss is ``softplus`` of a sum of two masked log-sum-exps (``O(L)`` per row, stable for
    any score scale). With an integer ``t``, a row with ``|P| * |N| <= t`` still uses all its
    pairs; a larger row uses ``t`` pairs drawn uniformly (with replacement) from ``P x N``,
    as the paper's negative sampling (eq. 9, ``t = 1000`` there). A row with no positive or
    no negative label gives 0 and zero gradients; unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.
        num_pairs: None for all pairs, or the most pairs to sample per row.
        seed: for sampling: None, an int or a ``keras.random.SeedGenerator``.

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> round(float(lsep_loss([[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]])[0]), 4)  # log 3
    1.0986
    """
    num_pairs = _num_pairs_argument(num_pairs)
    seed = seed_argument(seed)
    scores, pos, neg = prepare_inputs(y_true, y_pred)

    def exact():
        return masked_logsumexp(scores, neg)[0] + masked_logsumexp(-scores, pos)[0]

    if num_pairs is None:
        pairs_lse = exact()
    else:
        num_all = ops.sum(pos, axis=-1) * ops.sum(neg, axis=-1)
        small = num_all <= num_pairs
        # The key is drawn outside `cond`: a SeedGenerator advanced inside a traced branch
        # would keep a tracer in its state on JAX (UnexpectedTracerError on the next call).
        seed = step_seed(seed, scores)

        def sampled():
            return _sampled_pairs_logsumexp(scores, pos, neg, num_pairs, seed)

        def mixed():
            return ops.where(small, exact(), sampled())

        # Only what the batch needs: the exact sums where every row has at most `num_pairs`
        # pairs, the samples where none has, both for a batch of both.
        pairs_lse = cond(
            ops.all(small), exact, lambda: cond(ops.any(small), mixed, sampled)
        )
    valid = rankable(pos, neg)
    pairs_lse = ops.where(valid, pairs_lse, ops.zeros_like(pairs_lse))
    return ops.where(valid, ops.softplus(pairs_lse), ops.zeros_like(pairs_lse))


@register
class LSEPLoss(MultilabelLoss):
    """Li et al. 2017's log-sum-exp pairwise loss (eq. 7; eq. 9 with sampling).

    Args:
        num_pairs: None (default) for all positive-negative pairs, computed exactly in
            ``O(L)`` per row; an int ``t`` for the paper's sampling of at most ``t`` pairs.
        seed: an int seed for the pair sampling. Defaults to None (a random seed).
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"lsep_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> loss = LSEPLoss()
    >>> round(float(loss([[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]])), 4)
    1.0986
    """

    def __init__(self, num_pairs=None, seed=None, reduction="sum_over_batch_size",
                 name="lsep_loss", dtype=None):
        super().__init__(lsep_loss, name=name, reduction=reduction, dtype=dtype,
                         num_pairs=_num_pairs_argument(num_pairs), seed=seed)
