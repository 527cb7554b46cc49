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
Python loop. The sampled form draws one uniformly random order of the row's negatives per
call and lets every positive of the row read its own first violator from it: each
positive's draws follow the paper's process exactly (a uniformly random order without
replacement); positives of one row share that order.
"""

import keras
from keras import ops

from mlrank_keras.api import register
from mlrank_keras.losses.base import (
    MultilabelLoss,
    center_scores,
    draw_uniform,
    harmonic_numbers,
    margin_argument,
    prepare_inputs,
    seed_argument,
    sorted_violators,
)

RANK_ESTIMATES = ("exact", "sampled")


def _rank_estimate_argument(rank_estimate):
    if rank_estimate not in RANK_ESTIMATES:
        raise ValueError(
            f"`rank_estimate` must be one of {RANK_ESTIMATES}. "
            f"Received: rank_estimate={rank_estimate!r}"
        )
    return rank_estimate


def _exact_warp(scores, margin, stats, harmonic):
    rank = stats["num_violators"]
    hinge_sums = rank * (margin - stats["pos_score"]) + stats["violator_sum"]
    rank_weight = ops.take(harmonic, ops.cast(rank, "int32")) / ops.maximum(rank, 1.0)
    return ops.sum(stats["is_pos"] * rank_weight * hinge_sums, axis=-1)


def _sampled_warp(scores, neg, margin, stats, harmonic, seed):
    num_labels = ops.shape(scores)[-1]
    not_drawn = ops.cast(num_labels, scores.dtype)  # larger than any draw position
    # A uniformly random draw order of the row's negatives: negatives come first in
    # `draw_order`, and `draw_position` is each label's 0-based place in it.
    uniform = draw_uniform(ops.shape(scores), seed, scores)
    draw_order = ops.argsort(ops.where(neg > 0, uniform, 2.0), axis=-1)
    draw_position = ops.cast(ops.argsort(draw_order, axis=-1), scores.dtype)
    draw_position = ops.where(neg > 0, draw_position, not_drawn)
    # In the sorted layout a positive's violators are the negatives before its slot, so the
    # first violator drawn is a running minimum of the draw positions.
    layout = ops.concatenate([ops.full_like(scores, not_drawn), draw_position], axis=-1)
    sorted_layout = ops.take_along_axis(layout, stats["order"], axis=-1)
    first_draw = ops.associative_scan(ops.minimum, sorted_layout, axis=-1)
    first_draw = ops.reshape(first_draw, ops.shape(sorted_layout))  # TF drops the rank
    found = ops.cast(first_draw < not_drawn, scores.dtype)
    first_draw = ops.cast(ops.minimum(first_draw, not_drawn - 1.0), "int32")
    trials = ops.cast(first_draw, scores.dtype) + 1.0
    rank = ops.floor((ops.cast(num_labels, scores.dtype) - 1.0) / trials)
    weight = ops.stop_gradient(ops.take(harmonic, ops.cast(rank, "int32")))
    violator = ops.take_along_axis(draw_order, first_draw, axis=-1)
    violator_score = ops.take_along_axis(scores, violator, axis=-1)
    hinge = margin - stats["pos_score"] + violator_score
    return ops.sum(stats["is_pos"] * found * weight * hinge, axis=-1)


@register
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
    scores = center_scores(scores, pos, neg)
    stats = sorted_violators(scores, pos, neg, margin)
    harmonic = harmonic_numbers(ops.shape(scores)[-1], scores.dtype)
    if rank_estimate == "exact":
        return _exact_warp(scores, margin, stats, harmonic)
    return _sampled_warp(scores, neg, margin, stats, harmonic, seed)


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
        seed = seed_argument(seed)
        if isinstance(seed, keras.random.SeedGenerator):
            raise ValueError(
                "`seed` of WARPLoss must be None or an int (it is saved in the config). "
                f"Received: seed={seed!r}"
            )
        super().__init__(warp_loss, name=name, reduction=reduction, dtype=dtype,
                         margin=margin_argument(margin),
                         rank_estimate=_rank_estimate_argument(rank_estimate), seed=seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call_kwargs(self):
        return {**self.fn_kwargs, "seed": self.seed_generator}
