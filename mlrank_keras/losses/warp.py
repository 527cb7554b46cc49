"""WARP: weighted approximate-rank pairwise loss (Gong et al. 2014, section 3.2.3).

After Weston et al. (WSABIE, 2011). With ``L(r) = sum_{j=1..r} 1/j`` and, for a positive
label ``u``, its violators ``V_u = {v in N : margin - f_u + f_v > 0}``:

* ``rank_estimate="exact"``: ``r_u = |V_u|`` counted exactly and the loss for ``u`` is
  ``L(r_u) / r_u * sum_{v in V_u} (margin - f_u + f_v)`` (WSABIE's rank-weighted pairwise
  error; the weight is piecewise constant in the scores).
* ``rank_estimate="sampled"``: the paper's estimator. Negatives are drawn uniformly without
  replacement until the first violator ``v*``; after ``s`` draws ``r_u = floor((c - 1) / s)``
  with ``c`` the number of labels (the row's length), and the loss for ``u`` is
  ``L(r_u) * (margin - f_u + f_v*)``. The weight is a constant for the gradient; a positive
  with no violator gives no loss.

Both forms take one sort per row (``O(L log L)`` time, ``O(L)`` memory per row) and no
Python loop. The exact form sorts the scores (see `weighted_violations`). The sampled form
draws one uniformly random order of the row's negatives per call (a sort of random keys)
and lets every positive read its own first violator from it, the first draw whose running
maximum score passes ``f_u - margin`` (a binary search): each positive's draws follow the
paper's process exactly (a uniformly random order without replacement); positives of one
row share that order.
"""

import keras
from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import (
    harmonic_numbers,
    masked,
    num_labels_of,
    running_max,
    searchsorted_rows,
    take_rows,
)
from mlrank_keras.losses.seeds import step_seed
from mlrank_keras.losses.sorting import weighted_violations
from mlrank_keras.validation import margin_argument, seed_argument

RANK_ESTIMATES = ("exact", "sampled")


def _rank_estimate_argument(rank_estimate):
    if rank_estimate not in RANK_ESTIMATES:
        raise ValueError(
            f"`rank_estimate` must be one of {RANK_ESTIMATES}. "
            f"Received: rank_estimate={rank_estimate!r}"
        )
    return rank_estimate


def _sampled_warp(scores, pos, neg, margin, harmonic, seed):
    num_labels = num_labels_of(scores)
    # A uniformly random draw order of the row's negatives (they come first): 31-bit
    # random keys, so that ties between keys (which top_k breaks by index) are rare.
    draw_keys = keras.random.randint(
        ops.shape(scores), 0, 2**31 - 1, dtype="int32", seed=step_seed(seed, scores)
    )
    _, draw_order = ops.top_k(ops.where(neg > 0, draw_keys, -1), k=num_labels, sorted=True)
    drawn = take_rows(ops.where(neg > 0, scores, -float("inf")), draw_order)
    # Positive u's first violator is the first draw scoring above f_u - margin, that is the
    # first place where the running maximum of the drawn scores exceeds it.
    record = running_max(ops.stop_gradient(drawn))
    misses = searchsorted_rows(record, ops.stop_gradient(scores) - margin, side="right")
    found = pos * ops.cast(misses < num_labels, scores.dtype)
    misses = ops.minimum(misses, num_labels - 1)
    trials = ops.cast(misses, scores.dtype) + 1.0
    rank = ops.floor((ops.cast(num_labels, scores.dtype) - 1.0) / trials)
    weight = ops.stop_gradient(ops.take(harmonic, ops.cast(rank, "int32")))
    violator_score = take_rows(drawn, misses)
    violator_score = ops.where(found > 0, violator_score, 0.0)
    return ops.sum(masked(margin - scores + violator_score, found * weight), axis=-1)


@register
@per_sample
def warp_loss(y_true, y_pred, margin=1.0, rank_estimate="exact", seed=None):
    """WARP loss per sample, exact or with the paper's sampled rank estimate.

    See the module docstring for the formulas. Rows with no positive or no negative label
    give 0 and zero gradients; unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.
        margin: the hinge margin, a number ``>= 0``. Defaults to 1.
        rank_estimate: ``"exact"`` (count violators) or ``"sampled"`` (Gong's estimator
            ``floor((c - 1) / s)``). Defaults to ``"exact"``.
        seed: for ``"sampled"``: None, an int or a ``keras.random.SeedGenerator``. Inside a
            jitted JAX function pass a ``SeedGenerator`` (as `WARPLoss` does).

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> # The positive has 2 violators (0.5 and 1.0): L(2)/2 * (0.5 + 1.0) = 1.125
    >>> float(warp_loss([[1.0, 0.0, 0.0, 0.0]], [[1.0, 0.5, 1.0, -3.0]])[0])
    1.125
    """
    margin = margin_argument(margin)
    rank_estimate = _rank_estimate_argument(rank_estimate)
    seed = seed_argument(seed)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    harmonic = harmonic_numbers(num_labels_of(scores), scores.dtype)
    if rank_estimate == "exact":

        def rank_weight(rank):  # L(r) / r, and 0 for r = 0
            # ones_like: PyTorch's maximum with a Python float returns float32
            return ops.take(harmonic, ops.cast(rank, "int32")) / ops.maximum(
                rank, ops.ones_like(rank)
            )

        return weighted_violations(scores, pos, neg, margin, rank_weight)
    return _sampled_warp(scores, pos, neg, margin, harmonic, seed)


@register
class WARPLoss(MultilabelLoss):
    """Gong et al. 2014's WARP loss (section 3.2.3), exact or sampled.

    Args:
        margin: the hinge margin, a number ``>= 0``. Defaults to 1.
        rank_estimate: ``"exact"`` counts each positive's violating negatives;
            ``"sampled"`` is the paper's estimator from drawing negatives until the first
            violator. Defaults to ``"exact"``.
        seed: an int seed for ``"sampled"`` (random draws go through a
            ``keras.random.SeedGenerator``, so the same seed gives the same values).
            Defaults to None (a random seed).
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"warp_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> loss = WARPLoss(rank_estimate="exact")
    >>> float(loss([[1.0, 0.0, 0.0, 0.0]], [[1.0, 0.5, 1.0, -3.0]]))
    1.125
    """

    def __init__(self, margin=1.0, rank_estimate="exact", seed=None,
                 reduction="sum_over_batch_size", name="warp_loss", dtype=None):
        super().__init__(warp_loss, name=name, reduction=reduction, dtype=dtype,
                         margin=margin_argument(margin),
                         rank_estimate=_rank_estimate_argument(rank_estimate), seed=seed)
